/**
 * The contract between a loaded model version and everything that serves it.
 *
 * A `ModelServable` is one loaded SavedModel version (TF Serving's "servable"). The
 * front ends (REST, gRPC), batching and warmup only see this interface; how the graph
 * runs (tfjs backend, worker threads) is the runtime's business.
 */
import type { TfsError } from '../errors.js';
import type { Tensor, TensorSpec } from '../tensor/tensor.js';

export interface SignatureSpec {
  /** The signature key (`serving_default`, `classify_x_to_y`, ...). */
  readonly key: string;
  /** `tensorflow/serving/predict` | `.../classify` | `.../regress` | other. */
  readonly methodName: string;
  readonly inputs: Readonly<Record<string, TensorSpec>>;
  readonly outputs: Readonly<Record<string, TensorSpec>>;
  /** SignatureDef.defaults: inputs that may be omitted from a request. */
  readonly defaults: Readonly<Record<string, Tensor>>;
}

export interface RunOptions {
  /** Output aliases to compute; empty or absent = all outputs of the signature. */
  readonly outputFilter?: readonly string[];
  /** Aborts a queued or running call (deadline, client gone, shutdown). */
  readonly signal?: AbortSignal;
}

/**
 * The runtime a version runs in (`embedded`: tfs's tfjs runtime; `tensorflow`: a TensorFlow
 * session through the native addon) and its devices: the tfjs backend (`wasm`, `cpu`,
 * `tensorflow`), or the devices TensorFlow lists for the session
 * (`/job:localhost/replica:0/task:0/device:CPU:0`, `...device:GPU:0`).
 */
export interface ServablePlacement {
  readonly runtime: 'embedded' | 'tensorflow';
  readonly devices: readonly string[];
}

export interface ModelServable {
  readonly name: string;
  readonly version: number;
  /** Every serving signature of the loaded MetaGraph, by key (`__saved_model_init_op` excluded). */
  readonly signatures: ReadonlyMap<string, SignatureSpec>;
  /**
   * The MetaGraph's SignatureDef map exactly as the SavedModel declares it, as a plain
   * object in protobufjs `toObject` form with snake_case keys (what GetModelMetadata
   * returns; REST prints it as JSON, gRPC re-encodes it as tensorflow.serving.SignatureDefMap).
   */
  readonly signatureDefMap: Readonly<Record<string, unknown>>;
  /**
   * Signatures of {@link signatures} that this version does not serve (the runtime lacks
   * what they need), by key; every request to one gets `error()`. Absent or empty: all
   * are served.
   */
  readonly unservedSignatures?: ReadonlyMap<string, UnservedSignature> | undefined;
  /**
   * Where this version runs (the `tfs_runtime_device` gauge and the load log line). Absent
   * for loaders that do not say (a caller's own loader).
   */
  readonly placement?: ServablePlacement | undefined;
  /**
   * How many run() calls this version executes in parallel, off the event loop (the native
   * runtime: TensorFlow sessions on libuv's threadpool). Batching runs up to this many batches
   * of the version at once (bounded by num_batch_threads) without worker threads. Absent: 1,
   * the run occupies the thread that calls it.
   */
  readonly concurrentRuns?: number | undefined;
  /**
   * Run one signature. `inputs` are keyed by input alias and must already be checked for
   * presence (the predict layer does that with upstream's texts); the runtime checks dtype
   * and shape against the signature as TensorFlow would and throws TfsError INVALID_ARGUMENT.
   * Returns tensors keyed by output alias, with the signature's declared dtypes.
   */
  run(signatureKey: string, inputs: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>>;
  /** Free everything the version holds. Called once, after the last handle is released. */
  dispose(): Promise<void>;
}

/** A signature a loaded version lists but does not serve, and why. */
export interface UnservedSignature {
  /** Why, for logs and tools (e.g. `needs DecodeJpeg`). */
  readonly reason: string;
  /** The error every request to the signature gets (a fresh one per call). */
  error(): TfsError;
}

/** Throw the signature's error when `servable` lists `key` but does not serve it. */
export function refuseUnservedSignature(servable: ModelServable, key: string): void {
  const u = servable.unservedSignatures?.get(key);
  if (u) throw u.error();
}
