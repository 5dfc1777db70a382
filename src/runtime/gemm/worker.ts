/**
 * A GEMM pool worker (pool.ts): instantiates the shared module over the shared memory and
 * runs the rectangles the calling thread publishes in the control block until told to quit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { wasm, type WasmMemory, type WasmModule } from './wasm-api.js';
import { GEN, JOB, JOB_INTS, PENDING, QUIT, READY } from './control.js';

const { module, memory, index } = workerData as { module: WasmModule; memory: WasmMemory; index: number };
const instance = new wasm.Instance(module, { env: { memory } });
const run = instance.exports['run'] as (...args: number[]) => void;
const ctl = new Int32Array(memory.buffer, 0, 1024);
const at = JOB + index * JOB_INTS;

let gen = Atomics.load(ctl, GEN);
Atomics.add(ctl, READY, 1);
Atomics.notify(ctl, READY);
parentPort?.postMessage('ready');
for (;;) {
  Atomics.wait(ctl, GEN, gen);
  gen = Atomics.load(ctl, GEN);
  if (Atomics.load(ctl, QUIT) !== 0) break;
  const args = Array.from(ctl.subarray(at, at + 12));
  try {
    if (args[8]! < args[9]! && args[10]! < args[11]!) run(...args);
  } finally {
    // Always answered, so a trap cannot leave the caller waiting (it throws here, then exits).
    if (Atomics.sub(ctl, PENDING, 1) === 1) Atomics.notify(ctl, PENDING);
  }
}
