/**
 * Metrics of V2 requests under Triton's names, so dashboards built for Triton work
 * unchanged: `nv_inference_request_success`, `nv_inference_request_failure`,
 * `nv_inference_count` and `nv_inference_request_duration_us` (cumulative), labelled
 * `model` and `version` as Triton does. `/v1` and TF Serving gRPC requests keep upstream's
 * `:tensorflow:serving:request_count` / `request_latency`; runtime_latency and the batching
 * metrics count V2 runs too, since V2 runs through the same servables.
 */
import { Counter, type Registry } from 'prom-client';

/** One finished V2 infer request. */
export interface V2InferRecord {
  readonly model: string;
  /** The version that answered ('' when the request failed before one was chosen). */
  readonly version: string;
  readonly ok: boolean;
  /** Inferences in the request (the first dimension of the first input, 1 for scalars). */
  readonly batch: number;
  readonly durationMicros: number;
}

export interface V2Metrics {
  recordInfer(r: V2InferRecord): void;
}

/** Register the V2 metrics in `registry` (once per registry). */
export function createV2Metrics(registry: Registry): V2Metrics {
  const labelNames = ['model', 'version'] as const;
  const registers = [registry];
  const success = new Counter({ name: 'nv_inference_request_success', help: 'Number of successful inference requests, all batch sizes', labelNames, registers });
  const failure = new Counter({ name: 'nv_inference_request_failure', help: 'Number of failed inference requests, all batch sizes', labelNames, registers });
  const count = new Counter({ name: 'nv_inference_count', help: 'Number of inferences performed (does not include cached requests)', labelNames, registers });
  const duration = new Counter({
    name: 'nv_inference_request_duration_us',
    help: 'Cumulative inference request duration in microseconds (includes cached requests)',
    labelNames,
    registers,
  });
  return {
    recordInfer(r) {
      const labels = { model: r.model, version: r.version };
      if (r.ok) {
        success.inc(labels);
        count.inc(labels, r.batch);
      } else {
        failure.inc(labels);
      }
      duration.inc(labels, Math.max(0, Math.round(r.durationMicros)));
    },
  };
}
