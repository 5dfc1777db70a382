/**
 * Body of a batch worker thread: loads its own copy of the model (WorkerSource from
 * workerData), then runs one batch at a time for the I/O thread. Inputs arrive in the slot's
 * shared arena (worker-protocol.ts) and are read in place: the runtime copies what it keeps,
 * and an output that is an input (Identity) is copied below with the rest, so nothing of the
 * arena outlives the run. Outputs are copied into
 * fresh buffers here (off the I/O thread) and transferred back, so the runtime's own memory
 * is never detached and the I/O thread never copies them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Errors, asTfsError } from '../errors.js';
import type { ModelServable } from '../core/servable.js';
import type { Tensor } from '../tensor/tensor.js';
import { cloneTensor } from './tensor-ops.js';
import { type FromWorker, type ToWorker, type WorkerSource, transferList, unpackInputs } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-entry.js must run in a worker thread');

const source = workerData as WorkerSource;
const running = new Map<number, AbortController>();
let servable: ModelServable | undefined;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function errorFields(err: unknown): { code: number; message: string; errorId: string } {
  const e = asTfsError(err);
  return { code: e.code, message: e.message, errorId: e.id };
}

async function load(): Promise<void> {
  try {
    const mod = (await import(source.module)) as Record<string, unknown>;
    const loader = mod[source.exportName];
    if (typeof loader !== 'function') throw new Error(`${source.module} has no function export ${source.exportName}`);
    servable = (await (loader as (...a: unknown[]) => Promise<ModelServable>)(...source.args)) as ModelServable;
    post({ t: 'ready' });
  } catch (err) {
    post({ t: 'load-error', ...errorFields(err) });
  }
}

async function run(msg: Extract<ToWorker, { t: 'run' }>): Promise<void> {
  const ac = new AbortController();
  running.set(msg.id, ac);
  try {
    const outputs = await servable!.run(msg.signatureKey, unpackInputs(msg.inputs), {
      ...(msg.outputFilter ? { outputFilter: msg.outputFilter } : {}),
      signal: ac.signal,
    });
    const copied: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(outputs)) copied[k] = cloneTensor(v);
    post({ t: 'ok', id: msg.id, outputs: copied }, transferList(Object.values(copied), () => true));
  } catch (err) {
    post({ t: 'err', id: msg.id, ...errorFields(err) });
  } finally {
    running.delete(msg.id);
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.t) {
    case 'run':
      void run(msg);
      break;
    case 'cancel':
      running.get(msg.id)?.abort(Errors.cancelled());
      break;
    case 'close':
      void (async () => {
        try {
          await servable?.dispose();
        } finally {
          post({ t: 'closed' });
          port.close();
        }
      })();
      break;
  }
});

void load();
