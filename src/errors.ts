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

  // --- monitoring (prometheus_exporter.cc) ---
  unexpectedMetricsPath: (uri: string, path: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Unexpected path: ${uri}. Should be ${path}`),

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
  versionNotNumeric: (digits: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Failed to convert version: ${digits} to numeric.`),
  /** OPTIONS preflight without an http(s) Origin (http_server.cc; upstream only logs the text). */
  corsOriginMissing: () => new TfsError(Code.FAILED_PRECONDITION, 'Origin header is missing in CORS preflight'),
  /** tfs's own (upstream has no limit but the 100 MiB gunzip cap): body over --rest_api_body_limit. */
  bodyTooLarge: (limit: number) =>
    new TfsError(Code.RESOURCE_EXHAUSTED, `Request body is larger than the limit of ${limit} bytes`),
  gzipFailed: (detail: string) => new TfsError(Code.INVALID_ARGUMENT, `Failed to decompress gzip request body: ${detail}`),

  // --- REST JSON request/response bodies (json_tensor.cc; <dbg> = JSON value rendering) ---
  jsonDocumentEmpty: () => new TfsError(Code.INVALID_ARGUMENT, 'JSON Parse error: The document is empty'),
  jsonParseError: (message: string, offset: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `JSON Parse error: ${message} at offset: ${offset}`),
  jsonNotObject: (dbg: string) => new TfsError(Code.INVALID_ARGUMENT, `JSON Value: ${dbg} Is not object`),
  jsonSignatureNotString: (dbg: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `JSON Value: ${dbg} not formatted correctly. 'signature_name' key must be a string value.`,
    ),
  jsonNoInputMap: (signatureName: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Failed to get input map for signature: ${signatureName || 'DEFAULT'}`),
  jsonInputsAndInstances: (dbg: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `JSON Value: ${dbg} Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist `,
    ),
  jsonMissingInputsOrInstances: () => new TfsError(Code.INVALID_ARGUMENT, "Missing 'inputs' or 'instances' key"),
  jsonInstancesNotArray: (dbg: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `JSON Value: ${dbg} Expecting 'instances' to be an list/array`),
  jsonInstancesEmpty: (dbg: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `JSON Value: ${dbg} No values in 'instances' array`),
  jsonInstancesPlainList: () =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      'instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map',
    ),
  jsonExpectingObjectAt: (i: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `Expecting object but got list at item ${i} of input list`),
  jsonExpectingValueAt: (i: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `Expecting value/list but got object at item ${i} of input list`),
  jsonNoNamedInput: (key: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `JSON object: does not have named input: ${key}`),
  /** Wraps an element error; `inner` prints as `CODE: message` (upstream's Status::ToString). */
  jsonInstanceElement: (i: number, key: string | undefined, inner: TfsError) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Failed to process element: ${i}${key === undefined ? '' : ` key: ${key}`} of 'instances' list. Error: ${inner.toString()}`,
    ),
  jsonInstanceKeys: (i: number, dbg: string, names: string[]) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Failed to process element: ${i} of 'instances' list. JSON object: ${dbg} keys must be equal to: ${names.join(',')}`,
    ),
  jsonTensorSize: (expected: number, got: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `Expecting tensor size: ${expected} but got: ${got}`),
  jsonTensorShape: (expected: string, got: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Expecting shape ${expected} but got: ${got}`),
  jsonInputsPlainValue: () =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      'inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map',
    ),
  jsonMissingNamedInput: (name: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Missing named input: ${name} in 'inputs' object.`),
  jsonListSize: (size: number, level: number, expected: number) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Encountered list at unexpected size: ${size} at level: ${level} expected size: ${expected}`,
    ),
  jsonListLevel: (level: number, rank: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `Encountered list at unexpected level: ${level} expected < ${rank}`),
  jsonValueLevel: (dbg: string, level: number, rank: number) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `JSON Value: ${dbg} found at incorrect level: ${level + 1} in the JSON DOM. Expected at level: ${rank}`,
    ),
  jsonType: (dbg: string, jsonType: string, dtype: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `JSON Value: ${dbg} Type: ${jsonType} is not of expected type: ${dtype}`),
  jsonConversionUnsupported: (dbg: string, dtype: string) =>
    new TfsError(Code.UNIMPLEMENTED, `Conversion of JSON Value: ${dbg} to type: ${dtype}`),
  jsonBase64Format: (dbg: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `JSON Value: ${dbg} not formatted correctly for base64 data`),
  jsonBase64Decode: () => new TfsError(Code.INVALID_ARGUMENT, 'Unable to base64 decode'),
  jsonExamplesMissing: (dbg: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `JSON Value: ${dbg} When method is classify, key 'examples' is expected and was not found`,
    ),
  jsonExamplesNotArray: (dbg: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `JSON Value: ${dbg} Expecting 'examples' value to be an list/array`),
  jsonExamplesEmpty: (dbg: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `JSON Value: ${dbg} 'examples' value is an empty array`),
  jsonExampleNotObject: (jsonType: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Example must be JSON object but got JSON ${jsonType}`),
  jsonFeatureUint64: (feature: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Feature: ${feature} has uint64_t element. Only int64_t is supported.`),
  jsonFeatureType: (feature: string, jsonType: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Feature: ${feature} has element with unexpected JSON type: ${jsonType}`),
  jsonFeatureKind: (feature: string, kind: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Unexpected element type in feature: ${feature} expecting type: ${kind}`),
  jsonNoShape: (name: string) => new TfsError(Code.INVALID_ARGUMENT, `Tensor name: ${name} has no shape information `),
  jsonInconsistentBatch: (name: string, got: number, expected: number) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Tensor name: ${name} has inconsistent batch size: ${got} expecting: ${expected}`,
    ),
  jsonEmptyTensorMap: () => new TfsError(Code.INVALID_ARGUMENT, 'Cannot convert empty tensor map to JSON'),
  jsonWriteUnsupported: (dtype: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Failed to write JSON value for tensor type: ${dtype}`),
  jsonEmptyClassification: () =>
    new TfsError(Code.INVALID_ARGUMENT, 'Cannot convert empty ClassificationResults to JSON'),
  jsonEmptyRegression: () => new TfsError(Code.INVALID_ARGUMENT, 'Cannot convert empty RegressionResults to JSON'),

  // --- lifecycle / runtime ---
  deadlineExceeded: (what = 'Deadline Exceeded') => new TfsError(Code.DEADLINE_EXCEEDED, what),
  cancelled: (what = 'Cancelled') => new TfsError(Code.CANCELLED, what),
  unsupportedOps: (detail: string) =>
    new TfsError(Code.UNIMPLEMENTED, `The model uses operations that tfs does not support: ${detail}`),
  modelLoad: (message: string, cause?: unknown) =>
    new TfsError(Code.FAILED_PRECONDITION, message, cause === undefined ? {} : { cause }),

  // --- embedded runtime (src/runtime; TF's texts where TF has one) ---
  /** TF's FunctionCallFrame check of a feed's dtype (framework/function.cc). */
  feedDtypeMismatch: (index: number, expected: string, got: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Expects arg[${index}] to be ${expected} but ${got} is provided`),
  /** A value tfjs's int32 cannot hold exactly (int64/uint32/uint64 inputs, weights, results). */
  int32Refusal: (what: string, dtype: string, value: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `${what}: ${dtype} value ${value} does not fit in int32; tfs computes ${dtype} tensors as int32 and refuses values it would corrupt`,
    ),
  float32Refusal: (what: string, value: number) =>
    new TfsError(Code.INVALID_ARGUMENT, `${what}: double value ${value} is outside the float32 range tfs computes float64 tensors in`),
  tensorflowBackendMissing: (cpuPackage: string, gpuPackage: string) =>
    new TfsError(
      Code.FAILED_PRECONDITION,
      `The tensorflow backend needs ${cpuPackage} (CPU) or ${gpuPackage} (CUDA GPU), and neither is installed. ` +
        `Install one next to tfs (npm install ${cpuPackage}) or use --backend wasm.`,
    ),
  modelUnloaded: (model: string) => new TfsError(Code.UNAVAILABLE, `Model ${model} has been unloaded`),
  /** TF's lookup-table and variable texts (lookup_table_op.cc, resource_variable_ops.cc). */
  tableNotInitialized: () => new TfsError(Code.FAILED_PRECONDITION, 'Table not initialized.'),
  uninitializedVariable: (name: string) =>
    new TfsError(Code.FAILED_PRECONDITION, `Attempting to use uninitialized value ${name}`),
  /** tf.Example parsing (example_proto_fast_parsing.cc). */
  exampleUnparsable: (value: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Could not parse example input, value: '${value}'`),
  exampleFeatureRequired: (example: string, feature: string, dtype: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Name: ${example}, Feature: ${feature} (data type: ${dtype}) is required but could not be found.`,
    ),
  exampleDtypeMismatch: (example: string, feature: string, index: number, got: string, want: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Name: ${example}, Key: ${feature}, Index: ${index}.  Data types don't match. Data type: ${got} but expected type: ${want}`,
    ),
  exampleSizeMismatch: (example: string, feature: string, index: number, kind: string, size: number, shape: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Name: ${example}, Key: ${feature}, Index: ${index}.  Number of ${kind} values != expected.  Values size: ${size} but output shape: ${shape}`,
    ),

  // --- model lifecycle (server_core.cc, loader_harness.cc, load_servables_fast.cc) ---
  loadCancelled: () => new TfsError(Code.CANCELLED, 'Load cancelled before we could try to load.'),
  labelVersionNotAvailable: (model: string, version: number) =>
    new TfsError(
      Code.FAILED_PRECONDITION,
      `Request to assign label to version ${version} of model ${model}, which is not currently available for inference`,
    ),
  modelListedTwice: (model: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Illegal to list model ${model} multiple times in config list`),
  basePathNotAbsolute: (model: string, basePath: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Expected model ${model} to have an absolute path or URI; got base_path()=${basePath}`),
  unsupportedPlatform: (model: string, platform: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Model ${model} requests unsupported platform ${platform}`),
  platformChanged: (model: string, was: string, requested: string) =>
    new TfsError(
      Code.INVALID_ARGUMENT,
      `Illegal to change a model's platform. For model ${model} platform was ${was} and new platform requested is ${requested}`,
    ),
  /**
   * Startup (`servable`) or reload (`model`) waited for models that failed; each entry is
   * `{name: m version: v} due to error: CODE: msg` (or without the error part) and is wrapped
   * in braces, as upstream: `1 servable(s) did not become available: {{{name: m version: 1} due to error: …}, }`.
   */
  didNotBecomeAvailable: (kind: 'servable' | 'model', entries: readonly string[]) =>
    new TfsError(
      Code.UNKNOWN,
      `${entries.length} ${kind}(s) did not become available: {${entries.map((e) => `{${e}}, `).join('')}}`,
    ),
  /** tfs's own: a lifecycle call arrived after close(). */
  serverShuttingDown: () => new TfsError(Code.UNAVAILABLE, 'Server is shutting down'),

  // --- warmup (saved_model_warmup_util.cc, saved_model_warmup.cc) ---
  warmupTooManyRecords: (path: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Number of warmup records exceeds the maximum (1000) at ${path}`),
  warmupUnparsableRecord: (record: string, path: string) =>
    new TfsError(Code.INVALID_ARGUMENT, `Failed to parse warmup record: ${record} from ${path}`),
  warmupUnsupportedLogType: (logTypeCase: number) =>
    new TfsError(Code.UNIMPLEMENTED, `Unsupported log_type for warmup: ${logTypeCase}`),
  /** TFRecord framing error (`corrupted record at <offset>`, `truncated record at <offset>`). */
  warmupDataLoss: (message: string) =>
    new TfsError(Code.DATA_LOSS, `${message}. Please verify your warmup data is in TFRecord format.`),

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
  signatureDefKeyNotFound: (key: string, tags: readonly string[], file: string, known: readonly string[]) =>
    new TfsError(Code.NOT_FOUND, `SignatureDef key "${key}" not found in the MetaGraphDef with tag-set '${tags.join(', ')}' of ${file}`, {
      hint: `signature keys: ${known.join(', ') || '(none)'}`,
    }),
  emptyTagSet: () => new TfsError(Code.INVALID_ARGUMENT, 'tag_set must contain at least one non-empty item.'),
  checkpointKeyNotFound: (key: string, prefix: string) =>
    new TfsError(Code.NOT_FOUND, `Key ${key} not found in checkpoint ${prefix}`),

  // --- config files (proto_util.h, server_core.cc) ---
  invalidProtobufFile: (path: string) => new TfsError(Code.INVALID_ARGUMENT, `Invalid protobuf file: '${path}'`),
} as const;
