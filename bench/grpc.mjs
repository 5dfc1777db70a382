#!/usr/bin/env node
// npm run bench:grpc -- Predict/s of tfs's gRPC server against a bare grpc-js service, same run.
//
// Both servers run in this process on 127.0.0.1 and answer the same PredictRequest bytes with a
// PredictResponse of the same content:
//   - tfs:  createGrpcServer over a real ServerCore (SavedModel runtime) serving the fixtures
//           half_plus_two (x=[2.0] -> y=[3.0]) and the tutorial's Keras MLP my_model
//           (dense_input float32 [5,10] as tensor_content -> dense_1);
//   - bare: a grpc-js PredictionService whose Predict decodes the request with protobufjs and
//           encodes a fixed PredictResponse object (the one tfs answered) — transport and codec
//           only, no model, no tfs code. This is the ceiling tfs is compared with.
// A worker thread drives each server in turn with a closed loop of --concurrency calls for
// --seconds (after a short warm-up), alternating bare/tfs for --rounds, and prints Predict/s,
// latency percentiles and the ratio tfs/bare per model (goal: >= 0.5).
//
//   node bench/grpc.mjs [--seconds 3] [--concurrency 16] [--rounds 2] [--json]
//   node bench/grpc.mjs --fake    # tfs over an in-process JS half_plus_two: the gRPC layer alone
//
// TFS_DIST selects the build directory (default dist).
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { bestRun, commonOptions, fakeLoader, fixtureConfig, imp, measureStep, realLoader } from './lib.mjs';

if (isMainThread) await main();
else await loadWorker();

async function main() {
  const { seconds, concurrency, rounds, fake, json } = commonOptions(process.argv.slice(2));

  const grpc = await import('@grpc/grpc-js');
  const { lookupType } = await imp('src/proto/root.js');
  const { createGrpcServer } = await imp('src/server/grpc/server.js');
  const { ServerCore } = await imp('src/server/server-core.js');

  const modelList = fake ? ['half_plus_two'] : ['half_plus_two', 'my_model'];
  const loader = fake ? fakeLoader([-1]) : await realLoader('bench:grpc', 'gRPC');
  const core = await ServerCore.create(fixtureConfig(modelList), { loader, fileSystemPollWaitSeconds: 0, watchFileSystem: false });
  const tfs = createGrpcServer({ core });
  const tfsPort = await tfs.listen('127.0.0.1', 0);

  // The requests, as a Python client builds them (tf.make_tensor_proto -> tensor_content).
  const PredictRequest = lookupType('tensorflow.serving.PredictRequest');
  const PredictResponse = lookupType('tensorflow.serving.PredictResponse');
  const f32 = (shape, values) => ({
    dtype: 'DT_FLOAT',
    tensor_shape: { dim: shape.map((size) => ({ size })) },
    tensor_content: Buffer.from(new Float32Array(values).buffer),
  });
  const mlpInput = Array.from({ length: 50 }, (_, i) => Math.sin(i));
  const requestObjects = {
    half_plus_two: { model_spec: { name: 'half_plus_two' }, inputs: { x: f32([1, 1], [2]) } },
    my_model: { model_spec: { name: 'my_model', signature_name: 'serving_default' }, inputs: { dense_input: f32([5, 10], mlpInput) } },
  };
  const requests = {};
  for (const m of modelList) requests[m] = PredictRequest.encode(PredictRequest.fromObject(requestObjects[m])).finish();

  // One tfs answer per model: checks the server works and gives the bare service its reply.
  const replies = {};
  {
    const client = new grpc.Client(`127.0.0.1:${tfsPort}`, grpc.credentials.createInsecure());
    for (const m of modelList) {
      const bytes = await new Promise((resolve, reject) =>
        client.makeUnaryRequest('/tensorflow.serving.PredictionService/Predict', (b) => b, (b) => b, Buffer.from(requests[m]), (err, res) =>
          err ? reject(new Error(`${m}: ${err.message}`)) : resolve(res),
        ),
      );
      replies[m] = PredictResponse.toObject(PredictResponse.decode(bytes), { longs: String, bytes: Buffer });
    }
    client.close();
  }
  const bare = new grpc.Server({ 'grpc.max_receive_message_length': 2 ** 31 - 1, 'grpc.max_send_message_length': 2 ** 31 - 1 });
  bare.addService(
    {
      Predict: {
        path: '/tensorflow.serving.PredictionService/Predict',
        requestStream: false,
        responseStream: false,
        requestDeserialize: (b) => PredictRequest.decode(b),
        requestSerialize: (m) => PredictRequest.encode(m).finish(),
        responseSerialize: (o) => PredictResponse.encode(PredictResponse.fromObject(o)).finish(),
        responseDeserialize: (b) => PredictResponse.decode(b),
      },
    },
    { Predict: (call, cb) => cb(null, replies[call.request.model_spec.name]) },
  );
  const barePort = await new Promise((resolve, reject) =>
    bare.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );

  const plan = [];
  for (const m of modelList) for (let r = 0; r < rounds; r++) plan.push({ model: m, target: 'bare', port: barePort }, { model: m, target: 'tfs', port: tfsPort });
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { plan, requests, seconds, concurrency, warmupSeconds: Math.min(1, seconds / 4) },
  });
  const results = await new Promise((resolve, reject) => {
    worker.on('message', resolve);
    worker.on('error', reject);
  });
  await worker.terminate();
  tfs.forceShutdown();
  bare.forceShutdown();
  await core.close();

  const summary = modelList.map((model) => {
    const b = bestRun(results, model, 'bare');
    const t = bestRun(results, model, 'tfs');
    return { model, bare: b, tfs: t, ratio: t.rps / b.rps };
  });
  if (json) {
    console.log(JSON.stringify({ seconds, concurrency, rounds, cpus: availableParallelism(), fake, summary, runs: results }, null, 2));
  } else {
    console.log(`gRPC Predict, 127.0.0.1, ${concurrency} calls in flight, ${seconds}s per run, best of ${rounds}${fake ? ' (tfs over a JS fake model)' : ''}`);
    console.log('model          target   Predict/s    p50 ms   p99 ms  errors');
    for (const s of summary) {
      for (const [name, r] of [['bare', s.bare], ['tfs', s.tfs]]) {
        console.log(
          `${s.model.padEnd(14)} ${name.padEnd(6)} ${r.rps.toFixed(0).padStart(10)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(8)} ${String(r.errors).padStart(7)}`,
        );
      }
      console.log(`${s.model.padEnd(14)} ratio tfs/bare = ${s.ratio.toFixed(2)} (goal >= 0.5)`);
    }
  }
  if (summary.some((s) => s.tfs.errors > 0 || s.bare.errors > 0)) process.exitCode = 1;
}

async function loadWorker() {
  const grpc = await import('@grpc/grpc-js');
  const { plan, requests, seconds, concurrency, warmupSeconds } = workerData;
  const results = [];
  const clients = new Map();
  const clientFor = (port) => {
    if (!clients.has(port)) clients.set(port, new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
    return clients.get(port);
  };
  const once = (client, body) =>
    new Promise((resolve) => {
      client.makeUnaryRequest('/tensorflow.serving.PredictionService/Predict', (b) => b, (b) => b, body, (err) => resolve(err));
    });
  for (const step of plan) {
    const client = clientFor(step.port);
    const body = Buffer.from(requests[step.model]);
    const measured = await measureStep(() => once(client, body), { seconds, concurrency, warmupSeconds });
    results.push({ model: step.model, target: step.target, ...measured });
  }
  for (const c of clients.values()) c.close();
  parentPort.postMessage(results);
}
