/**
 * The one error type of tfs, and the one table of every error a client or an operator
 * can see.
 *
 * Every failure that reaches a client is a {@link TfsError}: a stable `id`
 * (`TFS_ERR_*`, in the style of fastify's `FST_ERR_*`), a canonical status code
 * (numerically identical to gRPC status codes and to `tensorflow.error.Code`) and a
 * message. Messages that upstream tensorflow_model_server produces are reproduced exactly
 * (see ../shared/docs/tfserving-spec.md), so clients that match on texts keep working.
 * The transports derive their status here and nowhere else: REST with
 * {@link httpStatusOf}, gRPC with {@link grpcStatusCodeOf} and {@link grpcDetailsOf};
 * the CLI prints `message` (and `hint`).
 *
 * How to add an error: add one entry to {@link Errors} below, in the section of the
 * upstream file it comes from (or a tfs section):
 *
 *     myThing: entry('TFS_ERR_MY_THING', Code.INVALID_ARGUMENT, (what: string) => `upstream text ${what}`),
 *
 * - the id is `TFS_ERR_` + the key in UPPER_SNAKE case; it is part of the public surface
 *   (logs, `err.id`): never reuse or rename one;
 * - the text is upstream's byte for byte when upstream has one (say which file in the
 *   section comment); a text of tfs's own says so in a doc comment;
 * - the code is upstream's; a failure of tfs itself is INTERNAL, never INVALID_ARGUMENT;
 * - then throw `Errors.myThing(...)`. `new TfsError(` outside this file fails
 *   test/errors.test.ts.
 */

/** Canonical status codes (google.rpc.Code / grpc status / tensorflow.error.Code). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k]));

/** `INVALID_ARGUMENT` for 3, as upstream prints codes in status JSON and metrics labels. */
export function codeName(code: number): string {
  return CODE_NAMES[code] ?? 'UNKNOWN';
}

/** Upstream's `ToHTTPStatusCode` (model_servers/http_server.cc): the only code→HTTP mapping in tfs. */
const HTTP_OF_CODE: Record<number, number> = {
  [Code.OK]: 200,
  [Code.CANCELLED]: 499,
  [Code.UNKNOWN]: 500,
  [Code.INVALID_ARGUMENT]: 400,
  [Code.DEADLINE_EXCEEDED]: 504,
  [Code.NOT_FOUND]: 404,
  [Code.ALREADY_EXISTS]: 409,
  [Code.PERMISSION_DENIED]: 403,
  [Code.RESOURCE_EXHAUSTED]: 429,
  [Code.FAILED_PRECONDITION]: 400,
  [Code.ABORTED]: 409,
  [Code.OUT_OF_RANGE]: 400,
  [Code.UNIMPLEMENTED]: 501,
  [Code.INTERNAL]: 500,
  [Code.UNAVAILABLE]: 503,
  [Code.DATA_LOSS]: 500,
  [Code.UNAUTHENTICATED]: 401,
};

export function httpStatusOf(code: number): number {
  return HTTP_OF_CODE[code] ?? 500;
}

/**
 * Upstream's `ToGRPCStatus` (model_servers/grpc_status_util.cc): the canonical code is the
 * gRPC status code (same numbering); anything outside the enum is UNKNOWN.
 */
export function grpcStatusCodeOf(code: number): number {
  return CODE_NAMES[code] === undefined ? Code.UNKNOWN : code;
}

/** Upstream's `kErrorMessageLimit`: gRPC status messages are cut to this many bytes. */
export const MAX_ERROR_MESSAGE_BYTES = 1024;
export const TRUNCATED_SUFFIX = '...TRUNCATED';

/**
 * Cut a message to 1024 bytes of UTF-8 and add `...TRUNCATED`, as upstream does for gRPC
 * statuses. The cut backs off to a character boundary so the result stays valid UTF-8.
 */
export function truncateErrorMessage(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= MAX_ERROR_MESSAGE_BYTES) return message;
  let end = MAX_ERROR_MESSAGE_BYTES;
  // Continuation bytes are 10xxxxxx: step back to the start of the character at `end`.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + TRUNCATED_SUFFIX;
}

/** The gRPC status details for a message (REST messages are never truncated). */
export function grpcDetailsOf(message: string): string {
  return truncateErrorMessage(message);
}

export interface TfsErrorOptions {
  /** The table entry's id; errors built outside the table (test fakes) get `TFS_ERR_<CODE>`. */
  id?: string;
  /** The entry's HTTP status where it is not the code's (only `bodyTooLarge`: 413). */
  httpStatus?: number;
  /** What the user can do about it (CLI and logs only; never part of the wire message). */
  hint?: string;
  /** Where in a file the problem is (config errors). */
  location?: { file: string; line: number; column: number };
  cause?: unknown;
}

export class TfsError extends Error {
  /** The stable id of the table entry, e.g. `TFS_ERR_SERVABLE_NOT_FOUND_LATEST`. */
  readonly id: string;
  readonly code: Code;
  readonly hint: string | undefined;
  readonly location: { file: string; line: number; column: number } | undefined;
  private readonly httpOverride: number | undefined;

  constructor(code: Code, message: string, options: TfsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TfsError';
    this.id = options.id ?? `TFS_ERR_${codeName(code)}`;
    this.code = code;
    this.hint = options.hint;
    this.location = options.location;
    this.httpOverride = options.httpStatus;
  }

  get codeName(): string {
    return codeName(this.code);
  }

  /** The REST status: the entry's own where it has one, else derived from the code. */
  get httpStatus(): number {
    return this.httpOverride ?? httpStatusOf(this.code);
  }

  get grpcStatus(): number {
    return grpcStatusCodeOf(this.code);
  }

  /** The same error (id, code, text) with a hint for the CLI and logs. */
  withHint(hint: string): TfsError {
    return new TfsError(this.code, this.message, { ...this.sameEntry(), hint, cause: this });
  }

  /** The same error (id, code, hint) with `prefix` before its text, e.g. `Model m: `. */
  withPrefix(prefix: string): TfsError {
    return new TfsError(this.code, `${prefix}${this.message}`, {
      ...this.sameEntry(),
      cause: this,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    });
  }

  private sameEntry(): { id: string; httpStatus?: number } {
    return this.httpOverride === undefined ? { id: this.id } : { id: this.id, httpStatus: this.httpOverride };
  }

  /** An error that crossed a thread boundary as plain fields (batch workers), rebuilt. */
  static revive(fields: { code: number; message: string; id?: string | undefined }): TfsError {
    return new TfsError(fields.code as Code, fields.message, fields.id === undefined ? {} : { id: fields.id });
  }

  /** `INVALID_ARGUMENT: <message>`, the form upstream uses when nesting statuses in messages. */
  override toString(): string {
    return `${this.codeName}: ${this.message}`;
  }
}

/** Any thrown value as a TfsError (unexpected ones become INTERNAL, keeping their text). */
export function asTfsError(err: unknown): TfsError {
  if (err instanceof TfsError) return err;
  if (err instanceof Error) return Errors.internal(err.message, err);
  return Errors.internal(String(err));
}

/**
 * The TfsError an aborted signal stands for, the same everywhere (REST, gRPC, batching,
 * the runtime): a timeout (a `TimeoutError` reason, as `AbortSignal.timeout` and the REST
 * deadline give, or a DEADLINE_EXCEEDED TfsError, as the gRPC deadline gives) is TF's
 * DEADLINE_EXCEEDED `Timed out waiting for notification`; a client that went away (any
 * other reason, or none) is CANCELLED. A reason that is another TfsError (the server
 * shutting down) is a deliberate answer and is kept.
 */
export function abortError(signal: AbortSignal): TfsError {
  const reason: unknown = signal.reason;
  if (reason instanceof TfsError) return reason.code === Code.DEADLINE_EXCEEDED ? Errors.runTimedOut() : reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return Errors.runTimedOut();
  return Errors.cancelled();
}

/** One entry of {@link Errors}: call it for the error; `id`, `code` and `text` describe it. */
export interface ErrorEntry<A extends unknown[]> {
  (...args: A): TfsError;
  readonly id: string;
  readonly code: Code;
  /** The message alone (for TfsError subclasses that build their own object). */
  readonly text: (...args: A) => string;
}

interface EntryExtras<A extends unknown[]> {
  /** An HTTP status other than the code's (keep rare: REST clients key on the code's). */
  http?: number;
  /** Hint, cause or location from the arguments. */
  options?: (...args: NoInfer<A>) => Omit<TfsErrorOptions, 'id' | 'httpStatus'>;
}

function entry<A extends unknown[]>(
  id: string,
  code: Code,
  text: (...args: A) => string,
  extras: EntryExtras<NoInfer<A>> = {},
): ErrorEntry<A> {
  const { http, options } = extras;
  const make = (...args: A): TfsError =>
    new TfsError(code, text(...args), { ...options?.(...args), id, ...(http === undefined ? {} : { httpStatus: http }) });
  return Object.assign(make, { id, code, text });
}

/** Options of entries that take an optional cause as their last argument. */
const withCause = (cause: unknown): { cause?: unknown } => (cause === undefined ? {} : { cause });

/**
 * The error table: every error tfs produces, by name, with its id, status code and message.
 * Texts in quotes are upstream's exact texts; keep them byte-for-byte.
 */
export const Errors = {
  // --- model spec resolution (server_core.cc, basic_manager.cc) ---
  missingModelSpec: entry('TFS_ERR_MISSING_MODEL_SPEC', Code.INVALID_ARGUMENT, () =>
    'Missing ModelSpec'),
  modelSpecNoName: entry('TFS_ERR_MODEL_SPEC_NO_NAME', Code.INVALID_ARGUMENT, () =>
    'ModelSpec has no name specified.'),
  servableNotFoundLatest: entry('TFS_ERR_SERVABLE_NOT_FOUND_LATEST', Code.NOT_FOUND, (name: string) =>
    `Servable not found for request: Latest(${name})`),
  servableNotFoundSpecific: entry('TFS_ERR_SERVABLE_NOT_FOUND_SPECIFIC', Code.NOT_FOUND, (name: string, version: number | bigint | string) =>
    `Servable not found for request: Specific(${name}, ${version})`),
  unknownVersionLabel: entry('TFS_ERR_UNKNOWN_VERSION_LABEL', Code.INVALID_ARGUMENT, (label: string) =>
    `Unrecognized servable version label: ${label}`),
  labelsNotInitialized: entry('TFS_ERR_LABELS_NOT_INITIALIZED', Code.UNAVAILABLE, (label: string) =>
    `Model labels does not init yet.${label}`),
  versionAndLabel: entry('TFS_ERR_VERSION_AND_LABEL', Code.INVALID_ARGUMENT, (version: number | string, label: string) =>
    `Both model version (${version}) and model version label (${label}) cannot be supplied.`),

  // --- model status (get_model_status_impl.cc) ---
  noVersionsOfModel: entry('TFS_ERR_NO_VERSIONS_OF_MODEL', Code.NOT_FOUND, (name: string) =>
    `Could not find any versions of model ${name}`),
  noSuchVersionOfModel: entry('TFS_ERR_NO_SUCH_VERSION_OF_MODEL', Code.NOT_FOUND, (name: string, version: number | string) =>
    `Could not find version ${version} of model ${name}`),

  // --- metadata (get_model_metadata_impl.cc) ---
  metadataFieldMissing: entry('TFS_ERR_METADATA_FIELD_MISSING', Code.INVALID_ARGUMENT, () =>
    'GetModelMetadataRequest must specify at least one metadata_field'),
  metadataFieldUnsupported: entry('TFS_ERR_METADATA_FIELD_UNSUPPORTED', Code.INVALID_ARGUMENT, (field: string) =>
    `Metadata field ${field} is not supported`),

  // --- predict (predict_util.cc, saved_model util.cc) ---
  predictSignatureNotFound: entry('TFS_ERR_PREDICT_SIGNATURE_NOT_FOUND', Code.FAILED_PRECONDITION, (sig: string) =>
    `Serving signature key "${sig}" not found.`),
  restSignatureNotFound: entry('TFS_ERR_REST_SIGNATURE_NOT_FOUND', Code.INVALID_ARGUMENT, (sig: string) =>
    `Serving signature name: "${sig}" not found in signature def`),
  tensorParsingError: entry('TFS_ERR_TENSOR_PARSING_ERROR', Code.INVALID_ARGUMENT, (alias: string) =>
    `tensor parsing error: ${alias}`),
  /** tfs's own: a request tensor with more dimensions than TensorFlow's TensorShape allows. */
  requestRankLimit: entry('TFS_ERR_REQUEST_RANK_LIMIT', Code.INVALID_ARGUMENT, (alias: string, max: number) =>
    `tensor parsing error: ${alias}: more than ${max} dimensions (TensorFlow's limit on the rank of a tensor)`),
  /** tfs's own: the request's tensors hold more elements than --max_request_elements. */
  requestElementsLimit: entry('TFS_ERR_REQUEST_ELEMENTS_LIMIT', Code.INVALID_ARGUMENT, (alias: string, total: number, max: number) =>
    `tensor parsing error: ${alias}: the request's tensors hold ${total} elements, more than the limit of ${max} (--max_request_elements)`),
  /** tfs's own: the request's tensors need more bytes than --max_request_tensor_bytes. */
  requestBytesLimit: entry('TFS_ERR_REQUEST_BYTES_LIMIT', Code.INVALID_ARGUMENT, (alias: string, total: number, max: number) =>
    `tensor parsing error: ${alias}: the request's tensors need ${total} bytes, more than the limit of ${max} (--max_request_tensor_bytes)`),
  outputAliasNotFound: entry('TFS_ERR_OUTPUT_ALIAS_NOT_FOUND', Code.INVALID_ARGUMENT, (alias: string, known: string[]) =>
    `output tensor alias not found in signature: ${alias} Outputs expected to be in the set {${[...known].sort().join(',')}}.`),
  duplicateOutputAlias: entry('TFS_ERR_DUPLICATE_OUTPUT_ALIAS', Code.INVALID_ARGUMENT, (alias: string) =>
    `duplicate output tensor alias: ${alias}`),
  inputSizeMismatch: entry('TFS_ERR_INPUT_SIZE_MISMATCH', Code.INVALID_ARGUMENT, (reqKeys: string[], sigKeys: string[]) => {
    const req = [...reqKeys].sort();
    const sig = [...sigKeys].sort();
    const extra = req.filter((k) => !sig.includes(k));
    const missing = sig.filter((k) => !req.includes(k));
    return `input size does not match signature: ${req.length}!=${sig.length} len({${req.join(',')}}) != len({${sig.join(',')}}). Sent extra: {${extra.join(',')}}. Missing but required: {${missing.join(',')}}.`;
  }),
  inputAliasNotFound: entry('TFS_ERR_INPUT_ALIAS_NOT_FOUND', Code.INVALID_ARGUMENT, (alias: string, feedName: string, reqKeys: string[], defaultKeys: string[]) =>
    `Signature input alias: ${alias}(feed name: ${feedName}) not found in request and no default value provided. Inputs expected to be in the request {${[...reqKeys].sort().join(',')}}, or default input alias set: ${[...defaultKeys].sort().join(',')}`),
  invalidInputName: entry('TFS_ERR_INVALID_INPUT_NAME', Code.INVALID_ARGUMENT, (used: string[], reqKeys: string[]) =>
    `Inputs contains invalid name. Used request inputs: ${[...used].sort().join(',')}, request input: ${[...reqKeys].sort().join(',')}`),
  predictMethodName: entry('TFS_ERR_PREDICT_METHOD_NAME', Code.INTERNAL, (method: string) =>
    `Expected prediction signature method_name to be one of {tensorflow/serving/predict, tensorflow/serving/classify, tensorflow/serving/regress}. Was: ${method}`),
  /** TF's DirectSession text when RunOptions.timeout_in_ms expires. */
  runTimedOut: entry('TFS_ERR_RUN_TIMED_OUT', Code.DEADLINE_EXCEEDED, () =>
    'Timed out waiting for notification'),

  // --- classify / regress (classifier.cc, regressor.cc) ---
  classifyRegressSignatureNotFound: entry('TFS_ERR_CLASSIFY_REGRESS_SIGNATURE_NOT_FOUND', Code.INVALID_ARGUMENT, (sig: string) =>
    `No signature was found with the name: ${sig}`),
  inputIsEmpty: entry('TFS_ERR_INPUT_IS_EMPTY', Code.INVALID_ARGUMENT, () =>
    'Input is empty.'),
  classifyMethodName: entry('TFS_ERR_CLASSIFY_METHOD_NAME', Code.INVALID_ARGUMENT, (method: string) =>
    `Expected classification signature method_name to be tensorflow/serving/classify. Was: ${method}`),
  regressMethodName: entry('TFS_ERR_REGRESS_METHOD_NAME', Code.INVALID_ARGUMENT, (method: string) =>
    `Expected regression signature method_name to be tensorflow/serving/regress. Was: ${method}`),
  expectedOneInputTensor: entry('TFS_ERR_EXPECTED_ONE_INPUT_TENSOR', Code.INVALID_ARGUMENT, () =>
    'Expected one input Tensor.'),
  expectedOneOrTwoOutputTensors: entry('TFS_ERR_EXPECTED_ONE_OR_TWO_OUTPUT_TENSORS', Code.INVALID_ARGUMENT, (n: number) =>
    `Expected one or two output Tensors, found ${n}`),
  expectedOneOutputTensor: entry('TFS_ERR_EXPECTED_ONE_OUTPUT_TENSOR', Code.INVALID_ARGUMENT, () =>
    'Expected one output Tensor.'),
  /** `debug` is the SignatureDef in protobuf text format (C++ DebugString). */
  noClassificationInputs: entry('TFS_ERR_NO_CLASSIFICATION_INPUTS', Code.FAILED_PRECONDITION, (debug: string) =>
    `No classification inputs found in SignatureDef: ${debug}`),
  noClassificationOutputs: entry('TFS_ERR_NO_CLASSIFICATION_OUTPUTS', Code.FAILED_PRECONDITION, (debug: string) =>
    `Expected classification signature outputs to contain at least one of "classes" or "scores". Signature was: ${debug}`),
  noRegressionInputs: entry('TFS_ERR_NO_REGRESSION_INPUTS', Code.FAILED_PRECONDITION, (debug: string) =>
    `No regression inputs found in SignatureDef: ${debug}`),
  noRegressionOutputs: entry('TFS_ERR_NO_REGRESSION_OUTPUTS', Code.FAILED_PRECONDITION, (debug: string) =>
    `No regression outputs found in SignatureDef: ${debug}`),
  classifyOutputRank: entry('TFS_ERR_CLASSIFY_OUTPUT_RANK', Code.INVALID_ARGUMENT, (shape: string) =>
    `Expected Tensor shape: [batch_size num_classes] but got ${shape}`),
  classesDtype: entry('TFS_ERR_CLASSES_DTYPE', Code.INVALID_ARGUMENT, (dtype: string) =>
    `Expected classes Tensor of DT_STRING. Got: ${dtype}`),
  scoresDtype: entry('TFS_ERR_SCORES_DTYPE', Code.INVALID_ARGUMENT, (dtype: string) =>
    `Expected scores Tensor of DT_FLOAT. Got: ${dtype}`),
  classifyBatchSize: entry('TFS_ERR_CLASSIFY_BATCH_SIZE', Code.INVALID_ARGUMENT, (which: 'classes' | 'scores', expected: number, got: number) =>
    `Expected ${which} output batch size of ${expected}. Got: ${got}`),
  classesScoresMismatch: entry('TFS_ERR_CLASSES_SCORES_MISMATCH', Code.INVALID_ARGUMENT, (a: number, b: number) =>
    `Tensors class and score should match in dim_size(1). Got ${a} vs. ${b}`),
  regressOutputShape: entry('TFS_ERR_REGRESS_OUTPUT_SHAPE', Code.INVALID_ARGUMENT, (shape: string) =>
    `Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got ${shape}`),
  regressBatchMismatch: entry('TFS_ERR_REGRESS_BATCH_MISMATCH', Code.INVALID_ARGUMENT, (expected: number, got: number) =>
    `Input batch size did not match output batch size: ${expected} vs. ${got}`),
  regressDtype: entry('TFS_ERR_REGRESS_DTYPE', Code.INVALID_ARGUMENT, (dtype: string) =>
    `Expected output Tensor of DT_FLOAT.  Got: ${dtype}`),
  regressSize: entry('TFS_ERR_REGRESS_SIZE', Code.INVALID_ARGUMENT, (expected: number, got: number) =>
    `Expected output batch size to be ${expected}.  Got: ${got}`),
  outputTensorMissing: entry('TFS_ERR_OUTPUT_TENSOR_MISSING', Code.INVALID_ARGUMENT, (name: string) =>
    `Could not find output tensor '${name}'`),

  // --- batching (shared_batch_scheduler.h, batching_session.cc) ---
  batchQueueFull: entry('TFS_ERR_BATCH_QUEUE_FULL', Code.UNAVAILABLE, () =>
    'The batch scheduling queue to which this task was submitted is full'),
  taskLargerThanMaxBatch: entry('TFS_ERR_TASK_LARGER_THAN_MAX_BATCH', Code.INVALID_ARGUMENT, (size: number, max: number) =>
    `Task size ${size} is larger than maximum input batch size ${max}`),
  batchedOutputScalar: entry('TFS_ERR_BATCHED_OUTPUT_SCALAR', Code.FAILED_PRECONDITION, () =>
    'Batched output tensor has 0 dimensions'),
  batchedOutputSizeMismatch: entry('TFS_ERR_BATCHED_OUTPUT_SIZE_MISMATCH', Code.FAILED_PRECONDITION, () =>
    "Batched output tensor's 0th dimension does not equal the sum of the 0th dimension sizes of the input tensors"),
  /** tfs's own: a call reached a model version whose batching queues were closed (unload). */
  batchQueueClosed: entry('TFS_ERR_BATCH_QUEUE_CLOSED', Code.UNAVAILABLE, () =>
    'The batch scheduling queue for this model version is closed'),
  /** tfs's own: a batch worker thread died or could not start. */
  batchWorkerFailed: entry('TFS_ERR_BATCH_WORKER_FAILED', Code.INTERNAL, (detail: string) =>
    `Batch worker thread failed: ${detail}`),

  // --- monitoring (prometheus_exporter.cc) ---
  unexpectedMetricsPath: entry('TFS_ERR_UNEXPECTED_METRICS_PATH', Code.INVALID_ARGUMENT, (uri: string, path: string) =>
    `Unexpected path: ${uri}. Should be ${path}`),

  // --- MultiInference (multi_inference.cc) ---
  multiInferenceEmptyModelName: entry('TFS_ERR_MULTI_INFERENCE_EMPTY_MODEL_NAME', Code.INVALID_ARGUMENT, () =>
    'Found ModelSpec with an empty model name.'),
  multiInferenceModelMismatch: entry('TFS_ERR_MULTI_INFERENCE_MODEL_MISMATCH', Code.INVALID_ARGUMENT, () =>
    'All ModelSpecs in a MultiInferenceRequest must access the same model name.'),
  duplicateSignatureEvaluation: entry('TFS_ERR_DUPLICATE_SIGNATURE_EVALUATION', Code.INVALID_ARGUMENT, (sig: string) =>
    `Duplicate evaluation of signature: ${sig}`),
  signatureNotInGraph: entry('TFS_ERR_SIGNATURE_NOT_IN_GRAPH', Code.INVALID_ARGUMENT, (sig: string) =>
    `Requested signature not found in model graph: ${sig}`),
  unsupportedSignatureMethod: entry('TFS_ERR_UNSUPPORTED_SIGNATURE_METHOD', Code.UNIMPLEMENTED, (method: string) =>
    `Unsupported signature method_name: ${method}`),
  inputTensorNotShared: entry('TFS_ERR_INPUT_TENSOR_NOT_SHARED', Code.INVALID_ARGUMENT, () =>
    'Input tensor must be the same for all Signatures.'),

  // --- ModelService (model_service_impl.cc) ---
  reloadConfigTypeUnsupported: entry('TFS_ERR_RELOAD_CONFIG_TYPE_UNSUPPORTED', Code.INVALID_ARGUMENT, () =>
    'ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is currently supported'),

  // --- Open Inference Protocol / KServe V2 (src/server/v2; Triton's texts where Triton has one) ---
  /** Triton's text for a model (or version) the server does not know. */
  v2ModelNotFound: entry('TFS_ERR_V2_MODEL_NOT_FOUND', Code.NOT_FOUND, (model: string, version?: string) =>
    `Request for unknown model: '${model}'${version ? ` version ${version}` : ''} is not found`),
  /** Triton's text for a known model without an AVAILABLE version. */
  v2ModelNotReady: entry('TFS_ERR_V2_MODEL_NOT_READY', Code.UNAVAILABLE, (model: string) =>
    `Request for unknown model: '${model}' has no available versions`),
  /** tfs's own: a V2 version is the decimal text of a TF Serving version number. */
  v2BadVersion: entry('TFS_ERR_V2_BAD_VERSION', Code.INVALID_ARGUMENT, (version: string) =>
    `model version '${version}' is not a version number`),
  /** tfs's own: a V2 request or response body that is not what the protocol says. */
  v2BadRequest: entry('TFS_ERR_V2_BAD_REQUEST', Code.INVALID_ARGUMENT, (detail: string) => detail),
  /** tfs's own: the binary extension's JSON header length does not fit the body. */
  v2BadHeaderLength: entry('TFS_ERR_V2_BAD_HEADER_LENGTH', Code.INVALID_ARGUMENT, (value: string, bodyBytes: number) =>
    `Inference-Header-Content-Length ${JSON.stringify(value)} must be an integer from 0 to the body size (${bodyBytes} bytes)`),
  /** Triton's text: binary data of an input does not match its shape and datatype. */
  v2ByteSizeMismatch: entry('TFS_ERR_V2_BYTE_SIZE_MISMATCH', Code.INVALID_ARGUMENT, (got: number, input: string, expected: number) =>
    `unexpected total byte size ${got} for input '${input}', expecting ${expected}`),
  /** tfs's own: the V2 datatype names tfs knows (BF16 beyond the spec, as Triton). */
  v2UnknownDatatype: entry('TFS_ERR_V2_UNKNOWN_DATATYPE', Code.INVALID_ARGUMENT, (tensor: string, datatype: string) =>
    `tensor '${tensor}': unknown datatype '${datatype}' (expected one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, BF16, FP32, FP64, BYTES)`),
  /** Triton's text for a datatype that is not the model's. */
  v2DatatypeMismatch: entry('TFS_ERR_V2_DATATYPE_MISMATCH', Code.INVALID_ARGUMENT, (got: string, input: string, expected: string) =>
    `unexpected datatype ${got} for inference input '${input}', expecting ${expected}`),
  /** tfs's own: an output tensor whose TF dtype has no V2 datatype (complex, resource, ...). */
  v2UnsupportedOutputDtype: entry('TFS_ERR_V2_UNSUPPORTED_OUTPUT_DTYPE', Code.INVALID_ARGUMENT, (output: string, dtype: string) =>
    `output '${output}' has dtype ${dtype}, which the Open Inference Protocol cannot carry`),
  /** Triton's text for a requested output the model does not have. */
  v2UnknownOutput: entry('TFS_ERR_V2_UNKNOWN_OUTPUT', Code.INVALID_ARGUMENT, (output: string, model: string) =>
    `unexpected inference output '${output}' for model '${model}'`),
  /** tfs's own: an unknown /v2 path or method. */
  v2NotFound: entry('TFS_ERR_V2_NOT_FOUND', Code.NOT_FOUND, (method: string, path: string) =>
    `Not Found: ${method} ${path}`),
  /** tfs's own (Triton refuses in its own words): --model_control_mode=none. */
  repositoryApiDisabled: entry('TFS_ERR_REPOSITORY_API_DISABLED', Code.UNAVAILABLE, () =>
    'explicit model load / unload is not allowed with --model_control_mode=none (use explicit or poll)'),
  /** Triton's text when a model is neither in the repository nor in the model config. */
  repositoryModelNotFound: entry('TFS_ERR_REPOSITORY_MODEL_NOT_FOUND', Code.NOT_FOUND, (model: string) =>
    `failed to load '${model}', failed to poll from model repository`),
  /** tfs's own: unload of a model that is not loaded. */
  repositoryModelNotLoaded: entry('TFS_ERR_REPOSITORY_MODEL_NOT_LOADED', Code.NOT_FOUND, (model: string) =>
    `failed to unload '${model}': the model is not loaded`),
  /** tfs's own: a model name that could escape the repository folder. */
  repositoryBadModelName: entry('TFS_ERR_REPOSITORY_BAD_MODEL_NAME', Code.INVALID_ARGUMENT, (model: string) =>
    `invalid model name ${JSON.stringify(model)}: a name is one folder of the repository`),
  /** tfs's own start-up check. */
  badModelControlMode: entry('TFS_ERR_BAD_MODEL_CONTROL_MODE', Code.INVALID_ARGUMENT, (got: string) =>
    `--model_control_mode must be one of none, poll, explicit (got "${got}").`),
  /** tfs's own start-up check. */
  modelRepositoryNotFound: entry('TFS_ERR_MODEL_REPOSITORY_NOT_FOUND', Code.NOT_FOUND, (path: string) =>
    `--model_repository ${path} is not a folder`),

  // --- REST URL handling (http_rest_api_util.cc) ---
  malformedRequest: entry('TFS_ERR_MALFORMED_REQUEST', Code.INVALID_ARGUMENT, (method: string, path: string) =>
    `Malformed request: ${method} ${path}`),
  missingModelName: entry('TFS_ERR_MISSING_MODEL_NAME', Code.INVALID_ARGUMENT, () =>
    'Missing model name in request.'),
  versionNotNumeric: entry('TFS_ERR_VERSION_NOT_NUMERIC', Code.INVALID_ARGUMENT, (digits: string) =>
    `Failed to convert version: ${digits} to numeric.`),
  /** OPTIONS preflight without an http(s) Origin (http_server.cc; upstream only logs the text). */
  corsOriginMissing: entry('TFS_ERR_CORS_ORIGIN_MISSING', Code.FAILED_PRECONDITION, () =>
    'Origin header is missing in CORS preflight'),
  /** tfs's own (upstream has no limit but the 100 MiB gunzip cap): body over --rest_api_body_limit. */
  bodyTooLarge: entry('TFS_ERR_BODY_TOO_LARGE', Code.RESOURCE_EXHAUSTED, (limit: number) =>
    `Request body is larger than the limit of ${limit} bytes`, { http: 413 }),
  /** tfs's own: fastify refused the body before tfs saw it (bad Content-Length, ...): fastify's text. */
  restBodyRejected: entry('TFS_ERR_REST_BODY_REJECTED', Code.INVALID_ARGUMENT, (detail: string) => detail),
  gzipFailed: entry('TFS_ERR_GZIP_FAILED', Code.INVALID_ARGUMENT, (detail: string) =>
    `Failed to decompress gzip request body: ${detail}`),

  // --- REST JSON request/response bodies (json_tensor.cc; <dbg> = JSON value rendering) ---
  jsonDocumentEmpty: entry('TFS_ERR_JSON_DOCUMENT_EMPTY', Code.INVALID_ARGUMENT, () =>
    'JSON Parse error: The document is empty'),
  jsonParseError: entry('TFS_ERR_JSON_PARSE_ERROR', Code.INVALID_ARGUMENT, (message: string, offset: number) =>
    `JSON Parse error: ${message} at offset: ${offset}`),
  jsonNotObject: entry('TFS_ERR_JSON_NOT_OBJECT', Code.INVALID_ARGUMENT, (dbg: string) =>
    `JSON Value: ${dbg} Is not object`),
  jsonSignatureNotString: entry('TFS_ERR_JSON_SIGNATURE_NOT_STRING', Code.INVALID_ARGUMENT, (dbg: string) =>
    `JSON Value: ${dbg} not formatted correctly. 'signature_name' key must be a string value.`),
  jsonNoInputMap: entry('TFS_ERR_JSON_NO_INPUT_MAP', Code.INVALID_ARGUMENT, (signatureName: string) =>
    `Failed to get input map for signature: ${signatureName || 'DEFAULT'}`),
  jsonInputsAndInstances: entry('TFS_ERR_JSON_INPUTS_AND_INSTANCES', Code.INVALID_ARGUMENT, (dbg: string) =>
    `JSON Value: ${dbg} Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist `),
  jsonMissingInputsOrInstances: entry('TFS_ERR_JSON_MISSING_INPUTS_OR_INSTANCES', Code.INVALID_ARGUMENT, () =>
    "Missing 'inputs' or 'instances' key"),
  jsonInstancesNotArray: entry('TFS_ERR_JSON_INSTANCES_NOT_ARRAY', Code.INVALID_ARGUMENT, (dbg: string) =>
    `JSON Value: ${dbg} Expecting 'instances' to be an list/array`),
  jsonInstancesEmpty: entry('TFS_ERR_JSON_INSTANCES_EMPTY', Code.INVALID_ARGUMENT, (dbg: string) =>
    `JSON Value: ${dbg} No values in 'instances' array`),
  jsonInstancesPlainList: entry('TFS_ERR_JSON_INSTANCES_PLAIN_LIST', Code.INVALID_ARGUMENT, () =>
    'instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map'),
  jsonExpectingObjectAt: entry('TFS_ERR_JSON_EXPECTING_OBJECT_AT', Code.INVALID_ARGUMENT, (i: number) =>
    `Expecting object but got list at item ${i} of input list`),
  jsonExpectingValueAt: entry('TFS_ERR_JSON_EXPECTING_VALUE_AT', Code.INVALID_ARGUMENT, (i: number) =>
    `Expecting value/list but got object at item ${i} of input list`),
  jsonNoNamedInput: entry('TFS_ERR_JSON_NO_NAMED_INPUT', Code.INVALID_ARGUMENT, (key: string) =>
    `JSON object: does not have named input: ${key}`),
  /** Wraps an element error; `inner` prints as `CODE: message` (upstream's Status::ToString). */
  jsonInstanceElement: entry('TFS_ERR_JSON_INSTANCE_ELEMENT', Code.INVALID_ARGUMENT, (i: number, key: string | undefined, inner: TfsError) =>
    `Failed to process element: ${i}${key === undefined ? '' : ` key: ${key}`} of 'instances' list. Error: ${inner.toString()}`),
  jsonInstanceKeys: entry('TFS_ERR_JSON_INSTANCE_KEYS', Code.INVALID_ARGUMENT, (i: number, dbg: string, names: string[]) =>
    `Failed to process element: ${i} of 'instances' list. JSON object: ${dbg} keys must be equal to: ${names.join(',')}`),
  jsonTensorSize: entry('TFS_ERR_JSON_TENSOR_SIZE', Code.INVALID_ARGUMENT, (expected: number, got: number) =>
    `Expecting tensor size: ${expected} but got: ${got}`),
  jsonTensorShape: entry('TFS_ERR_JSON_TENSOR_SHAPE', Code.INVALID_ARGUMENT, (expected: string, got: string) =>
    `Expecting shape ${expected} but got: ${got}`),
  jsonInputsPlainValue: entry('TFS_ERR_JSON_INPUTS_PLAIN_VALUE', Code.INVALID_ARGUMENT, () =>
    'inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map'),
  jsonMissingNamedInput: entry('TFS_ERR_JSON_MISSING_NAMED_INPUT', Code.INVALID_ARGUMENT, (name: string) =>
    `Missing named input: ${name} in 'inputs' object.`),
  jsonListSize: entry('TFS_ERR_JSON_LIST_SIZE', Code.INVALID_ARGUMENT, (size: number, level: number, expected: number) =>
    `Encountered list at unexpected size: ${size} at level: ${level} expected size: ${expected}`),
  jsonListLevel: entry('TFS_ERR_JSON_LIST_LEVEL', Code.INVALID_ARGUMENT, (level: number, rank: number) =>
    `Encountered list at unexpected level: ${level} expected < ${rank}`),
  jsonValueLevel: entry('TFS_ERR_JSON_VALUE_LEVEL', Code.INVALID_ARGUMENT, (dbg: string, level: number, rank: number) =>
    `JSON Value: ${dbg} found at incorrect level: ${level + 1} in the JSON DOM. Expected at level: ${rank}`),
  jsonType: entry('TFS_ERR_JSON_TYPE', Code.INVALID_ARGUMENT, (dbg: string, jsonType: string, dtype: string) =>
    `JSON Value: ${dbg} Type: ${jsonType} is not of expected type: ${dtype}`),
  jsonConversionUnsupported: entry('TFS_ERR_JSON_CONVERSION_UNSUPPORTED', Code.UNIMPLEMENTED, (dbg: string, dtype: string) =>
    `Conversion of JSON Value: ${dbg} to type: ${dtype}`),
  jsonBase64Format: entry('TFS_ERR_JSON_BASE64_FORMAT', Code.INVALID_ARGUMENT, (dbg: string) =>
    `JSON Value: ${dbg} not formatted correctly for base64 data`),
  jsonBase64Decode: entry('TFS_ERR_JSON_BASE64_DECODE', Code.INVALID_ARGUMENT, () =>
    'Unable to base64 decode'),
  jsonExamplesMissing: entry('TFS_ERR_JSON_EXAMPLES_MISSING', Code.INVALID_ARGUMENT, (dbg: string) =>
    `JSON Value: ${dbg} When method is classify, key 'examples' is expected and was not found`),
  jsonExamplesNotArray: entry('TFS_ERR_JSON_EXAMPLES_NOT_ARRAY', Code.INVALID_ARGUMENT, (dbg: string) =>
    `JSON Value: ${dbg} Expecting 'examples' value to be an list/array`),
  jsonExamplesEmpty: entry('TFS_ERR_JSON_EXAMPLES_EMPTY', Code.INVALID_ARGUMENT, (dbg: string) =>
    `JSON Value: ${dbg} 'examples' value is an empty array`),
  jsonExampleNotObject: entry('TFS_ERR_JSON_EXAMPLE_NOT_OBJECT', Code.INVALID_ARGUMENT, (jsonType: string) =>
    `Example must be JSON object but got JSON ${jsonType}`),
  jsonFeatureUint64: entry('TFS_ERR_JSON_FEATURE_UINT64', Code.INVALID_ARGUMENT, (feature: string) =>
    `Feature: ${feature} has uint64_t element. Only int64_t is supported.`),
  jsonFeatureType: entry('TFS_ERR_JSON_FEATURE_TYPE', Code.INVALID_ARGUMENT, (feature: string, jsonType: string) =>
    `Feature: ${feature} has element with unexpected JSON type: ${jsonType}`),
  jsonFeatureKind: entry('TFS_ERR_JSON_FEATURE_KIND', Code.INVALID_ARGUMENT, (feature: string, kind: string) =>
    `Unexpected element type in feature: ${feature} expecting type: ${kind}`),
  jsonNoShape: entry('TFS_ERR_JSON_NO_SHAPE', Code.INVALID_ARGUMENT, (name: string) =>
    `Tensor name: ${name} has no shape information `),
  jsonInconsistentBatch: entry('TFS_ERR_JSON_INCONSISTENT_BATCH', Code.INVALID_ARGUMENT, (name: string, got: number, expected: number) =>
    `Tensor name: ${name} has inconsistent batch size: ${got} expecting: ${expected}`),
  jsonEmptyTensorMap: entry('TFS_ERR_JSON_EMPTY_TENSOR_MAP', Code.INVALID_ARGUMENT, () =>
    'Cannot convert empty tensor map to JSON'),
  jsonWriteUnsupported: entry('TFS_ERR_JSON_WRITE_UNSUPPORTED', Code.INVALID_ARGUMENT, (dtype: string) =>
    `Failed to write JSON value for tensor type: ${dtype}`),
  jsonEmptyClassification: entry('TFS_ERR_JSON_EMPTY_CLASSIFICATION', Code.INVALID_ARGUMENT, () =>
    'Cannot convert empty ClassificationResults to JSON'),
  jsonEmptyRegression: entry('TFS_ERR_JSON_EMPTY_REGRESSION', Code.INVALID_ARGUMENT, () =>
    'Cannot convert empty RegressionResults to JSON'),

  // --- lifecycle / runtime ---
  /** grpc-js's text: the reason a gRPC call's signal aborts with when its deadline passes ({@link abortError} answers runTimedOut). */
  deadlineExceeded: entry('TFS_ERR_DEADLINE_EXCEEDED', Code.DEADLINE_EXCEEDED, (what: string = 'Deadline Exceeded') =>
    what),
  cancelled: entry('TFS_ERR_CANCELLED', Code.CANCELLED, (what: string = 'Cancelled') =>
    what),
  modelLoad: entry('TFS_ERR_MODEL_LOAD', Code.FAILED_PRECONDITION, (message: string, _cause?: unknown) => message, {
    options: (_message, cause?) => withCause(cause),
  }),
  /** A model whose graph needs ops tfs lacks (and maybe other problems), at load. */
  modelUnsupportedOps: entry('TFS_ERR_MODEL_UNSUPPORTED_OPS', Code.UNIMPLEMENTED, (model: string, ops: string, others: readonly string[]) =>
    `Model ${model}: The model uses operations that tfs does not support: ${ops}${others.length > 0 ? `. Other problems: ${others.join('; ')}` : ''}`),

  // --- embedded runtime (src/runtime; TF's texts where TF has one) ---
  /** TF's FunctionCallFrame check of a feed's dtype (framework/function.cc). */
  feedDtypeMismatch: entry('TFS_ERR_FEED_DTYPE_MISMATCH', Code.INVALID_ARGUMENT, (index: number, expected: string, got: string) =>
    `Expects arg[${index}] to be ${expected} but ${got} is provided`),
  /** A value tfjs's int32 cannot hold exactly (int64/uint32/uint64 inputs, weights, results). */
  int32Refusal: entry('TFS_ERR_INT32_REFUSAL', Code.INVALID_ARGUMENT, (what: string, dtype: string, value: string) =>
    `${what}: ${dtype} value ${value} does not fit in int32; tfs computes ${dtype} tensors as int32 and refuses values it would corrupt`),
  float32Refusal: entry('TFS_ERR_FLOAT32_REFUSAL', Code.INVALID_ARGUMENT, (what: string, value: number) =>
    `${what}: double value ${value} is outside the float32 range tfs computes float64 tensors in`),
  /** tfs's own: a float64 input value float32 cannot hold (tfs carries float64 as float32, runtime/float64-policy.ts). */
  float64Inexact: entry('TFS_ERR_FLOAT64_INEXACT', Code.INVALID_ARGUMENT, (what: string, value: number) =>
    `${what}: double value ${value} is not exactly representable in float32; tfs carries float64 tensors as float32 and refuses values it would round`),
  tensorflowBackendMissing: entry('TFS_ERR_TENSORFLOW_BACKEND_MISSING', Code.FAILED_PRECONDITION, (cpuPackage: string, gpuPackage: string) =>
    `The tensorflow backend needs ${cpuPackage} (CPU) or ${gpuPackage} (CUDA GPU), and neither is installed. ` +
        `Install one next to tfs (npm install ${cpuPackage}) or use --backend wasm.`),
  modelUnloaded: entry('TFS_ERR_MODEL_UNLOADED', Code.UNAVAILABLE, (model: string) =>
    `Model ${model} has been unloaded`),
  /** TF's lookup-table and variable texts (lookup_table_op.cc, resource_variable_ops.cc). */
  tableNotInitialized: entry('TFS_ERR_TABLE_NOT_INITIALIZED', Code.FAILED_PRECONDITION, () =>
    'Table not initialized.'),
  uninitializedVariable: entry('TFS_ERR_UNINITIALIZED_VARIABLE', Code.FAILED_PRECONDITION, (name: string) =>
    `Attempting to use uninitialized value ${name}`),
  /** TF's shape checks of the layout ops tfs computes itself (runtime/kernels/layout.ts). */
  bandPartRank: entry('TFS_ERR_BAND_PART_RANK', Code.INVALID_ARGUMENT, (shape: string) =>
    `input must be at least 2-dim, received shape: ${shape}`),
  bandPartLimit: entry('TFS_ERR_BAND_PART_LIMIT', Code.INVALID_ARGUMENT, (arg: string, dim: string, size: number, got: number) =>
    `${arg} must be negative or less or equal to number of ${dim} (${size}) got: ${got}`),
  axisOutOfRange: entry('TFS_ERR_AXIS_OUT_OF_RANGE', Code.INVALID_ARGUMENT, (what: string, axis: number, rank: number) =>
    `Expected ${what} in the range [${-rank}, ${rank}), but got ${axis}`),
  reverseDimsLength: entry('TFS_ERR_REVERSE_DIMS_LENGTH', Code.INVALID_ARGUMENT, (rank: number, got: number) =>
    `'dims' must have the same number of values as 'input' has dimensions. 'input' has ${rank}'dims' has ${got} values`),
  tileMultiplesLength: entry('TFS_ERR_TILE_MULTIPLES_LENGTH', Code.INVALID_ARGUMENT, (rank: number, got: number) =>
    `Expected multiples argument to be a vector of length ${rank} but got length ${got}`),
  gatherBatchDims: entry('TFS_ERR_GATHER_BATCH_DIMS', Code.INVALID_ARGUMENT, (batchDims: number, axis: number, indicesRank: number) =>
    batchDims > axis ? `batch_dims (${batchDims}) must be less than or equal to axis (${axis}).`
      : `Expected batch_dims in the range [${-indicesRank}, ${indicesRank}], but got ${batchDims}`),
  gatherBatchShape: entry('TFS_ERR_GATHER_BATCH_SHAPE', Code.INVALID_ARGUMENT, (d: number, params: number, indices: number) =>
    `params.shape[${d}]: ${params} should be equal to indices.shape[${d}]: ${indices}`),
  gatherIndexOutOfRange: entry('TFS_ERR_GATHER_INDEX_OUT_OF_RANGE', Code.INVALID_ARGUMENT, (at: string, index: number, limit: number) =>
    `indices[${at}] = ${index} is not in [0, ${limit})`),
  /** tf.Example parsing (example_proto_fast_parsing.cc). */
  exampleUnparsable: entry('TFS_ERR_EXAMPLE_UNPARSABLE', Code.INVALID_ARGUMENT, (value: string) =>
    `Could not parse example input, value: '${value}'`),
  exampleFeatureRequired: entry('TFS_ERR_EXAMPLE_FEATURE_REQUIRED', Code.INVALID_ARGUMENT, (example: string, feature: string, dtype: string) =>
    `Name: ${example}, Feature: ${feature} (data type: ${dtype}) is required but could not be found.`),
  exampleDtypeMismatch: entry('TFS_ERR_EXAMPLE_DTYPE_MISMATCH', Code.INVALID_ARGUMENT, (example: string, feature: string, index: number, got: string, want: string) =>
    `Name: ${example}, Key: ${feature}, Index: ${index}.  Data types don't match. Data type: ${got} but expected type: ${want}`),
  exampleSizeMismatch: entry('TFS_ERR_EXAMPLE_SIZE_MISMATCH', Code.INVALID_ARGUMENT, (example: string, feature: string, index: number, kind: string, size: number, shape: string) =>
    `Name: ${example}, Key: ${feature}, Index: ${index}.  Number of ${kind} values != expected.  Values size: ${size} but output shape: ${shape}`),
  /** A FixedLenSequenceFeature whose value count is not a whole number of rows (example_proto_fast_parsing.cc). */
  exampleStrideMismatch: entry('TFS_ERR_EXAMPLE_STRIDE_MISMATCH', Code.INVALID_ARGUMENT, (example: string, feature: string, index: number, kind: string, size: number, shape: string) =>
    `Name: ${example}, Key: ${feature}, Index: ${index}.  Number of ${kind} values is not a multiple of stride length. Saw ${size} values but output shape is: ${shape}`),

  // --- model lifecycle (server_core.cc, loader_harness.cc, load_servables_fast.cc) ---
  loadCancelled: entry('TFS_ERR_LOAD_CANCELLED', Code.CANCELLED, () =>
    'Load cancelled before we could try to load.'),
  labelVersionNotAvailable: entry('TFS_ERR_LABEL_VERSION_NOT_AVAILABLE', Code.FAILED_PRECONDITION, (model: string, version: number) =>
    `Request to assign label to version ${version} of model ${model}, which is not currently available for inference`),
  modelListedTwice: entry('TFS_ERR_MODEL_LISTED_TWICE', Code.INVALID_ARGUMENT, (model: string) =>
    `Illegal to list model ${model} multiple times in config list`),
  basePathNotAbsolute: entry('TFS_ERR_BASE_PATH_NOT_ABSOLUTE', Code.INVALID_ARGUMENT, (model: string, basePath: string) =>
    `Expected model ${model} to have an absolute path or URI; got base_path()=${basePath}`),
  unsupportedPlatform: entry('TFS_ERR_UNSUPPORTED_PLATFORM', Code.INVALID_ARGUMENT, (model: string, platform: string) =>
    `Model ${model} requests unsupported platform ${platform}`),
  platformChanged: entry('TFS_ERR_PLATFORM_CHANGED', Code.INVALID_ARGUMENT, (model: string, was: string, requested: string) =>
    `Illegal to change a model's platform. For model ${model} platform was ${was} and new platform requested is ${requested}`),
  /**
   * Startup (`servable`) or reload (`model`) waited for models that failed; each entry is
   * `{name: m version: v} due to error: CODE: msg` (or without the error part) and is wrapped
   * in braces, as upstream: `1 servable(s) did not become available: {{{name: m version: 1} due to error: …}, }`.
   */
  didNotBecomeAvailable: entry('TFS_ERR_DID_NOT_BECOME_AVAILABLE', Code.UNKNOWN, (kind: 'servable' | 'model', entries: readonly string[]) =>
    `${entries.length} ${kind}(s) did not become available: {${entries.map((e) => `{${e}}, `).join('')}}`),
  /** tfs's own: a lifecycle call arrived after close(). */
  serverShuttingDown: entry('TFS_ERR_SERVER_SHUTTING_DOWN', Code.UNAVAILABLE, () =>
    'Server is shutting down'),

  // --- warmup (saved_model_warmup_util.cc, saved_model_warmup.cc) ---
  warmupTooManyRecords: entry('TFS_ERR_WARMUP_TOO_MANY_RECORDS', Code.INVALID_ARGUMENT, (path: string) =>
    `Number of warmup records exceeds the maximum (1000) at ${path}`),
  warmupUnparsableRecord: entry('TFS_ERR_WARMUP_UNPARSABLE_RECORD', Code.INVALID_ARGUMENT, (record: string, path: string) =>
    `Failed to parse warmup record: ${record} from ${path}`),
  warmupUnsupportedLogType: entry('TFS_ERR_WARMUP_UNSUPPORTED_LOG_TYPE', Code.UNIMPLEMENTED, (logTypeCase: number) =>
    `Unsupported log_type for warmup: ${logTypeCase}`),
  /** TFRecord framing error (`corrupted record at <offset>`, `truncated record at <offset>`). */
  warmupDataLoss: entry('TFS_ERR_WARMUP_DATA_LOSS', Code.DATA_LOSS, (message: string) =>
    `${message}. Please verify your warmup data is in TFRecord format.`),

  // --- SavedModel / checkpoint reading (tensorflow/cc/saved_model/reader.cc; tfs's own texts otherwise) ---
  savedModelNotFound: entry('TFS_ERR_SAVED_MODEL_NOT_FOUND', Code.NOT_FOUND, (dir: string, _hint?: string) =>
    `Could not find SavedModel .pb or .pbtxt at supplied export directory path: ${dir}. Check that the directory exists and that you have the right permissions for accessing it.`, {
    options: (_dir, hint?) => (hint === undefined ? {} : { hint }),
  }),
  metaGraphNotFound: entry('TFS_ERR_META_GRAPH_NOT_FOUND', Code.NOT_FOUND, (tags: readonly string[]) =>
    `Could not find meta graph def matching supplied tags: { ${tags.join(' ')} }. To inspect available tag-sets in the SavedModel, please use the SavedModel CLI: \`saved_model_cli\``),
  /** A model file exists but its bytes are wrong (bad checksum, truncated, undecodable). */
  corruptModelFile: entry('TFS_ERR_CORRUPT_MODEL_FILE', Code.DATA_LOSS, (file: string, detail: string) =>
    `Corrupt file ${file}: ${detail}`),
  /** A file the model needs is missing. */
  missingModelFile: entry('TFS_ERR_MISSING_MODEL_FILE', Code.NOT_FOUND, (file: string, detail: string) =>
    `${detail}: ${file}`),
  /** A valid model file uses a feature tfs does not implement. */
  unsupportedModelFeature: entry('TFS_ERR_UNSUPPORTED_MODEL_FEATURE', Code.UNIMPLEMENTED, (file: string, detail: string) =>
    `${file}: ${detail}`),
  signatureDefKeyNotFound: entry('TFS_ERR_SIGNATURE_DEF_KEY_NOT_FOUND', Code.NOT_FOUND, (key: string, tags: readonly string[], file: string, _known: readonly string[]) =>
    `SignatureDef key "${key}" not found in the MetaGraphDef with tag-set '${tags.join(', ')}' of ${file}`, {
    options: (_key, _tags, _file, known) => ({ hint: `signature keys: ${known.join(', ') || '(none)'}` }),
  }),
  emptyTagSet: entry('TFS_ERR_EMPTY_TAG_SET', Code.INVALID_ARGUMENT, () =>
    'tag_set must contain at least one non-empty item.'),
  checkpointKeyNotFound: entry('TFS_ERR_CHECKPOINT_KEY_NOT_FOUND', Code.NOT_FOUND, (key: string, prefix: string) =>
    `Key ${key} not found in checkpoint ${prefix}`),

  // --- config files (proto_util.h, server_core.cc) ---
  invalidProtobufFile: entry('TFS_ERR_INVALID_PROTOBUF_FILE', Code.INVALID_ARGUMENT, (path: string) =>
    `Invalid protobuf file: '${path}'`),

  // --- tfs's own failures (bugs or a broken environment, never the client's fault) ---
  /** Anything thrown that is not a TfsError (see {@link asTfsError}): its text, INTERNAL. */
  internal: entry('TFS_ERR_INTERNAL', Code.INTERNAL, (message: string, _cause?: unknown) => message, {
    options: (_message, cause?) => withCause(cause),
  }),
  /** tfs's own: tfjs or tfs broke during a run (a TypeError, a bug); the log has the stack. Heap-breaking failures are runtimeFault. */
  runtimeCrash: entry('TFS_ERR_RUNTIME_CRASH', Code.INTERNAL, (what: string, _cause?: unknown) =>
    `the model runtime failed while running the model: ${what}`, {
    options: (_what, cause?) => withCause(cause),
  }),
  /**
   * tfs's own: the runtime itself failed during a run (a wasm abort or trap, out of memory,
   * a stack overflow); the runtime is rebuilt and the models reloaded before the next run.
   */
  runtimeFault: entry('TFS_ERR_RUNTIME_FAULT', Code.INTERNAL, (model: string, detail: string, _cause?: unknown) =>
    `The runtime failed while running ${model}: ${detail}; it is being rebuilt and the models reloaded`, {
    options: (_m, _d, cause?) => withCause(cause),
  }),
  runtimeResourcesMissing: entry('TFS_ERR_RUNTIME_RESOURCES_MISSING', Code.INTERNAL, (modelId: number) =>
    `model ${modelId} has no registered resources`),
  runtimeUnknownVariable: entry('TFS_ERR_RUNTIME_UNKNOWN_VARIABLE', Code.INTERNAL, (res: string) => `unknown variable ${res}`),
  runtimeUnknownTable: entry('TFS_ERR_RUNTIME_UNKNOWN_TABLE', Code.INTERNAL, (res: string) => `unknown table ${res}`),
  customOpInputMissing: entry('TFS_ERR_CUSTOM_OP_INPUT_MISSING', Code.INTERNAL, (i: number) => `custom op input ${i} is missing`),
  unknownCheckedInt64Op: entry('TFS_ERR_UNKNOWN_CHECKED_INT64_OP', Code.INTERNAL, (op: number) => `unknown checked int64 op ${op}`),

  // --- op kernels of src/runtime/kernels/ (texts from TensorFlow's kernels where it has one) ---
  /** A kernel refused its inputs the way TensorFlow's kernel does (the text is TF's). */
  kernelArgument: entry('TFS_ERR_KERNEL_ARGUMENT', Code.INVALID_ARGUMENT, (text: string) => text),
  /** A kernel found its input data corrupt, as TensorFlow's kernel reports it (DATA_LOSS; the text is TF's). */
  kernelDataLoss: entry('TFS_ERR_KERNEL_DATA_LOSS', Code.DATA_LOSS, (text: string) => text),
  /** An attr or input value TF accepts but tfs's kernel cannot compute exactly (tfs's text). */
  kernelUnsupported: entry('TFS_ERR_KERNEL_UNSUPPORTED', Code.UNIMPLEMENTED, (op: string, what: string) =>
    `${op}: tfs cannot compute ${what} exactly, so it refuses rather than answer differently from TensorFlow`),
  /** From string_to_number_op.cc. */
  stringToNumberFailed: entry('TFS_ERR_STRING_TO_NUMBER_FAILED', Code.INVALID_ARGUMENT, (s: string) =>
    `StringToNumberOp could not correctly convert string: ${s}`),
  /** From lib/strings/base64.cc. */
  base64InvalidCharacter: entry('TFS_ERR_BASE64_INVALID_CHARACTER', Code.INVALID_ARGUMENT, () => 'Invalid character found in base64.'),
  base64InvalidLength: entry('TFS_ERR_BASE64_INVALID_LENGTH', Code.INVALID_ARGUMENT, () =>
    'Base64 string length cannot be 1 modulo 4.'),
  /** A regular expression (RE2 syntax) that tfs cannot run with the same meaning in JavaScript. */
  regexUntranslatable: entry('TFS_ERR_REGEX_UNTRANSLATABLE', Code.UNIMPLEMENTED, (pattern: string, why: string) =>
    `tfs cannot run the RE2 pattern ${JSON.stringify(pattern)} with TensorFlow's meaning: ${why}`),
  /** RE2 rejected the pattern (regex_full_match_op.cc / regex_replace_op.cc wording). */
  regexInvalid: entry('TFS_ERR_REGEX_INVALID', Code.INVALID_ARGUMENT, (pattern: string, why: string) =>
    `Invalid pattern: ${pattern}, error: ${why}`),
  /** The graph's result does not have the values its shape says. */
  runtimeValueCount: entry('TFS_ERR_RUNTIME_VALUE_COUNT', Code.INTERNAL, (what: string, count: number, shape: readonly number[]) =>
    `${what}: ${count} values for shape [${shape.join(',')}]`),
  runtimeDtypeMismatch: entry('TFS_ERR_RUNTIME_DTYPE_MISMATCH', Code.INTERNAL, (what: string, computed: string, declared: string) =>
    `${what}: the graph computed a ${computed} tensor where the signature declares ${declared}`),
  batchConcatFailed: entry('TFS_ERR_BATCH_CONCAT_FAILED', Code.INTERNAL, (detail: string) =>
    `Tensor concat operation failed: ${detail}`),
  k8sSchemaInvalid: entry('TFS_ERR_K8S_SCHEMA_INVALID', Code.INTERNAL, (kind: string, name: string, detail: string) =>
    `generated ${kind} '${name}' does not validate against its schema: ${detail}`, {
    options: () => ({ hint: 'This is a bug in tfs gen k8s; please report it with the command line.' }),
  }),

  // --- kernels of the embedded runtime (TF's kernel texts) ---
  /** A kernel's own error during a run: TF reports these as INVALID_ARGUMENT with the kernel's text. */
  kernelError: entry('TFS_ERR_KERNEL', Code.INVALID_ARGUMENT, (message: string, _cause?: unknown, _hint?: string) => message, {
    options: (_message, cause?, hint?) => ({ ...withCause(cause), ...(hint === undefined ? {} : { hint }) }),
  }),
  /** TF's kernel texts for shape errors tfjs words differently (matmul_op.cc, batch_matmul_op_impl.h, bcast, reshape_op.h). */
  matMulSizeIncompatible: entry('TFS_ERR_MATMUL_SIZE_INCOMPATIBLE', Code.INVALID_ARGUMENT, (a: string, b: string) =>
    `Matrix size-incompatible: In[0]: ${a}, In[1]: ${b}`),
  batchMatMulMismatch: entry('TFS_ERR_BATCH_MATMUL_MISMATCH', Code.INVALID_ARGUMENT, (d1: number, d2: number, a: string, b: string, adjX: boolean, adjY: boolean) =>
    `In[0] mismatch In[1] shape: ${d1} vs. ${d2}: ${a} ${b} ${Number(adjX)} ${Number(adjY)}`),
  reshapeSize: entry('TFS_ERR_RESHAPE_SIZE', Code.INVALID_ARGUMENT, (values: number, requested: number, implicit: boolean) =>
    `Input to reshape is a tensor with ${values} values, but the requested shape ${implicit ? 'requires a multiple of' : 'has'} ${requested}`),
  /** ParseExample's check (example_parsing_ops.cc). */
  parseExampleSerializedShape: entry('TFS_ERR_PARSE_EXAMPLE_SERIALIZED_SHAPE', Code.INVALID_ARGUMENT, (shape: readonly number[]) =>
    `Expected serialized to be a scalar or vector, got shape: [${shape.join(',')}]`),
  varLenDenseFeature: entry('TFS_ERR_VAR_LEN_DENSE_FEATURE', Code.UNIMPLEMENTED, (key: string) =>
    `dense feature ${key}: variable-length dense features are not supported by tfs`),
  /** BCast's text (util/bcast.h). */
  incompatibleShapes: entry('TFS_ERR_INCOMPATIBLE_SHAPES', Code.INVALID_ARGUMENT, (a: readonly number[], b: readonly number[]) =>
    `Incompatible shapes: [${a.join(',')}] vs. [${b.join(',')}]`),
  /** Lookup-table ops (lookup_table_op.cc, lookup_util.cc): import and text-file initializers. */
  tableValueShape: entry('TFS_ERR_TABLE_VALUE_SHAPE', Code.INVALID_ARGUMENT, (expected: number, got: number) =>
    `Expected shape [${expected}] for value, got [${got}]`),
  tableFileUnreadable: entry('TFS_ERR_TABLE_FILE_UNREADABLE', Code.NOT_FOUND, (path: string, detail: string) => `${path}; ${detail}`),
  tableVocabSize: entry('TFS_ERR_TABLE_VOCAB_SIZE', Code.INVALID_ARGUMENT, (path: string, expected: number, got: number) =>
    `Invalid vocab_size in ${path}: expected ${expected} lines but the file has ${got}`),
  tableColumns: entry('TFS_ERR_TABLE_COLUMNS', Code.INVALID_ARGUMENT, (path: string, lineNo: number, line: string, expected: number, got: number) =>
    `Invalid number of columns in ${path} line ${lineNo} (${line}) : expected ${expected} got ${got}`),
  tableFieldNotNumber: entry('TFS_ERR_TABLE_FIELD_NOT_NUMBER', Code.INVALID_ARGUMENT, (field: string, lineNo: number) =>
    `Field ${field} in line ${lineNo} is not a valid number.`),
  /** tfs's own limit: a TensorList/TensorArray is one dense tensor, so its elements share a shape. */
  tensorListMixedShapes: entry('TFS_ERR_TENSOR_LIST_MIXED_SHAPES', Code.UNIMPLEMENTED, (had: readonly number[], got: readonly number[]) =>
    `a TensorList holds elements of shape [${had.join(',')}] and is given one of shape [${got.join(',')}]: tfs supports lists whose elements all have one shape`),
  runtimeDtypeUnsupported: entry('TFS_ERR_RUNTIME_DTYPE_UNSUPPORTED', Code.UNIMPLEMENTED, (what: string, dtype: string) =>
    `${what}: dtype ${dtype} is not supported by the tfs runtime`),

  // --- runtime backends (tfs's own) ---
  tensorflowBackendLoadFailed: entry('TFS_ERR_TENSORFLOW_BACKEND_LOAD_FAILED', Code.FAILED_PRECONDITION, (pkg: string, detail: string, _cause?: unknown) =>
    `${pkg} is installed but failed to load: ${detail}`, { options: (_pkg, _detail, cause?) => withCause(cause) }),
  tensorflowBackendOtherCore: entry('TFS_ERR_TENSORFLOW_BACKEND_OTHER_CORE', Code.FAILED_PRECONDITION, (pkg: string, coreVersion: string) =>
    `${pkg} is installed but registered its backend with another copy of @tensorflow/tfjs-core than tfs uses (${coreVersion}); install a version of ${pkg} that depends on @tensorflow/tfjs-core ${coreVersion}.`),
  backendInitFailed: entry('TFS_ERR_BACKEND_INIT_FAILED', Code.FAILED_PRECONDITION, (name: string) =>
    `tfjs backend ${name} failed to initialize`),

  // --- TensorFlow runtime: the native addon (src/native; tfs's own texts, TF's own for TF's statuses) ---
  nativeNotInstalled: entry('TFS_ERR_NATIVE_NOT_INSTALLED', Code.FAILED_PRECONDITION, (dir: string) =>
    `The tensorflow runtime needs the tfs native addon, and there is none in ${dir}. ` +
        'Build it once with `tfs native install` (it needs g++ and a pip-installed tensorflow or tensorflow-cpu: ' +
        '`tfs native install --python <python with tensorflow>`, or `--libtensorflow <dir>`), set TFS_NATIVE_DIR to where it was built, ' +
        'or use --runtime embedded.'),
  nativeLoadFailed: entry('TFS_ERR_NATIVE_LOAD_FAILED', Code.FAILED_PRECONDITION, (file: string, detail: string) =>
    `The tfs native addon ${file} failed to load: ${detail}. Rebuild it with \`tfs native install\`.`),
  nativeInstallFailed: entry('TFS_ERR_NATIVE_INSTALL_FAILED', Code.FAILED_PRECONDITION, (detail: string) =>
    `tfs native install failed: ${detail}`),
  badRuntime: entry('TFS_ERR_BAD_RUNTIME', Code.INVALID_ARGUMENT, (got: string) =>
    `--runtime must be one of embedded, tensorflow, auto (got "${got}").`),

  // --- gRPC server options (tfs's own texts for flags upstream parses without checks) ---
  /**
   * tfs's own: a gRPC request message that is not valid protobuf for its method. Deliberate
   * difference: upstream's C++ gRPC answers INTERNAL (the protobuf parse failure of the
   * generated stub); the client sent the bad bytes, so tfs says INVALID_ARGUMENT.
   */
  grpcUnparsableRequest: entry('TFS_ERR_GRPC_UNPARSABLE_REQUEST', Code.INVALID_ARGUMENT, (type: string, detail: string) =>
    `Could not parse the request as ${type}: ${detail}`),
  grpcChannelArgumentSyntax: entry('TFS_ERR_GRPC_CHANNEL_ARGUMENT_SYNTAX', Code.INVALID_ARGUMENT, (raw: string) =>
    `Invalid --grpc_channel_arguments entry '${raw}': expected key=value (e.g. grpc.max_connection_age_ms=2000)`),
  grpcMaxMessageSize: entry('TFS_ERR_GRPC_MAX_MESSAGE_SIZE', Code.INVALID_ARGUMENT, (bytes: number) =>
    `Invalid gRPC max message size ${bytes} (bytes, or -1 for no limit)`),
  invalidSslConfig: entry('TFS_ERR_INVALID_SSL_CONFIG', Code.INVALID_ARGUMENT, (detail: string, _cause?: unknown) =>
    `Invalid SSLConfig: ${detail}`, {
    options: (_detail, cause?) => ({
      hint: 'server_key, server_cert and custom_ca hold PEM contents (not file paths), and the key must match the certificate.',
      ...withCause(cause),
    }),
  }),
  grpcBuildAndStart: entry('TFS_ERR_GRPC_BUILD_AND_START', Code.INVALID_ARGUMENT, (detail: string, _cause?: unknown) =>
    `Failed to BuildAndStart gRPC server: ${detail}`, { options: (_detail, cause?) => withCause(cause) }),

  // --- start-up checks (main.cc / server.cc BuildAndStart; thrown as StartupError) ---
  noGrpcPortOrSocket: entry('TFS_ERR_NO_GRPC_PORT_OR_SOCKET', Code.INVALID_ARGUMENT, () =>
    'At least one of server_options.grpc_port or server_options.grpc_socket_path must be set.'),
  altsWithSsl: entry('TFS_ERR_ALTS_WITH_SSL', Code.INVALID_ARGUMENT, () =>
    'Either use_alts_credentials must be false or ssl_config_file must be empty.'),
  noModelBasePathOrConfig: entry('TFS_ERR_NO_MODEL_BASE_PATH_OR_CONFIG', Code.INVALID_ARGUMENT, () =>
    'Both server_options.model_base_path and server_options.model_config_file are empty!'),
  batchingFileWithoutBatching: entry('TFS_ERR_BATCHING_FILE_WITHOUT_BATCHING', Code.INVALID_ARGUMENT, () =>
    'server_options.batching_parameters_file is set without setting server_options.enable_batching to true.'),
  sessionParallelismConflict: entry('TFS_ERR_SESSION_PARALLELISM_CONFLICT', Code.INVALID_ARGUMENT, () =>
    'Either configure server_options.tensorflow_session_parallelism or (server_options.tensorflow_intra_op_parallelism, server_options.tensorflow_inter_op_parallelism) separately. You cannot configure all.'),
  /** tfs's own: upstream logs this and runs without REST; tfs refuses, since a user asked for both. */
  restPortIsGrpcPort: entry('TFS_ERR_REST_PORT_IS_GRPC_PORT', Code.INVALID_ARGUMENT, (rest: number, grpc: number) =>
    `--rest_api_port (${rest}) must differ from --port (${grpc}).`),
  /** tfs's own flag checks. */
  badBatchExecution: entry('TFS_ERR_BAD_BATCH_EXECUTION', Code.INVALID_ARGUMENT, (got: string) =>
    `--batch_execution must be one of auto, in-thread, workers (got "${got}").`),
  badBatchWorkerThreads: entry('TFS_ERR_BAD_BATCH_WORKER_THREADS', Code.INVALID_ARGUMENT, (got: number) =>
    `--batch_worker_threads must be 0 or more (got ${got}).`),
  badBackend: entry('TFS_ERR_BAD_BACKEND', Code.INVALID_ARGUMENT, (got: string) =>
    `--backend must be one of auto, wasm, cpu, tensorflow (got "${got}").`),
  /** Upstream's file-system source text; tfs refuses to start on it (upstream waits forever). */
  basePathNotFound: entry('TFS_ERR_BASE_PATH_NOT_FOUND', Code.NOT_FOUND, (path: string, model: string) =>
    `Could not find base path ${path} for servable ${model}`),
  /**
   * Upstream's file-system source text with the status of the failed look (an object store
   * that is missing, refuses the credentials or cannot be reached); tfs refuses to start on it.
   */
  basePathUnreadable: entry('TFS_ERR_BASE_PATH_UNREADABLE', Code.NOT_FOUND, (path: string, model: string, status: string) =>
    `Could not find base path ${path} for servable ${model} with error ${status}`),
  /** TF's text for a scheme without a file system, plus what to use instead (tfs reads local paths, file:// and s3://). */
  unsupportedFileSystemScheme: entry('TFS_ERR_UNSUPPORTED_FILE_SYSTEM_SCHEME', Code.UNIMPLEMENTED, (scheme: string, path: string) =>
    `File system scheme '${scheme}' not implemented (file: '${path}'); tfs reads local paths, file:// and s3:// base paths. ` +
    (scheme === 'gs'
      ? "For Cloud Storage use its S3 interoperability endpoint (S3_ENDPOINT=https://storage.googleapis.com with HMAC keys as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and base_path s3://bucket/..., or mount the bucket as a volume and use its local path"
      : `Mount the ${scheme}:// store as a volume and use its local path, or copy the models to an S3-compatible store and use s3://bucket/...`)),
  /** tfs's own: SIGINT/SIGTERM before the server was up. */
  startupInterrupted: entry('TFS_ERR_STARTUP_INTERRUPTED', Code.CANCELLED, (signal: string) =>
    `start-up interrupted by ${signal}`),
  /** tfs's own: a warmup request's reloadConfig (warmup runs before the server core exists). */
  warmupReloadUnavailable: entry('TFS_ERR_WARMUP_RELOAD_UNAVAILABLE', Code.FAILED_PRECONDITION, () =>
    'not available during warmup'),

  // --- config text format (protobuf text_format.cc; thrown as TextFormatError) ---
  textFormatParse: entry('TFS_ERR_TEXT_FORMAT_PARSE', Code.INVALID_ARGUMENT, (file: string, line: number, column: number, reason: string) =>
    `${file}:${line}:${column}: ${reason}`),

  // --- tfs inspect --run (tfs's own) ---
  inspectNotAModel: entry('TFS_ERR_INSPECT_NOT_A_MODEL', Code.NOT_FOUND, (dir: string) =>
    `${dir} is neither a SavedModel directory nor a base path with SavedModel versions`),
  inspectInputsUnreadable: entry('TFS_ERR_INSPECT_INPUTS_UNREADABLE', Code.INVALID_ARGUMENT, (file: string, detail: string) =>
    `cannot read --inputs file ${file}: ${detail}`),
  inspectInputsRequired: entry('TFS_ERR_INSPECT_INPUTS_REQUIRED', Code.INVALID_ARGUMENT, (signature: string, aliases: readonly string[]) =>
    `--inputs is required: signature ${signature} takes ${aliases.join(', ')}`),
  inspectNoInputsTaken: entry('TFS_ERR_INSPECT_NO_INPUTS_TAKEN', Code.INVALID_ARGUMENT, (signature: string) =>
    `signature ${signature} takes no inputs; omit --inputs (or pass {})`),
} as const;

/** A start-up failure: printed as upstream's `Failed to start server. Error: <CODE>: <message>`. */
export class StartupError extends TfsError {
  constructor(err: TfsError) {
    super(err.code, err.message, { id: err.id, cause: err, ...(err.hint === undefined ? {} : { hint: err.hint }) });
    this.name = 'StartupError';
  }
}

/**
 * A kernel's exception during a model run, as the client sees it. TF reports kernel
 * failures (shape mismatches inside the graph, ...) as INVALID_ARGUMENT with the kernel's
 * text, and tfjs throws plain `Error`s for those. A TypeError, ReferenceError or
 * SyntaxError (or a thrown non-Error) is a bug in tfs or tfjs: INTERNAL, not the client's fault.
 */
export function kernelFailure(err: unknown, hint?: string): TfsError {
  if (err instanceof TfsError) return err;
  if (!(err instanceof Error) || err instanceof TypeError || err instanceof ReferenceError || err instanceof SyntaxError) {
    return asTfsError(err);
  }
  return Errors.kernelError(err.message, err, hint);
}

/**
 * A TF_Status from TensorFlow's own runtime (the native addon), as the client sees it: TF's
 * code (TF's codes are the canonical ones; anything else is UNKNOWN) and TF's own message,
 * as tensorflow_model_server passes session errors through.
 */
export function tensorflowStatusError(tfCode: number, message: string, cause?: unknown): TfsError {
  const code = CODE_NAMES[tfCode] === undefined || tfCode === Code.OK ? Code.UNKNOWN : (tfCode as Code);
  return new TfsError(code, message, { id: 'TFS_ERR_TENSORFLOW_STATUS', ...withCause(cause) });
}
