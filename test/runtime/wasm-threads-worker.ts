/**
 * Worker body for wasm-threads.test.ts. tfjs state is per thread, so each mode runs in its own
 * worker_threads Worker, which must then exit by itself (the threaded build's pthread workers
 * must not keep it alive):
 *  - `outputs`: initBackend('wasm', { wasmThreads }), then every float signature input of each
 *    model filled with the same deterministic values; posts the outputs' bytes;
 *  - `serve`: startServer() with the given flags and a capturing logger, one REST predict on
 *    half_plus_two, shutdown; posts the log lines and the response.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Writable } from 'node:stream';
import pino from 'pino';
import { initBackend, wasmThreads } from '../../src/runtime/backend.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import { parseServeFlags } from '../../src/server/flags.js';
import { startServer } from '../../src/server/server.js';
import type { Tensor } from '../../src/tensor/tensor.js';

interface Job {
  mode: 'outputs' | 'serve';
  threads?: number;
  models?: { name: string; dir: string }[];
  batches?: number[];
  flags?: string[];
  /** Remove SharedArrayBuffer first: a platform where the threaded build cannot start. */
  hideSharedArrayBuffer?: boolean;
}
const job = workerData as Job;
if (job.hideSharedArrayBuffer) delete (globalThis as Record<string, unknown>)['SharedArrayBuffer'];

/** Deterministic values in [-1, 1) (a fixed LCG), the same in every worker. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

async function outputs(): Promise<void> {
  await initBackend('wasm', { wasmThreads: job.threads ?? 1 });
  const results: Record<string, number[]> = {};
  for (const m of job.models ?? []) {
    const s = await loadSavedModelServable(m.name, 1, m.dir);
    const sig = s.signatures.get('serving_default')!;
    for (const batch of job.batches ?? [1]) {
      const inputs: Record<string, Tensor> = {};
      let seed = batch;
      for (const [alias, spec] of Object.entries(sig.inputs)) {
        const shape = (spec.shape ?? [-1]).map((d, i) => (d >= 0 ? d : i === 0 ? batch : 4));
        inputs[alias] = { dtype: spec.dtype, shape, data: values(shape.reduce((a, b) => a * b, 1), ++seed) } as Tensor;
      }
      const out = await s.run('serving_default', inputs);
      for (const [k, t] of Object.entries(out)) {
        const d = t.data as ArrayBufferView;
        results[`${m.name} b=${batch} ${k}`] = Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      }
    }
    await s.dispose();
  }
  parentPort!.postMessage({ threads: wasmThreads(), results });
}

async function serve(): Promise<void> {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { level: number; msg: string });
      cb();
    },
  });
  const f = parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', ...(job.flags ?? [])], {}).values;
  const s = await startServer({ flags: f, logger: pino({ level: 'info' }, stream) });
  const res = await fetch(`http://127.0.0.1:${s.restPort}/v1/models/half_plus_two:predict`, { method: 'POST', body: JSON.stringify({ instances: [1, 2, 3] }) });
  const body: unknown = await res.json();
  await s.shutdown(1000);
  parentPort!.postMessage({ threads: wasmThreads(), status: res.status, body, lines });
}

await (job.mode === 'outputs' ? outputs() : serve());
