// Mismatch counts against TF's bits: tfjs cpu/wasm and tfs's Eigen-exact kernels
// (src/runtime/kernels/eigen-*.ts) on the 1M-value files the oracle generators write:
//   /work/venv-tf/bin/python test/runtime/fixtures/tanh_sigmoid_cases.py --big DIR
//   /work/venv-tf/bin/python test/runtime/fixtures/log_cases.py --big DIR
//   /work/venv-tf/bin/python test/runtime/fixtures/erf_cases.py --big DIR
//   /work/venv-tf/bin/python test/runtime/fixtures/elu_cases.py --big DIR
//   /work/venv-tf/bin/python test/runtime/fixtures/softplus_cases.py --big DIR
//   /work/venv-tf/bin/python test/runtime/fixtures/log1p_expm1_cases.py --big DIR
//   npx tsc -p tsconfig.json && node scripts/eigen-mismatch.mjs DIR
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

const dir = process.argv[2] ?? '/tmp/eigx';
const dist = (p) => import(new URL(`../dist/src/runtime/kernels/${p}`, import.meta.url).href);
const ts = await dist('eigen-tanh-sigmoid.js');
const lg = await dist('eigen-log.js');
const er = await dist('eigen-erf.js');
const el = await dist('eigen-elu.js');
const sp = await dist('eigen-softplus.js');
const le = await dist('eigen-log1p-expm1.js');
const load = (n) => { const b = readFileSync(`${dir}/${n}.bin`); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); };
const OPS = [
  ['tanh', 'x', 'tanh', ts.tfTanhFloat32],
  ['sigmoid', 'x', 'sigmoid', ts.tfSigmoidFloat32],
  ['log', 'log.x', 'log.y', lg.tfLogFloat32],
  ['erf', 'erf.x', 'erf.y', er.tfErfFloat32],
  ['elu', 'elu.x', 'elu.y', el.tfEluFloat32],
  ['selu', 'elu.x', 'selu.y', el.tfSeluFloat32],
  ['softplus', 'softplus.x', 'softplus.y', sp.tfSoftplusFloat32],
  ['log1p', 'l1e.x', 'log1p.y', le.tfLog1pFloat32],
  ['expm1', 'l1e.x', 'expm1.y', le.tfExpm1Float32],
];
function count(got, want) {
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let d = 0;
  let big = 0;
  for (let i = 0; i < g.length; i++) {
    if (g[i] === w[i]) continue;
    d++;
    if (Math.abs(g[i] - w[i]) > 1) big++;
  }
  return `${d}/${g.length} (${((100 * d) / g.length).toFixed(2)}%, >1 ulp ${((100 * big) / g.length).toFixed(2)}%)`;
}
for (const [op, xName, yName, exact] of OPS) {
  const x = load(xName);
  const want = load(yName);
  const line = [op];
  for (const be of ['cpu', 'wasm']) {
    await tf.setBackend(be);
    line.push(`tfjs-${be} ${count(new Float32Array(tf[op](tf.tensor(x)).dataSync()), want)}`);
  }
  line.push(`eigen-exact ${count(exact(x), want)}`);
  console.log(line.join('  '));
}
