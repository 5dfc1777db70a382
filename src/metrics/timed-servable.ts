/**
 * A servable whose every run() is timed into runtime_latency (upstream measures it around
 * the session run, batching queue time included when it wraps a batching servable).
 */
import type { ModelServable } from '../core/servable.js';
import type { TfsMetrics } from './metrics.js';

/** upstream's runtime_latency `API` label, from the method name of the signature that ran. */
export function runtimeApiOf(methodName: string | undefined): string {
  if (methodName === 'tensorflow/serving/classify') return 'Classify';
  if (methodName === 'tensorflow/serving/regress') return 'Regress';
  return 'Predict';
}

/** `servable` with every run() timed into runtime_latency. */
export function timedServable(servable: ModelServable, metrics: TfsMetrics): ModelServable {
  return {
    name: servable.name,
    version: servable.version,
    signatures: servable.signatures,
    signatureDefMap: servable.signatureDefMap,
    get unservedSignatures() {
      return servable.unservedSignatures;
    },
    async run(key, inputs, options) {
      const t0 = performance.now();
      try {
        return await servable.run(key, inputs, options);
      } finally {
        metrics.observeRuntime({
          modelName: servable.name,
          api: runtimeApiOf(servable.signatures.get(key)?.methodName),
          latencyMicros: (performance.now() - t0) * 1000,
        });
      }
    },
    dispose: () => servable.dispose(),
  };
}
