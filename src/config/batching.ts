/**
 * BatchingParameters (--batching_parameters_file, per-model batching_params.pbtxt):
 * parsed, upstream's defaults filled in (tfserving-spec.md §3.6), and checked against
 * schemas/config/batching.schema.json with upstream's texts (TF shared_batch_scheduler.h,
 * batching_session.cc).
 */
import { availableParallelism } from 'node:os';
import { lookupType } from '../proto/root.js';
import type { BatchingParameters } from './types.js';
import type { TextFormatDocument } from '../proto/text-format.js';
import { ConfigError, issueAt, jsonView, schemaIssues, sortIssues, type ConfigIssue, type IssueSource } from './validation.js';
import { configDocumentOrFailure, parseConfigDocument, readConfigFile } from './model-server-config.js';

const TYPE_NAME = 'tensorflow.serving.BatchingParameters';

/** Upstream's defaults (TF SharedBatchScheduler Options/QueueOptions). */
export const BATCHING_DEFAULTS = {
  maxBatchSize: 1000,
  batchTimeoutMicros: 0,
  maxEnqueuedBatches: 10,
  threadPoolName: 'batch_threads',
  maxExecutionBatchSize: 1000,
} as const;

/** Default num_batch_threads: the number of CPUs (upstream port::MaxParallelism()). */
export function defaultNumBatchThreads(): number {
  return availableParallelism();
}

/**
 * What --enable_batching without --batching_parameters_file uses: every default, with the
 * model server's thread pool name (`model_server_batch_threads`, upstream server.cc).
 */
export function defaultBatchingParameters(): BatchingParameters {
  return fillBatchingDefaults({}, 'model_server_batch_threads');
}

function wrapped(obj: Record<string, unknown>, key: string): unknown {
  const w = obj[key] as Record<string, unknown> | undefined;
  return w === undefined ? undefined : (w['value'] ?? defaultWrapperValue(key));
}

function defaultWrapperValue(key: string): unknown {
  if (key === 'thread_pool_name') return '';
  if (key === 'enable_large_batch_splitting') return false;
  return 0; // Int64Value { } is 0, as in upstream
}

/** BatchingParameters from a JSON view (int64 as numbers), defaults filled. */
function fillBatchingDefaults(view: Record<string, unknown>, threadPoolName: string = BATCHING_DEFAULTS.threadPoolName): BatchingParameters {
  const num = (key: string, dflt: number): number => {
    const v = wrapped(view, key);
    return v === undefined ? dflt : Number(v);
  };
  const maxBatchSize = num('max_batch_size', BATCHING_DEFAULTS.maxBatchSize);
  const splitting = Boolean(wrapped(view, 'enable_large_batch_splitting') ?? false);
  const name = wrapped(view, 'thread_pool_name');
  return Object.freeze({
    maxBatchSize,
    batchTimeoutMicros: num('batch_timeout_micros', BATCHING_DEFAULTS.batchTimeoutMicros),
    maxEnqueuedBatches: num('max_enqueued_batches', BATCHING_DEFAULTS.maxEnqueuedBatches),
    numBatchThreads: num('num_batch_threads', defaultNumBatchThreads()),
    threadPoolName: name === undefined ? threadPoolName : String(name),
    allowedBatchSizes: Object.freeze(((view['allowed_batch_sizes'] ?? []) as unknown[]).map(Number)),
    padVariableLengthInputs: Boolean(view['pad_variable_length_inputs'] ?? false),
    enableLargeBatchSplitting: splitting,
    // Unset: max_batch_size when splitting, else upstream's 1000.
    maxExecutionBatchSize: num('max_execution_batch_size', splitting ? maxBatchSize : BATCHING_DEFAULTS.maxExecutionBatchSize),
  });
}

/** The effective parameters in the proto's JSON shape (wrappers as { value }), for the schema. */
function effectiveView(p: BatchingParameters): Record<string, unknown> {
  return {
    max_batch_size: { value: p.maxBatchSize },
    batch_timeout_micros: { value: p.batchTimeoutMicros },
    max_enqueued_batches: { value: p.maxEnqueuedBatches },
    num_batch_threads: { value: p.numBatchThreads },
    thread_pool_name: { value: p.threadPoolName },
    allowed_batch_sizes: [...p.allowedBatchSizes],
    pad_variable_length_inputs: p.padVariableLengthInputs,
    enable_large_batch_splitting: { value: p.enableLargeBatchSplitting },
    max_execution_batch_size: { value: p.maxExecutionBatchSize },
  };
}

export interface BatchingParametersCheck {
  readonly parameters: BatchingParameters | undefined;
  readonly issues: readonly ConfigIssue[];
  readonly doc?: TextFormatDocument;
}

/** Fills defaults and validates a parsed BatchingParameters object (toObject shape). */
export function checkBatchingParameters(obj: Record<string, unknown>, source: IssueSource): BatchingParametersCheck {
  const view = jsonView(lookupType(TYPE_NAME), obj);
  const params = fillBatchingDefaults(view);
  const issues: ConfigIssue[] = [...schemaIssues('batching', effectiveView(params), source)];
  if (source.doc) {
    for (const w of source.doc.warnings) issues.push({ severity: 'warning', file: source.file, line: w.line, column: w.column, message: w.message, path: '' });
  }
  if (params.maxEnqueuedBatches === 0 && !params.enableLargeBatchSplitting) {
    issues.push(
      issueAt(source, ['max_enqueued_batches', 'value'], 'warning', 'max_enqueued_batches 0 is treated as 1 (as upstream does)', 'Set max_enqueued_batches { value: 1 } or more to say what you mean.', 'value'),
    );
  }
  sortIssues(issues);
  const ok = !issues.some((i) => i.severity === 'error');
  const base = { parameters: ok ? params : undefined, issues };
  return source.doc ? { ...base, doc: source.doc } : base;
}

/** Parses and checks text; parse errors become issues (never throws for bad input). */
export function checkBatchingParametersText(text: string, file: string): BatchingParametersCheck {
  const doc = configDocumentOrFailure('batching', text, file);
  if (doc instanceof ConfigError) return { parameters: undefined, issues: doc.issues };
  return checkBatchingParameters(doc.value, { file, doc });
}

/**
 * Parses text-format BatchingParameters with upstream's defaults filled in
 * (num_batch_threads defaults to the number of CPUs). Throws {@link ConfigError}.
 */
export function parseBatchingParameters(text: string, file: string): BatchingParameters {
  const doc = parseConfigDocument('batching', text, file);
  const check = checkBatchingParameters(doc.value, { file, doc });
  if (check.parameters) return check.parameters;
  throw new ConfigError('batching', file, check.issues);
}

/** Reads and parses a --batching_parameters_file (see {@link parseBatchingParameters}). */
export function loadBatchingParameters(file: string): BatchingParameters {
  return parseBatchingParameters(readConfigFile('batching', file), file);
}
