/**
 * Frees every tensor a failed run made.
 *
 * tfjs-converter's asynchronous executor (`GraphModel.executeAsync`, used for control flow
 * and dynamic shapes) keeps a run's intermediate tensors in a local map and frees them only
 * when the run succeeds: when a kernel throws, everything computed so far stays allocated
 * (about 20 tensors per bad image for `DecodeImage`), and so do the intermediates a custom
 * kernel made before it threw. A server that answers bad input with an error would grow
 * with every such request.
 *
 * tfs records, per run, every tensor the engine creates while the run is in progress
 * (`AsyncLocalStorage` follows the run across its awaits, so concurrent runs keep apart),
 * and frees on failure each one still alive that is not `keep()`-ed (live variables, which
 * must survive a run) and not a weight. Branches of the failed graph that were still in
 * flight when the error surfaced (tfjs's `Promise.all` does not wait for them) may create
 * tensors afterwards: those are freed on the next turn of the event loop, until the branch
 * gives up (a freed input makes its next op throw, into a promise nobody awaits).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as tf from '@tensorflow/tfjs-core';

interface RunTensors {
  made: tf.Tensor[];
  /** False once the run failed and its tensors were freed: later ones are swept. */
  open: boolean;
  /** A sweep of late tensors is scheduled. */
  sweeping: boolean;
}

const current = new AsyncLocalStorage<RunTensors>();

interface TrackingEngine {
  trackTensor(a: tf.Tensor, backend: unknown): void;
}

let installed = false;

/** Hook the engine's tensor bookkeeping (every tensor tfjs makes passes `trackTensor`). */
function install(): void {
  if (installed) return;
  installed = true;
  const proto = Object.getPrototypeOf(tf.engine()) as TrackingEngine;
  const track = proto.trackTensor;
  proto.trackTensor = function (this: TrackingEngine, a: tf.Tensor, backend: unknown): void {
    track.call(this, a, backend);
    const run = current.getStore();
    if (run === undefined || a instanceof tf.Variable) return;
    run.made.push(a);
    if (!run.open && !run.sweeping) {
      run.sweeping = true;
      setImmediate(() => sweep(run));
    }
  };
}

function free(run: RunTensors, spare: ReadonlySet<number>): void {
  const made = run.made;
  run.made = [];
  for (const t of made) if (!t.isDisposed && !t.kept && !spare.has(t.id)) t.dispose();
}

function sweep(run: RunTensors): void {
  run.sweeping = false;
  free(run, new Set());
}

/**
 * Run `fn` (one model run); when it throws, free every tensor it made that is still alive,
 * except kept ones and those in `spare` (the model's weights).
 */
export async function freeingOnFailure<T>(spare: ReadonlySet<number>, fn: () => Promise<T>): Promise<T> {
  install();
  const run: RunTensors = { made: [], open: true, sweeping: false };
  try {
    return await current.run(run, fn);
  } catch (e) {
    run.open = false;
    free(run, spare);
    throw e;
  }
}
