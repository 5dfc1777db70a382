#!/usr/bin/env node
// Checks the plain-JS tier's copy of the wasm backend's Sigmoid (src/runtime/plain-js.ts
// `wasmSigmoid`, XNNPACK's polynomial step by step) against tfjs-backend-wasm's kernel over
// every float32 bit pattern but NaN (2^32 inputs, in chunks of 2^22; a few minutes), or over
// `--chunks N` chunks from `--from K`. Exit status 1 on any difference (bits compared).
// The tier relies on this equality for my_model's last layer; run it after a tfjs upgrade.
//
//   npx tsc -p tsconfig.json && node scripts/check-wasm-sigmoid.mjs [--from 0] [--chunks 1024]
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(root, process.env.TFS_DIST ?? 'dist');
const args = process.argv.slice(2);
const arg = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const CHUNK = 1 << 22;
const from = arg('--from', 0);
const chunks = arg('--chunks', 2 ** 32 / CHUNK - from);

const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { initBackend } = await load('src/runtime/backend.js');
const { wasmSigmoid } = await load('src/runtime/plain-js.js');
const tf = await import('@tensorflow/tfjs-core');
await initBackend('wasm');
await tf.setBackend('wasm');

let checked = 0;
let differ = 0;
const want = new Float32Array(1);
const wantBits = new Uint32Array(want.buffer);
for (let c = from; c < from + chunks; c++) {
  const bits = new Uint32Array(CHUNK);
  for (let i = 0; i < CHUNK; i++) bits[i] = c * CHUNK + i;
  const x = new Float32Array(bits.buffer);
  const got = tf.tidy(() => tf.sigmoid(tf.tensor1d(x)).dataSync());
  const gotBits = new Uint32Array(got.buffer, got.byteOffset, got.length);
  for (let i = 0; i < CHUNK; i++) {
    if (Number.isNaN(x[i])) continue;
    checked++;
    want[0] = wasmSigmoid(x[i]);
    if (wantBits[0] !== gotBits[i] && differ++ < 10) console.log(`differs at ${x[i]} (0x${bits[i].toString(16)}): wasm ${got[i]}, tier ${want[0]}`);
  }
}
console.log(`check-wasm-sigmoid: ${checked} inputs, ${differ} differ`);
process.exit(differ === 0 ? 0 : 1);
