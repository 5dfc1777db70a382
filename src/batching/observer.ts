/**
 * What batching reports while it works. src/metrics implements this (`TfsMetrics.batching`)
 * with upstream's `:tensorflow:serving:batching_session:*` metrics; batching itself does not
 * depend on prom-client.
 */
export interface BatchingObserver {
  /** One request entered batching with `size` rows (`batching_session:input_batch_size`). */
  inputBatchSize(size: number): void;
  /** A task waited `micros` between enqueue and the start of its batch (`batching_session:queuing_latency`). */
  queuingDelay(threadPoolName: string, micros: number): void;
  /**
   * A batch was executed: `size` rows including `padding` rows added to reach an allowed
   * batch size (`batching_session:processed_batch_size`, `padding_size`, `wrapped_run_count`).
   */
  processedBatch(modelName: string, size: number, padding: number): void;
  /** The number of requests of `modelName` waiting in batching queues changed by `delta`. */
  queued(modelName: string, delta: number): void;
}

/** An observer that records nothing. */
export const noopBatchingObserver: BatchingObserver = Object.freeze({
  inputBatchSize: () => undefined,
  queuingDelay: () => undefined,
  processedBatch: () => undefined,
  queued: () => undefined,
});
