/**
 * A servable whose every run() is timed into runtime_latency (upstream measures it around
 * the session run, batching queue time included when it wraps a batching servable).
 */
import type { ModelServable } from '../core/servable.js';
import type { TfsMetrics } from './metrics.js';
import type { Tensor } from '../tensor/tensor.js';

/** upstream's runtime_latency `API` label, from the method name of the signature that ran. */
export function runtimeApiOf(methodName: string | undefined): string {
  if (methodName === 'tensorflow/serving/classify') return 'Classify';
  if (methodName === 'tensorflow/serving/regress') return 'Regress';
  return 'Predict';
}

/** `servable` with every run() timed into runtime_latency. */
export function timedServable(servable: ModelServable, metrics: TfsMetrics): ModelServable {
  // The API label of each signature, worked out once (signatures are fixed at load).
  const apis = new Map<string, string>();
  for (const [key, sig] of servable.signatures) apis.set(key, runtimeApiOf(sig.methodName));
  const observe = (key: string, t0: number): void => {
    try {
      metrics.observeRuntime({ modelName: servable.name, api: apis.get(key) ?? runtimeApiOf(undefined), latencyMicros: (performance.now() - t0) * 1000 });
    } catch {
      // Metrics must never break serving (nor leave a rejected promise nobody handles).
    }
  };
  return {
    name: servable.name,
    version: servable.version,
    signatures: servable.signatures,
    signatureDefMap: servable.signatureDefMap,
    get unservedSignatures() {
      return servable.unservedSignatures;
    },
    // Not async (an async wrapper costs a promise and a tick per run): the servable's own
    // promise is returned, timed by a reaction registered before the caller's.
    run(key, inputs, options) {
      const t0 = performance.now();
      let run: Promise<Record<string, Tensor>>;
      try {
        // Promise.resolve returns a native promise as it is (a servable is to return one).
        run = Promise.resolve(servable.run(key, inputs, options));
      } catch (err) {
        observe(key, t0);
        return Promise.reject(err);
      }
      // One reaction closure for both outcomes.
      const done = (): void => observe(key, t0);
      run.then(done, done);
      return run;
    },
    dispose: () => servable.dispose(),
  };
}
