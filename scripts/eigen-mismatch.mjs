// Mismatch counts against TF bits: tfjs cpu/wasm tanh/sigmoid and the Eigen-exact kernels (kernels/eigen-tanh-sigmoid.ts).
// /work/venv-tf/bin/python test/runtime/fixtures/tanh_sigmoid_cases.py --big DIR && node scripts/eigen-mismatch.mjs DIR
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
const dir = process.argv[2] ?? '/tmp/eigx';
const load = (n) => { const b = readFileSync(`${dir}/${n}.bin`); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };
const x = load('x');
const mod = await import(new URL('../dist/src/runtime/kernels/eigen-tanh-sigmoid.js', import.meta.url).href);
const count = (got, want) => { const g = new Uint32Array(got.buffer, got.byteOffset, got.length), w = new Uint32Array(want.buffer, want.byteOffset, want.length); let d = 0, big = 0; for (let i = 0; i < g.length; i++) if (g[i] !== w[i]) { d++; if (Math.abs(g[i] - w[i]) > 1) big++; } return `${d}/${g.length} (${(100 * d / g.length).toFixed(2)}%, >1ulp ${big})`; };
for (const op of ['tanh', 'sigmoid']) {
  const want = load(op);
  for (const be of ['cpu', 'wasm']) { await tf.setBackend(be); const got = tf[op](tf.tensor(x)).dataSync(); console.log(op, be, count(got, want)); }
  const fn = op === 'tanh' ? mod.tfTanhFloat32 : mod.tfSigmoidFloat32;
  console.log(op, 'eigen kernel', count(fn(x), want));
  if (process.argv[3]) { const g = fn(x); let k = 0; for (let i = 0; i < x.length && k < 8; i++) if (g[i] !== want[i] && !(isNaN(g[i]) && isNaN(want[i]))) { console.log('  ', i, x[i], g[i], want[i]); k++; } }
}
