import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Code } from '../../src/errors.js';
import { ConfigError } from '../../src/config/validation.js';
import { defaultBatchingParameters, loadBatchingParameters, parseBatchingParameters } from '../../src/config/batching.js';
import { fixtures } from '../helpers/paths.js';

function rejects(text: string): ConfigError {
  try {
    parseBatchingParameters(text, 'b.config');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail(`accepted: ${text}`);
}

test('upstream defaults fill every unset field (num_batch_threads = number of CPUs)', () => {
  assert.deepEqual(parseBatchingParameters('', 'b'), {
    maxBatchSize: 1000,
    batchTimeoutMicros: 0,
    maxEnqueuedBatches: 10,
    numBatchThreads: availableParallelism(),
    threadPoolName: 'batch_threads',
    allowedBatchSizes: [],
    padVariableLengthInputs: false,
    enableLargeBatchSplitting: false,
    maxExecutionBatchSize: 1000,
  });
  assert.equal(defaultBatchingParameters().threadPoolName, 'model_server_batch_threads');
});

test("the tutorial's batching_config.pbtxt", () => {
  assert.deepEqual(loadBatchingParameters(join(fixtures, 'configs', 'tutorial', 'batching_config.pbtxt')), {
    maxBatchSize: 128,
    batchTimeoutMicros: 1000,
    maxEnqueuedBatches: 1000,
    numBatchThreads: 4,
    threadPoolName: 'batch_threads',
    allowedBatchSizes: [],
    padVariableLengthInputs: true,
    enableLargeBatchSplitting: false,
    maxExecutionBatchSize: 1000,
  });
});

test('splitting: max_execution_batch_size defaults to max_batch_size, and allowed sizes end at it', () => {
  const p = parseBatchingParameters('max_batch_size { value: 64 } enable_large_batch_splitting { value: true } allowed_batch_sizes: [8, 64]', 'b');
  assert.equal(p.maxExecutionBatchSize, 64);
  const q = parseBatchingParameters('max_batch_size { value: 64 } enable_large_batch_splitting { value: true } max_execution_batch_size { value: 16 } allowed_batch_sizes: [8, 16]', 'b');
  assert.deepEqual([q.maxBatchSize, q.maxExecutionBatchSize, q.allowedBatchSizes], [64, 16, [8, 16]]);
  assert.equal(
    rejects('max_batch_size { value: 64 } enable_large_batch_splitting { value: true } max_execution_batch_size { value: 16 } allowed_batch_sizes: [8, 64]').message,
    'Last entry in allowed_batch_sizes must match max_batch_size; last entry was 64; expected 16',
  );
});

test('upstream texts for every rule, positioned on the offending value', () => {
  const cases: [string, string, [number, number]][] = [
    ['max_batch_size { value: 16 }\nallowed_batch_sizes: [2, 8, 8, 16]', 'allowed_batch_sizes entries must be monotonically increasing', [2, 29]],
    ['max_batch_size { value: 16 }\nallowed_batch_sizes: [2, 8]', 'Last entry in allowed_batch_sizes must match max_batch_size; last entry was 8; expected 16', [2, 26]],
    ['num_batch_threads { value: 0 }', 'num_batch_threads must be positive; was 0', [1, 28]],
    ['max_batch_size { value: -1 }', 'input_batch_size_limit must be positive; was -1', [1, 25]],
    ['batch_timeout_micros { value: -1 }', 'batch_timeout_micros must be non-negative; was -1', [1, 31]],
    ['enable_large_batch_splitting { value: true } max_enqueued_batches { value: 0 }', 'max_enqueued_batches must be positive; was 0', [1, 76]],
    [
      'max_batch_size { value: 8 } enable_large_batch_splitting { value: true } max_execution_batch_size { value: 9 }',
      'When enable_large_batch_splitting is true, input_batch_size_limit must be greater than or equal to max_execution_batch_size.',
      [1, 108],
    ],
  ];
  for (const [text, message, [line, column]] of cases) {
    const e = rejects(text);
    assert.equal(e.code, Code.INVALID_ARGUMENT);
    assert.equal(e.message, message, text);
    assert.deepEqual(e.location, { file: 'b.config', line, column }, text);
    assert.ok((e.hint ?? '').length > 0, text);
  }
});

test('max_enqueued_batches 0 without splitting is accepted as 1 is by upstream (warned)', () => {
  assert.equal(parseBatchingParameters('max_enqueued_batches { value: 0 }', 'b').maxEnqueuedBatches, 0);
});

test('syntax errors: upstream wording with the BatchingParameters type', () => {
  const e = rejects('max_batch_size: 128');
  assert.equal(e.message, `Invalid protobuf file: 'b.config': Error parsing text-format tensorflow.serving.BatchingParameters: 1:17: Expected "{", found "128".`);
  assert.match(e.hint ?? '', /max_batch_size \{ value: … \}/);
});
