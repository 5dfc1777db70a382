#!/usr/bin/env node
// npm run bench:v2 -- requests/s of the Open Inference Protocol next to /v1 and TF Serving
// gRPC, on the same model (fixtures half_plus_two) and the same server, in one run.
//
// The server (startServer, as `tfs serve`) runs in this thread; a worker thread drives it
// with a closed loop of --concurrency requests per protocol for --seconds each, for a small
// tensor (1 float) and a large one (--floats, default 10000, as x of shape [n, 1]):
//   v1 REST JSON   POST /v1/models/half_plus_two:predict {"instances": [[x], ...]}
//   TFS gRPC       PredictionService/Predict, tensor_content
//   V2 REST JSON   POST /v2/models/half_plus_two/infer, JSON data
//   V2 REST binary the same with the binary tensor data extension (inputs and outputs)
//   V2 gRPC        GRPCInferenceService/ModelInfer, raw_input_contents
// and prints req/s with each one's ratio to v1 REST JSON and to TFS gRPC.
//
//   node bench/v2.mjs [--seconds 1.5] [--concurrency 8] [--floats 10000]
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, process.env.TFS_DIST ?? 'dist');

function option(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

if (isMainThread) await main();
else await drive();

async function main() {
  const seconds = option('seconds', 1.5);
  const concurrency = option('concurrency', 8);
  const floats = option('floats', 10000);
  const { startServer } = await import(join(dist, 'src/server/server.js'));
  const { parseServeFlags } = await import(join(dist, 'src/server/flags.js'));
  const pino = (await import('pino')).default;
  const server = await startServer({
    flags: parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--model_name=half_plus_two', `--model_base_path=${join(root, 'fixtures/models/half_plus_two')}`], {}).values,
    logger: pino({ level: 'silent' }),
  });
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { rest: server.restPort, grpc: server.grpcPort, seconds, concurrency, floats, root } });
  const results = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await server.shutdown(1000);
  console.log(`half_plus_two, ${concurrency} concurrent requests, ${seconds} s per protocol (client in a worker thread, same process)`);
  for (const [size, rows] of Object.entries(results)) {
    console.log(`\n${size}`);
    const v1 = rows['v1 REST JSON'].rps;
    const tg = rows['TFS gRPC'].rps;
    console.log('protocol          req/s     errors  vs v1 REST  vs TFS gRPC');
    for (const [name, r] of Object.entries(rows)) {
      console.log(`${name.padEnd(16)} ${r.rps.toFixed(0).padStart(7)}  ${String(r.errors).padStart(7)}  ${(r.rps / v1).toFixed(2).padStart(9)}x  ${(r.rps / tg).toFixed(2).padStart(10)}x`);
    }
  }
}

async function drive() {
  const { rest, grpc: grpcPort, seconds, concurrency, floats, root: r } = workerData;
  const grpc = await import('@grpc/grpc-js');
  const protoLoader = await import('@grpc/proto-loader');
  const base = `http://127.0.0.1:${rest}`;
  const load = (file) => grpc.loadPackageDefinition(protoLoader.loadSync(join(r, 'protos', file), { keepCase: true, includeDirs: [join(r, 'protos')], longs: String }));
  const v2pkg = load('inference.proto');
  const tfpkg = load('tensorflow_serving/apis/prediction_service.proto');
  const v2 = new v2pkg.inference.GRPCInferenceService(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  const tfs = new tfpkg.tensorflow.serving.PredictionService(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  const unary = (client, method, req) => new Promise((res, rej) => client[method](req, (e, v) => (e ? rej(e) : res(v))));

  const out = {};
  for (const n of [1, floats]) {
    const values = Array.from({ length: n }, (_, i) => (i % 100) / 10);
    const raw = Buffer.from(new Float32Array(values).buffer);
    const v1Body = JSON.stringify({ instances: values.map((v) => [v]) });
    const v2Json = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [n, 1], data: values }] });
    const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [n, 1], parameters: { binary_data_size: raw.length } }], parameters: { binary_data_output: true } }));
    const v2Bin = Buffer.concat([head, raw]);
    const post = async (path, body, headers = {}) => {
      const res = await fetch(base + path, { method: 'POST', body, headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(String(res.status));
    };
    const tensor = { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: n }, { size: 1 }] }, tensor_content: raw };
    const protocols = {
      'v1 REST JSON': () => post('/v1/models/half_plus_two:predict', v1Body),
      'TFS gRPC': () => unary(tfs, 'Predict', { model_spec: { name: 'half_plus_two' }, inputs: { x: tensor } }),
      'V2 REST JSON': () => post('/v2/models/half_plus_two/infer', v2Json),
      'V2 REST binary': () => post('/v2/models/half_plus_two/infer', v2Bin, { 'Inference-Header-Content-Length': String(head.length) }),
      'V2 gRPC': () => unary(v2, 'ModelInfer', { model_name: 'half_plus_two', inputs: [{ name: 'x', datatype: 'FP32', shape: [n, 1] }], raw_input_contents: [raw] }),
    };
    const rows = {};
    for (const [name, call] of Object.entries(protocols)) {
      await call(); // warm-up, and fail fast if the protocol is broken
      rows[name] = await closedLoop(call, seconds, concurrency);
    }
    out[`x: ${n} float${n === 1 ? '' : 's'} ([${n},1])`] = rows;
  }
  v2.close();
  tfs.close();
  parentPort.postMessage(out);
}

async function closedLoop(call, seconds, concurrency) {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        try {
          await call();
          done++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { rps: done / ((performance.now() - t0) / 1000), errors };
}
