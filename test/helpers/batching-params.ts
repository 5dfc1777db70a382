/** BatchingParameters for tests that build a Batcher directly. */
import { BATCHING_DEFAULTS } from '../../src/config/batching.js';
import type { BatchingParameters } from '../../src/config/types.js';

/**
 * Upstream's defaults (one batch thread instead of one per CPU, so tests behave the same on
 * every machine) overridden by `p`; maxExecutionBatchSize follows `p.maxBatchSize` unless given.
 */
export function batchingParams(p: Partial<BatchingParameters> = {}): BatchingParameters {
  return {
    ...BATCHING_DEFAULTS,
    numBatchThreads: 1,
    allowedBatchSizes: [],
    padVariableLengthInputs: false,
    enableLargeBatchSplitting: false,
    maxExecutionBatchSize: p.maxBatchSize ?? BATCHING_DEFAULTS.maxExecutionBatchSize,
    ...p,
  };
}
