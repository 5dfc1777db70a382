/**
 * A GEMM pool worker (pool.ts): instantiates the shared module over the shared memory and
 * claims chunks of the jobs the calling thread publishes in the control block until told to quit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { wasm, type WasmMemory, type WasmModule } from '../wasm-api.js';
import { DRIVERS, GEN, HELPED, PENDING, QUIT, READY, runChunks, type Driver } from './control.js';

const { module, memory } = workerData as { module: WasmModule; memory: WasmMemory };
const instance = new wasm.Instance(module, { env: { memory } });
const drivers = DRIVERS.map((name) => instance.exports[name] as Driver);
const ctl = new Int32Array(memory.buffer, 0, 1024);

let gen = Atomics.load(ctl, GEN);
Atomics.add(ctl, READY, 1);
Atomics.notify(ctl, READY);
parentPort?.postMessage('ready');
for (;;) {
  Atomics.wait(ctl, GEN, gen);
  gen = Atomics.load(ctl, GEN);
  if (Atomics.load(ctl, QUIT) !== 0) break;
  try {
    Atomics.add(ctl, HELPED, runChunks(ctl, drivers));
  } finally {
    // Always answered, so a trap cannot leave the caller waiting (it throws here, then exits).
    if (Atomics.sub(ctl, PENDING, 1) === 1) Atomics.notify(ctl, PENDING);
  }
}
