/**
 * The one error type of tfs, and the one table that maps canonical status codes
 * to HTTP statuses.
 *
 * Every failure that reaches a client is a {@link TfsError}: a canonical status
 * code (numerically identical to gRPC status codes and to `tensorflow.error.Code`)
 * plus a message. Messages that upstream tensorflow_model_server produces are
 * reproduced exactly (see ../shared/docs/tfserving-spec.md), so clients that
 * match on texts keep working. gRPC returns `code` as the call status; REST derives
 * the HTTP status with {@link httpStatusOf}; the CLI prints `message` (and `hint`).
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

export interface TfsErrorOptions {
  /** What the user can do about it (CLI and logs only; never part of the wire message). */
  hint?: string;
  /** Where in a file the problem is (config errors). */
  location?: { file: string; line: number; column: number };
  cause?: unknown;
}

export class TfsError extends Error {
  readonly code: Code;
  readonly hint: string | undefined;
  readonly location: { file: string; line: number; column: number } | undefined;

  constructor(code: Code, message: string, options: TfsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TfsError';
    this.code = code;
    this.hint = options.hint;
    this.location = options.location;
  }

  get codeName(): string {
    return codeName(this.code);
  }

  get httpStatus(): number {
    return httpStatusOf(this.code);
  }

  /** `INVALID_ARGUMENT: <message>`, the form upstream uses when nesting statuses in messages. */
  override toString(): string {
    return `${this.codeName}: ${this.message}`;
  }
}

/** Any thrown value as a TfsError (unexpected ones become INTERNAL, keeping their text). */
export function asTfsError(err: unknown): TfsError {
  if (err instanceof TfsError) return err;
  if (err instanceof Error) return new TfsError(Code.INTERNAL, err.message, { cause: err });
  return new TfsError(Code.INTERNAL, String(err));
}

/**
 * The error table: every error tfs produces, by name, with its status code and message.
 * Texts in quotes are upstream's exact texts; keep them byte-for-byte.
 * Add new entries here rather than constructing ad-hoc TfsErrors elsewhere.
 */
export const Errors = {
  // --- model spec resolution (server_core.cc, basic_manager.cc) ---
  missingModelSpec: () => new TfsError(Code.INVALID_ARGUMENT, 'Missing ModelSpec'),
  modelSpecNoName: () => new TfsError(Code.INVALID_ARGUMENT, 'ModelSpec has no name specified.'),
  servableNotFoundLatest: (name: string) =>
    new TfsError(Code.NOT_FOUND, `Servable not found for request: Latest(${name})`),
  servableNotFoundSpecific: (name: string, version: number | bigint | string) =>
    new TfsError(Code.NOT_FOUND, `Servable not found for request: Specific(${name}, ${version})`),
  unknownVersionLabel: (label: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Unrecognized servable version label: ${label}`),
  labelsNotInitialized: (label: string) =>
    new TfsError(Code.UNAVAILABLE, `Model labels does not init yet.${label}`),
  versionAndLabel: (version: number | string, label: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Both model version (${version}) and model version label (${label}) cannot be supplied.`,
    ),

  // --- model status (get_model_status_impl.cc) ---
  noVersionsOfModel: (name: string) => new TfsError(Code.NOT_FOUND, `Could not find any versions of model ${name}`),
  noSuchVersionOfModel: (name: string, version: number | string) =>
    new TfsError(Code.NOT_FOUND, `Could not find version ${version} of model ${name}`),

  // --- metadata (get_model_metadata_impl.cc) ---
  metadataFieldMissing: () =>
    new TfsError(Code.INVALID_ARGUMENT, 'GetModelMetadataRequest must specify at least one metadata_field'),
  metadataFieldUnsupported: (field: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Metadata field ${field} is not supported`),

  // --- predict (predict_util.cc, saved_model util.cc) ---
  predictSignatureNotFound: (sig: string) =>
    new TfsError(Code.FAILED_PRECONDITION, `Serving signature key "${sig}" not found.`),
  restSignatureNotFound: (sig: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Serving signature name: "${sig}" not found in signature def`),
  tensorParsingError: (alias: string) => new TfsError(Code.INVALID_ARGUMENT, `tensor parsing error: ${alias}`),
  outputAliasNotFound: (alias: string, known: string[]) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `output tensor alias not found in signature: ${alias} Outputs expected to be in the set {${[...known].sort().join(',')}}.`,
    ),
  duplicateOutputAlias: (alias: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `duplicate output tensor alias: ${alias}`),
  inputSizeMismatch: (reqKeys: string[], sigKeys: string[]) => {
    const req = [...reqKeys].sort();
    const sig = [...sigKeys].sort();
    const extra = req.filter((k) => !sig.includes(k));
    const missing = sig.filter((k) => !req.includes(k));
    return new TfsError(
      Code.INVALID_ARGUMENT,
      `input size does not match signature: ${req.length}!=${sig.length} len({${req.join(',')}}) != len({${sig.join(',')}}). Sent extra: {${extra.join(',')}}. Missing but required: {${missing.join(',')}}.`,
    );
  },
  inputAliasNotFound: (alias: string, feedName: string, reqKeys: string[], defaultKeys: string[]) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Signature input alias: ${alias}(feed name: ${feedName}) not found in request and no default value provided. Inputs expected to be in the request {${[...reqKeys].sort().join(',')}}, or default input alias set: ${[...defaultKeys].sort().join(',')}`,
    ),
  invalidInputName: (used: string[], reqKeys: string[]) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Inputs contains invalid name. Used request inputs: ${[...used].sort().join(',')}, request input: ${[...reqKeys].sort().join(',')}`,
    ),
  predictMethodName: (method: string) =>
    new TfsError(
      Code.INTERNAL,
      `Expected prediction signature method_name to be one of {tensorflow/serving/predict, tensorflow/serving/classify, tensorflow/serving/regress}. Was: ${method}`,
    ),
  /** TF's DirectSession text when RunOptions.timeout_in_ms expires. */
  runTimedOut: () => new TfsError(Code.DEADLINE_EXCEEDED, 'Timed out waiting for notification'),

  // --- classify / regress (classifier.cc, regressor.cc) ---
  classifyRegressSignatureNotFound: (sig: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `No signature was found with the name: ${sig}`),
  inputIsEmpty: () => new TfsError(Code.INVALID_ARGUMENT, 'Input is empty.'),
  classifyMethodName: (method: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Expected classification signature method_name to be tensorflow/serving/classify. Was: ${method}`,
    ),
  regressMethodName: (method: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Expected regression signature method_name to be tensorflow/serving/regress. Was: ${method}`,
    ),
  expectedOneInputTensor: () => new TfsError(Code.INVALID_ARGUMENT, 'Expected one input Tensor.'),
  expectedOneOrTwoOutputTensors: (n: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `Expected one or two output Tensors, found ${n}`),
  expectedOneOutputTensor: () => new TfsError(Code.INVALID_ARGUMENT, 'Expected one output Tensor.'),
  /** `debug` is the SignatureDef in protobuf text format (C++ DebugString). */
  noClassificationInputs: (debug: string) =>
    new TfsError(Code.FAILED_PRECONDITION, `No classification inputs found in SignatureDef: ${debug}`),
  noClassificationOutputs: (debug: string) =>
    new TfsError(
      Code.FAILED_PRECONDITION,
      `Expected classification signature outputs to contain at least one of "classes" or "scores". Signature was: ${debug}`,
    ),
  noRegressionInputs: (debug: string) =>
    new TfsError(Code.FAILED_PRECONDITION, `No regression inputs found in SignatureDef: ${debug}`),
  noRegressionOutputs: (debug: string) =>
    new TfsError(Code.FAILED_PRECONDITION, `No regression outputs found in SignatureDef: ${debug}`),
  classifyOutputRank: (shape: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Expected Tensor shape: [batch_size num_classes] but got ${shape}`),
  classesDtype: (dtype: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Expected classes Tensor of DT_STRING. Got: ${dtype}`),
  scoresDtype: (dtype: string) => new TfsError(Code.INVALID_ARGUMENT, `Expected scores Tensor of DT_FLOAT. Got: ${dtype}`),
  classifyBatchSize: (which: 'classes' | 'scores', expected: number, got: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `Expected ${which} output batch size of ${expected}. Got: ${got}`),
  classesScoresMismatch: (a: number, b: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `Tensors class and score should match in dim_size(1). Got ${a} vs. ${b}`),
  regressOutputShape: (shape: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got ${shape}`,
    ),
  regressBatchMismatch: (expected: number, got: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `Input batch size did not match output batch size: ${expected} vs. ${got}`),
  regressDtype: (dtype: string) => new TfsError(Code.INVALID_ARGUMENT, `Expected output Tensor of DT_FLOAT.  Got: ${dtype}`),
  regressSize: (expected: number, got: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `Expected output batch size to be ${expected}.  Got: ${got}`),
  outputTensorMissing: (name: string) => new TfsError(Code.INVALID_ARGUMENT, `Could not find output tensor '${name}'`),

  // --- batching (shared_batch_scheduler.h, batching_session.cc) ---
  batchQueueFull: () =>
    new TfsError(Code.UNAVAILABLE, 'The batch scheduling queue to which this task was submitted is full'),
  taskLargerThanMaxBatch: (size: number, max: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `Task size ${size} is larger than maximum input batch size ${max}`),
  batchedOutputScalar: () => new TfsError(Code.FAILED_PRECONDITION, 'Batched output tensor has 0 dimensions'),
  batchedOutputSizeMismatch: () =>
    new TfsError(
      Code.FAILED_PRECONDITION,
      "Batched output tensor's 0th dimension does not equal the sum of the 0th dimension sizes of the input tensors",
    ),
  /** tfs's own: a call reached a model version whose batching queues were closed (unload). */
  batchQueueClosed: () => new TfsError(Code.UNAVAILABLE, 'The batch scheduling queue for this model version is closed'),
  /** tfs's own: a batch worker thread died or could not start. */
  batchWorkerFailed: (detail: string) => new TfsError(Code.INTERNAL, `Batch worker thread failed: ${detail}`),

  // --- MultiInference (multi_inference.cc) ---
  multiInferenceEmptyModelName: () =>
    new TfsError(Code.INVALID_ARGUMENT, 'Found ModelSpec with an empty model name.'),
  multiInferenceModelMismatch: () =>
    new TfsError(Code.INVALID_ARGUMENT, 'All ModelSpecs in a MultiInferenceRequest must access the same model name.'),
  duplicateSignatureEvaluation: (sig: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Duplicate evaluation of signature: ${sig}`),
  signatureNotInGraph: (sig: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Requested signature not found in model graph: ${sig}`),
  unsupportedSignatureMethod: (method: string) =>
    new TfsError(Code.UNIMPLEMENTED, `Unsupported signature method_name: ${method}`),
  inputTensorNotShared: () =>
    new TfsError(Code.INVALID_ARGUMENT, 'Input tensor must be the same for all Signatures.'),

  // --- ModelService (model_service_impl.cc) ---
  reloadConfigTypeUnsupported: () =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      'ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is currently supported',
    ),

  // --- REST URL handling (http_rest_api_util.cc) ---
  malformedRequest: (method: string, path: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Malformed request: ${method} ${path}`),
  missingModelName: () => new TfsError(Code.INVALID_ARGUMENT, 'Missing model name in request.'),

  // --- lifecycle / runtime ---
  deadlineExceeded: (what = 'Deadline Exceeded') => new TfsError(Code.DEADLINE_EXCEEDED, what),
  cancelled: (what = 'Cancelled') => new TfsError(Code.CANCELLED, what),
  unsupportedOps: (detail: string) =>
    new TfsError(Code.UNIMPLEMENTED, `The model uses operations that tfs does not support: ${detail}`),
  modelLoad: (message: string, cause?: unknown) =>
    new TfsError(Code.FAILED_PRECONDITION, message, cause === undefined ? {} : { cause }),

  // --- SavedModel / checkpoint reading (tensorflow/cc/saved_model/reader.cc; tfs's own texts otherwise) ---
  savedModelNotFound: (dir: string, hint?: string) =>
    new TfsError(
      Code.NOT_FOUND,
      `Could not find SavedModel .pb or .pbtxt at supplied export directory path: ${dir}. Check that the directory exists and that you have the right permissions for accessing it.`,
      hint === undefined ? {} : { hint },
    ),
  metaGraphNotFound: (tags: readonly string[]) =>
    new TfsError(
      Code.NOT_FOUND,
      `Could not find meta graph def matching supplied tags: { ${tags.join(' ')} }. To inspect available tag-sets in the SavedModel, please use the SavedModel CLI: \`saved_model_cli\``,
    ),
  /** A model file exists but its bytes are wrong (bad checksum, truncated, undecodable). */
  corruptModelFile: (file: string, detail: string) => new TfsError(Code.DATA_LOSS, `Corrupt file ${file}: ${detail}`),
  /** A file the model needs is missing. */
  missingModelFile: (file: string, detail: string) => new TfsError(Code.NOT_FOUND, `${detail}: ${file}`),
  /** A valid model file uses a feature tfs does not implement. */
  unsupportedModelFeature: (file: string, detail: string) =>
    new TfsError(Code.UNIMPLEMENTED, `${file}: ${detail}`),
  checkpointKeyNotFound: (key: string, prefix: string) =>
    new TfsError(Code.NOT_FOUND, `Key ${key} not found in checkpoint ${prefix}`),

  // --- config files (proto_util.h, server_core.cc) ---
  invalidProtobufFile: (path: string) => new TfsError(Code.INVALID_ARGUMENT, `Invalid protobuf file: '${path}'`),
} as const;
