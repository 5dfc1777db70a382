/**
 * Open Inference Protocol inference, health and metadata, independent of the transport:
 * REST (rest.ts) and gRPC (grpc.ts) decode their requests into these shapes and encode
 * the results. Inference runs through the same predict path as `/v1` and TF Serving's
 * Predict (src/servables/predict.ts), so batching, the runtime_latency metric, deadlines
 * and the availability-preserving version swaps apply unchanged.
 *
 * Which signature runs: `serving_default`, or the one named by the request parameter
 * `signature_name`. V2 tensor names are the signature's input and output keys.
 */
import type { ServerCoreApi } from '../../core/server-core-api.js';
import type { SignatureSpec } from '../../core/servable.js';
import { Errors, TfsError } from '../../errors.js';
import { DEFAULT_SIGNATURE_KEY, type ModelSpec } from '../../servables/model-spec.js';
import { runPredict, withServable } from '../../servables/predict.js';
import type { Tensor } from '../../tensor/tensor.js';
import { v2DatatypeOf, v2DatatypeOrTfName } from './datatypes.js';

/** The platform V2 metadata reports for a SavedModel. */
export const V2_PLATFORM = 'tensorflow_savedmodel';

export interface V2Input {
  readonly name: string;
  /** The datatype the request declared (already checked to be a V2 name). */
  readonly datatype: string;
  readonly tensor: Tensor;
}

export interface V2RequestedOutput {
  readonly name: string;
  /** Binary extension: send this output's data as raw bytes. */
  readonly binary?: boolean;
}

export interface V2InferRequest {
  readonly model: string;
  /** '' or absent = the latest available version. */
  readonly version?: string | undefined;
  readonly id?: string | undefined;
  readonly signatureName?: string | undefined;
  readonly inputs: readonly V2Input[];
  /** Which outputs, in which order; absent or empty = every output of the signature. */
  readonly outputs?: readonly V2RequestedOutput[] | undefined;
}

export interface V2Output {
  readonly name: string;
  readonly datatype: string;
  readonly tensor: Tensor;
  readonly binary: boolean;
}

export interface V2InferResult {
  readonly model: string;
  readonly version: string;
  readonly id?: string | undefined;
  readonly outputs: V2Output[];
}

export interface V2RunOptions {
  readonly signal?: AbortSignal | undefined;
  readonly enableSignatureMethodNameCheck?: boolean | undefined;
}

/** A V2 version string as a TF Serving version number (undefined for '' = latest). */
export function parseV2Version(version: string | undefined): number | undefined {
  if (version === undefined || version === '') return undefined;
  if (!/^\d{1,15}$/.test(version)) throw Errors.v2BadVersion(version);
  return Number(version);
}

/** Turn the core's not-found errors into the protocol's (NOT_FOUND, or UNAVAILABLE when not ready). */
function v2NotFound(core: ServerCoreApi, err: unknown, model: string, version: string | undefined): unknown {
  if (!(err instanceof TfsError)) return err;
  if (err.id !== Errors.servableNotFoundLatest.id && err.id !== Errors.servableNotFoundSpecific.id) return err;
  if (version) return Errors.v2ModelNotFound(model, version);
  try {
    if (core.getModelStatus(model).length > 0) return Errors.v2ModelNotReady(model);
  } catch {
    /* never tracked: unknown */
  }
  return Errors.v2ModelNotFound(model);
}

function modelSpecOf(req: { model: string; version?: string | undefined; signatureName?: string | undefined }): ModelSpec {
  const spec: ModelSpec = { name: req.model };
  const v = parseV2Version(req.version);
  if (v !== undefined) spec.version = v;
  if (req.signatureName) spec.signatureName = req.signatureName;
  return spec;
}

/** Check the request's inputs and outputs against the signature; returns the feeds. */
function feedsFor(req: V2InferRequest, signature: SignatureSpec): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const input of req.inputs) {
    const spec = Object.hasOwn(signature.inputs, input.name) ? signature.inputs[input.name] : undefined;
    if (!spec) {
      throw Errors.v2BadRequest(`unexpected inference input '${input.name}' for model '${req.model}' (inputs: ${Object.keys(signature.inputs).join(', ')})`);
    }
    if (Object.hasOwn(feeds, input.name)) throw Errors.v2BadRequest(`input '${input.name}' is given twice`);
    const expected = v2DatatypeOrTfName(spec.dtype);
    if (input.tensor.dtype !== spec.dtype) throw Errors.v2DatatypeMismatch(input.datatype, input.name, expected);
    feeds[input.name] = input.tensor;
  }
  for (const o of req.outputs ?? []) {
    if (!Object.hasOwn(signature.outputs, o.name)) throw Errors.v2UnknownOutput(o.name, req.model);
  }
  return feeds;
}

/** Run one V2 inference request. Throws TfsError (INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE, ...). */
export async function runV2Infer(core: ServerCoreApi, req: V2InferRequest, opts: V2RunOptions = {}): Promise<V2InferResult> {
  const spec = modelSpecOf(req);
  const wanted = req.outputs && req.outputs.length > 0 ? req.outputs : undefined;
  const seen = new Set<string>();
  for (const o of wanted ?? []) {
    if (seen.has(o.name)) throw Errors.v2BadRequest(`output '${o.name}' is requested twice`);
    seen.add(o.name);
  }
  let result;
  try {
    result = await runPredict(
      core,
      { modelSpec: spec, inputs: (signature) => feedsFor(req, signature), outputFilter: wanted?.map((o) => o.name) },
      { api: 'rest', signal: opts.signal, enableSignatureMethodNameCheck: opts.enableSignatureMethodNameCheck },
    );
  } catch (err) {
    throw v2NotFound(core, err, req.model, req.version);
  }
  const binary = new Map((wanted ?? []).map((o) => [o.name, o.binary === true]));
  const names = wanted ? wanted.map((o) => o.name) : Object.keys(result.outputs);
  const outputs = names.map((name): V2Output => {
    const tensor = result.outputs[name]!;
    const datatype = v2DatatypeOf(tensor.dtype);
    if (!datatype) throw Errors.v2UnsupportedOutputDtype(name, tensor.dtype);
    return { name, datatype, tensor, binary: binary.get(name) ?? false };
  });
  return { model: req.model, version: String(result.modelSpec.version), ...(req.id === undefined ? {} : { id: req.id }), outputs };
}

// ---------------------------------------------------------------------------------------
// Health and metadata
// ---------------------------------------------------------------------------------------

export interface V2TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  /** -1 for unknown dimensions; [-1] for unknown rank. */
  readonly shape: number[];
}

export interface V2ModelMetadata {
  readonly name: string;
  readonly versions: string[];
  readonly platform: string;
  readonly inputs: V2TensorMetadata[];
  readonly outputs: V2TensorMetadata[];
}

/** Available versions of a model, ascending, as V2 version strings. */
function availableVersions(core: ServerCoreApi, model: string): string[] {
  try {
    return core
      .getModelStatus(model)
      .filter((r) => r.state === 'AVAILABLE')
      .map((r) => r.version)
      .sort((a, b) => a - b)
      .map(String);
  } catch {
    return [];
  }
}

/** True when the model (or that version) has an AVAILABLE version. Throws for a bad version text. */
export function v2ModelReady(core: ServerCoreApi, model: string, version?: string): boolean {
  const v = parseV2Version(version);
  const versions = availableVersions(core, model);
  return v === undefined ? versions.length > 0 : versions.includes(String(v));
}

function tensorMetadata(specs: SignatureSpec['inputs']): V2TensorMetadata[] {
  return Object.entries(specs).map(([name, s]) => ({ name, datatype: v2DatatypeOrTfName(s.dtype), shape: s.shape ? [...s.shape] : [-1] }));
}

/** Model metadata: the signature's inputs and outputs by key, with V2 datatypes. */
export async function v2ModelMetadata(
  core: ServerCoreApi,
  model: string,
  version: string | undefined,
  signatureName = DEFAULT_SIGNATURE_KEY,
): Promise<V2ModelMetadata> {
  const spec = modelSpecOf({ model, version });
  try {
    return await withServable(core, spec, (handle) => {
      const sig = handle.servable.signatures.get(signatureName);
      if (!sig) throw Errors.restSignatureNotFound(signatureName);
      return Promise.resolve({
        name: model,
        versions: availableVersions(core, model),
        platform: V2_PLATFORM,
        inputs: tensorMetadata(sig.inputs),
        outputs: tensorMetadata(sig.outputs),
      });
    });
  } catch (err) {
    throw v2NotFound(core, err, model, version);
  }
}

/** The extensions tfs implements, for server metadata. */
export const V2_EXTENSIONS: readonly string[] = ['binary_tensor_data', 'model_repository', 'parameters'];
