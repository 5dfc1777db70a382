/**
 * SavedModel warmup (upstream saved_model_warmup.cc, saved_model_warmup_util.cc): before a
 * version becomes AVAILABLE, replay the requests recorded in
 * `<version dir>/assets.extra/tf_serving_warmup_requests`, so the first real requests do
 * not pay for lazy initialisation.
 *
 * The file is a TFRecord file (each record: uint64 length LE, masked CRC32C of those 8
 * bytes, the data, masked CRC32C of the data) of serialized `tensorflow.serving.PredictionLog`.
 * Each record's request runs `numRequestIterations` times (default 1) through the same
 * Predict / Classify / Regress / MultiInference implementations the front ends use; the
 * logged responses are ignored. At most 1000 records. Any failure fails the load, with
 * upstream's texts:
 * - framing: DATA_LOSS `corrupted record at <offset>. Please verify your warmup data is in TFRecord format.`;
 * - an undecodable record: INVALID_ARGUMENT `Failed to parse warmup record: <bytes> from <path>`;
 * - more than 1000: INVALID_ARGUMENT `Number of warmup records exceeds the maximum (1000) at <path>`;
 * - `session_run_log` / `predict_streamed_log`: UNIMPLEMENTED `Unsupported log_type for warmup: <n>`;
 * - a request the model rejects: that request's error.
 * A record whose signature the version lists but does not serve (the runtime lacks its ops;
 * see `ModelServable.unservedSignatures`) is skipped, and one warning names those signatures.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import protobuf from 'protobufjs';
import type { ServableHandle, ServerCoreApi } from '../core/server-core-api.js';
import { Errors, TfsError, asTfsError } from '../errors.js';
import { lookupType } from '../proto/root.js';
import { crc32c, maskCrc, unmaskCrc } from '../savedmodel/crc32c.js';
import { requestTensorFromProto, type TensorProtoLike } from '../tensor/tensor-proto.js';
import type { Tensor } from '../tensor/tensor.js';
import { type Logger, silentLogger } from '../util/logger.js';
import type { InputObj } from '../tensor/inference-types.js';
import { runClassify, runRegress } from './classify-regress.js';
import { modelSpecFromProto, signatureKeyOf, type ModelSpec } from './model-spec.js';
import { runMultiInference } from './multi-inference.js';
import { runPredict } from './predict.js';
import type { ModelServable } from '../core/servable.js';

/** `assets.extra/tf_serving_warmup_requests`, relative to the version directory. */
export const WARMUP_FILE = join('assets.extra', 'tf_serving_warmup_requests');
/** Upstream's `WarmupConsts::kMaxNumRecords`. */
export const MAX_WARMUP_RECORDS = 1000;

/** PredictionLog.log_type field numbers (= upstream's `log_type_case()` values). */
export const LOG_TYPE = {
  classify_log: 2,
  regress_log: 3,
  multi_inference_log: 4,
  session_run_log: 5,
  predict_log: 6,
  predict_streamed_log: 7,
} as const;

/** How a warmup run went; what metrics record (upstream `model_warmup_latency{model_path,status}`). */
export interface WarmupReport {
  readonly ok: boolean;
  /** Records replayed (a record counts once, however many iterations ran). */
  readonly records: number;
  readonly durationMicros: number;
  /** `OK`, or the failure as upstream prints a status (`DATA_LOSS: corrupted record at 0`). */
  readonly status: string;
  readonly error?: TfsError;
}

export interface WarmupOptions {
  /** `--num_request_iterations_for_warmup`: when > 0, each record runs this many times (default 1). */
  readonly numRequestIterations?: number;
  readonly logger?: Logger;
  /** Aborts between requests (shutdown). */
  readonly signal?: AbortSignal;
  /** Called once per run that found a warmup file, success or failure. */
  readonly onReport?: (report: WarmupReport) => void;
}

// ---------------------------------------------------------------------------------------
// TFRecord framing

const HEADER_BYTES = 12; // uint64 length + uint32 masked crc
const FOOTER_BYTES = 4;

/** One TFRecord: its bytes and where it started. */
export interface TfRecord {
  readonly offset: number;
  readonly data: Uint8Array;
}

/**
 * The records of a TFRecord buffer, checking both CRCs as TensorFlow's RecordReader does.
 * Throws a plain Error with TF's DATA_LOSS text (`corrupted record at <offset>`,
 * `truncated record at <offset>`); the caller adds the warmup hint.
 */
export function* readTfRecords(buf: Uint8Array): Generator<TfRecord> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let offset = 0;
  while (offset < buf.length) {
    if (buf.length - offset < HEADER_BYTES) throw new Error(`truncated record at ${offset}`);
    const lengthBytes = buf.subarray(offset, offset + 8);
    if (unmaskCrc(view.getUint32(offset + 8, true)) !== crc32c(lengthBytes)) throw new Error(`corrupted record at ${offset}`);
    const length = view.getBigUint64(offset, true);
    const dataStart = offset + HEADER_BYTES;
    if (length > BigInt(buf.length - dataStart - FOOTER_BYTES) || buf.length - dataStart < FOOTER_BYTES) {
      throw new Error(`truncated record at ${offset}`);
    }
    const n = Number(length);
    const data = buf.subarray(dataStart, dataStart + n);
    if (unmaskCrc(view.getUint32(dataStart + n, true)) !== crc32c(data)) throw new Error(`corrupted record at ${dataStart}`);
    yield { offset, data };
    offset = dataStart + n + FOOTER_BYTES;
  }
}

/** Frame `data` as one TFRecord (for tools and tests that write warmup files). */
export function encodeTfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + data.length + FOOTER_BYTES);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskCrc(crc32c(out.subarray(0, 8))), true);
  out.set(data, HEADER_BYTES);
  view.setUint32(HEADER_BYTES + data.length, maskCrc(crc32c(data)), true);
  return out;
}

// ---------------------------------------------------------------------------------------
// Replaying PredictionLogs

/** The log_type case of a serialized PredictionLog (the last oneof field on the wire wins), 0 when unset. */
export function logTypeCase(record: Uint8Array): number {
  const r = protobuf.Reader.create(record);
  let found = 0;
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field >= LOG_TYPE.classify_log && field <= LOG_TYPE.predict_streamed_log) found = field;
    r.skipType(tag & 7);
  }
  return found;
}

/** A ServerCoreApi that serves only the version being warmed up, whatever the request names. */
function warmupCore(servable: ModelServable): ServerCoreApi {
  const handle: ServableHandle = {
    name: servable.name,
    version: servable.version,
    servable,
    release: () => undefined,
  };
  return {
    getServableHandle: () => handle,
    getModelStatus: () => [],
    reloadConfig: () => Promise.reject(Errors.warmupReloadUnavailable()),
    currentConfig: () => ({ models: [] }),
    isReady: () => false,
  };
}

type Msg = protobuf.Message & Record<string, unknown>;

/** Upstream runs warmup requests against the loading version regardless of the logged name/version. */
function warmupSpec(servable: ModelServable, logged: unknown): ModelSpec {
  const spec = modelSpecFromProto(logged);
  return { name: servable.name, ...(spec?.signatureName ? { signatureName: spec.signatureName } : {}) };
}

function inputObj(input: unknown): InputObj {
  if (!input) return {} as InputObj;
  return lookupType('tensorflow.serving.Input').toObject(input as protobuf.Message) as InputObj;
}

/** Run one PredictionLog's request against `servable`. */
async function replay(servable: ModelServable, log: Msg, kind: number, signal: AbortSignal | undefined): Promise<void> {
  const core = warmupCore(servable);
  const opts = { api: 'grpc' as const, ...(signal ? { signal } : {}) };
  switch (kind) {
    case LOG_TYPE.predict_log: {
      const req = ((log['predict_log'] as Msg | null)?.['request'] ?? {}) as Msg;
      const inputs: Record<string, Tensor> = {};
      for (const [alias, proto] of Object.entries((req['inputs'] ?? {}) as Record<string, TensorProtoLike>)) {
        inputs[alias] = requestTensorFromProto(proto, alias);
      }
      const outputFilter = (req['output_filter'] ?? []) as string[];
      await runPredict(core, { modelSpec: warmupSpec(servable, req['model_spec']), inputs, outputFilter }, opts);
      return;
    }
    case LOG_TYPE.classify_log:
    case LOG_TYPE.regress_log: {
      const field = kind === LOG_TYPE.classify_log ? 'classify_log' : 'regress_log';
      const req = ((log[field] as Msg | null)?.['request'] ?? {}) as Msg;
      const request = { modelSpec: warmupSpec(servable, req['model_spec']), input: inputObj(req['input']) };
      if (kind === LOG_TYPE.classify_log) await runClassify(core, request, opts);
      else await runRegress(core, request, opts);
      return;
    }
    case LOG_TYPE.multi_inference_log: {
      const req = ((log['multi_inference_log'] as Msg | null)?.['request'] ?? {}) as Msg;
      const tasks = ((req['tasks'] ?? []) as Msg[]).map((t) => {
        const modelSpec = modelSpecFromProto(t['model_spec']);
        return { ...(modelSpec ? { modelSpec } : {}), methodName: String(t['method_name'] ?? '') };
      });
      await runMultiInference(core, { tasks, input: inputObj(req['input']) }, opts);
      return;
    }
    case LOG_TYPE.session_run_log:
    case LOG_TYPE.predict_streamed_log:
      throw Errors.warmupUnsupportedLogType(kind);
    default:
      return; // log_type unset: nothing to run
  }
}

/** The signature keys a PredictionLog's request runs (none for log types without one). */
function loggedSignatures(log: Msg, kind: number): string[] {
  const request = (field: string): Msg => ((log[field] as Msg | null)?.['request'] ?? {}) as Msg;
  const keyOf = (spec: unknown): string => signatureKeyOf(modelSpecFromProto(spec));
  switch (kind) {
    case LOG_TYPE.predict_log:
      return [keyOf(request('predict_log')['model_spec'])];
    case LOG_TYPE.classify_log:
      return [keyOf(request('classify_log')['model_spec'])];
    case LOG_TYPE.regress_log:
      return [keyOf(request('regress_log')['model_spec'])];
    case LOG_TYPE.multi_inference_log:
      return ((request('multi_inference_log')['tasks'] ?? []) as Msg[]).map((t) => keyOf(t['model_spec']));
    default:
      return [];
  }
}

/**
 * Replay the warmup file of the version at `versionDir` against `servable`. Resolves with
 * the report, or undefined when the version has no warmup file; rejects with the error that
 * fails the load.
 */
export async function warmupServable(
  servable: ModelServable,
  versionDir: string,
  opts: WarmupOptions = {},
): Promise<WarmupReport | undefined> {
  const logger = opts.logger ?? silentLogger;
  const path = join(versionDir, WARMUP_FILE);
  try {
    await stat(path);
  } catch {
    logger.info(`No warmup data file found at ${path}`);
    return undefined;
  }
  const iterations = opts.numRequestIterations && opts.numRequestIterations > 0 ? Math.floor(opts.numRequestIterations) : 1;
  const optionsText = opts.numRequestIterations && opts.numRequestIterations > 0 ? `num_request_iterations { value: ${iterations} }` : '';
  logger.info(`Starting to read warmup data for model at ${path} with model-warmup-options ${optionsText}`);
  const t0 = performance.now();
  let records = 0;
  /** Records skipped per unserved signature. */
  const skipped = new Map<string, number>();
  const finish = (error?: TfsError): WarmupReport => {
    const report: WarmupReport = {
      ok: !error,
      records,
      durationMicros: Math.round((performance.now() - t0) * 1000),
      status: error ? error.toString() : 'OK',
      ...(error ? { error } : {}),
    };
    opts.onReport?.(report);
    return report;
  };
  try {
    const buf = await readFile(path);
    const logType = lookupType('tensorflow.serving.PredictionLog');
    const framing = readTfRecords(buf);
    for (;;) {
      let next: IteratorResult<TfRecord>;
      try {
        next = framing.next();
      } catch (e) {
        throw Errors.warmupDataLoss((e as Error).message);
      }
      if (next.done) break;
      const bytes = next.value.data;
      let log: Msg;
      let kind: number;
      try {
        log = logType.decode(bytes) as Msg;
        kind = logTypeCase(bytes);
      } catch {
        throw Errors.warmupUnparsableRecord(Buffer.from(bytes).toString('utf8'), path);
      }
      // A record for a signature the version does not serve (the runtime lacks its ops) is
      // skipped: it would only get that signature's UNIMPLEMENTED error.
      const unserved = loggedSignatures(log, kind).filter((k) => servable.unservedSignatures?.has(k));
      for (const k of unserved) skipped.set(k, (skipped.get(k) ?? 0) + 1);
      for (let i = 0; i < iterations && unserved.length === 0; i++) {
        if (opts.signal?.aborted) throw asTfsError(opts.signal.reason);
        await replay(servable, log, kind, opts.signal);
      }
      records++;
      if (records > MAX_WARMUP_RECORDS) throw Errors.warmupTooManyRecords(path);
    }
  } catch (e) {
    const error = asTfsError(e);
    finish(error);
    throw error;
  }
  const report = finish();
  if (skipped.size > 0) {
    const list = [...skipped].map(([k, n]) => `${k} (${n} record${n === 1 ? '' : 's'}: ${servable.unservedSignatures?.get(k)?.reason ?? 'not served'})`);
    logger.warn(`Warmup skipped the records of signatures this version does not serve: ${list.join('; ')}`);
  }
  logger.info(
    `Finished reading warmup data for model at ${path}. Number of warmup records read: ${records}. Elapsed time (microseconds): ${report.durationMicros}.`,
  );
  return report;
}
