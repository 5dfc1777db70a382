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
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, process.env.TFS_DIST ?? 'dist');
const imp = (p) => import(pathToFileURL(join(dist, p)).href);

if (isMainThread) await main();
else await loadWorker();

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
  const seconds = Math.min(30, Number(opt('seconds', '3')));
  const concurrency = Math.min(256, Number(opt('concurrency', '16')));
  const rounds = Math.min(5, Number(opt('rounds', '2')));
  const fake = args.includes('--fake');
  const json = args.includes('--json');

  const grpc = await import('@grpc/grpc-js');
  const { lookupType } = await imp('src/proto/root.js');
  const { createGrpcServer } = await imp('src/server/grpc/server.js');
  const { ServerCore } = await imp('src/core/server-core.js');

  const models = join(root, 'fixtures', 'models');
  const modelList = fake ? ['half_plus_two'] : ['half_plus_two', 'my_model'];
  const loader = fake ? await fakeLoader() : await realLoader();
  const config = {
    models: modelList.map((name) => ({
      name,
      basePath: join(models, name),
      modelPlatform: 'tensorflow',
      versionPolicy: { kind: 'latest', numVersions: 1 },
      versionLabels: {},
    })),
  };
  const core = await ServerCore.create(config, { loader, fileSystemPollWaitSeconds: 0, watchFileSystem: false });
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
    const best = (target) =>
      results.filter((r) => r.model === model && r.target === target).sort((a, b) => b.rps - a.rps)[0];
    const b = best('bare');
    const t = best('tfs');
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

async function realLoader() {
  try {
    const mod = await imp('src/servables/saved-model-servable.js');
    return mod.loadSavedModelServable;
  } catch (e) {
    console.error(`bench:grpc needs the SavedModel runtime (src/servables/saved-model-servable.ts): ${e.message}`);
    console.error('Run with --fake to measure the gRPC layer over a JS model.');
    process.exit(1);
  }
}

/** A JS half_plus_two (y = 0.5x + 2) with upstream's serving_default signature: the gRPC layer alone. */
async function fakeLoader() {
  return async (name, version) => {
    const spec = (n) => ({ name: n, dtype: 'DT_FLOAT', shape: [-1] });
    const sig = { key: 'serving_default', methodName: 'tensorflow/serving/predict', inputs: { x: spec('x:0') }, outputs: { y: spec('y:0') }, defaults: {} };
    return {
      name,
      version,
      signatures: new Map([['serving_default', sig]]),
      signatureDefMap: {},
      async run(_key, inputs) {
        const x = inputs.x;
        const y = new Float32Array(x.data.length);
        for (let i = 0; i < y.length; i++) y[i] = 0.5 * x.data[i] + 2;
        return { y: { dtype: 'DT_FLOAT', shape: [...x.shape], data: y } };
      },
      async dispose() {},
    };
  };
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
    const run = async (ms, record) => {
      const end = performance.now() + ms;
      const lat = [];
      let errors = 0;
      const loop = async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          const err = await once(client, body);
          if (err) errors++;
          else if (record) lat.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, loop));
      return { lat, errors };
    };
    await run(warmupSeconds * 1000, false);
    const t0 = performance.now();
    const { lat, errors } = await run(seconds * 1000, true);
    const elapsed = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN);
    results.push({ model: step.model, target: step.target, calls: lat.length, errors, rps: lat.length / elapsed, p50: q(0.5), p99: q(0.99) });
  }
  for (const c of clients.values()) c.close();
  parentPort.postMessage(results);
}
