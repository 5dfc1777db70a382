/**
 * Wire codec and grpc-js service definitions for `tensorflow.serving.PredictionService`
 * and `tensorflow.serving.ModelService`, built from our protobufjs Root (protos/).
 *
 * Requests are decoded with protobufjs straight into message instances (no `toObject`
 * pass): handlers read the snake_case fields directly and hand request tensors to the
 * TensorProto codec. Predict responses are written by a dedicated encoder that embeds
 * each output tensor with `writeTensorProto` (float/double values are copied as bytes);
 * the other, small responses go through protobufjs `fromObject` + `encode`.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { Errors, type TfsError } from '../../errors.js';
import { lookupType } from '../../proto/root.js';
import type { ResolvedModelSpec } from '../../servables/predict.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type Int64Like, type TensorProtoLike, writeTensorProto } from '../../tensor/tensor-proto.js';

export const PREDICTION_SERVICE = 'tensorflow.serving.PredictionService';
export const MODEL_SERVICE = 'tensorflow.serving.ModelService';

// ---- decoded request shapes (the fields handlers read; protobufjs fills defaults) ----

/** `tensorflow.serving.ModelSpec` as decoded (unset message fields are null). */
export interface ModelSpecMsg {
  readonly name?: string | null;
  readonly version?: { readonly value?: Int64Like | null } | null;
  readonly version_label?: string | null;
  readonly signature_name?: string | null;
}

export interface PredictRequestMsg {
  readonly model_spec?: ModelSpecMsg | null;
  readonly inputs?: Readonly<Record<string, TensorProtoLike>> | null;
  readonly output_filter?: readonly string[] | null;
}

/** `tensorflow.serving.Input` as decoded: at most one of the two kinds is set. */
export interface InputMsg {
  readonly example_list?: { readonly examples?: readonly object[] | null } | null;
  readonly example_list_with_context?: {
    readonly examples?: readonly object[] | null;
    readonly context?: object | null;
  } | null;
}

export interface ClassifyRegressRequestMsg {
  readonly model_spec?: ModelSpecMsg | null;
  readonly input?: InputMsg | null;
}

export interface MultiInferenceRequestMsg {
  readonly tasks?: ReadonlyArray<{ readonly model_spec?: ModelSpecMsg | null; readonly method_name?: string | null }> | null;
  readonly input?: InputMsg | null;
}

export interface GetModelMetadataRequestMsg {
  readonly model_spec?: ModelSpecMsg | null;
  readonly metadata_field?: readonly string[] | null;
}

export interface GetModelStatusRequestMsg {
  readonly model_spec?: ModelSpecMsg | null;
}

export interface ReloadConfigRequestMsg {
  readonly config?: { readonly model_config_list?: object | null; readonly custom_model_config?: object | null } | null;
  readonly metric_names?: readonly string[] | null;
}

/** What the Predict handler answers with; encoded by {@link encodePredictResponse}. */
export interface PredictReply {
  readonly outputs: Readonly<Record<string, Tensor>>;
  readonly modelSpec: ResolvedModelSpec;
  /** Told once the reply's bytes are written (the request's pooled arrays may be reused then). */
  readonly serialized?: { giveBack(): void } | undefined;
}

// ---- message types ----

interface Types {
  readonly ModelSpec: protobuf.Type;
  readonly PredictRequest: protobuf.Type;
  readonly PredictResponse: protobuf.Type;
  readonly ClassificationRequest: protobuf.Type;
  readonly ClassificationResponse: protobuf.Type;
  readonly RegressionRequest: protobuf.Type;
  readonly RegressionResponse: protobuf.Type;
  readonly MultiInferenceRequest: protobuf.Type;
  readonly MultiInferenceResponse: protobuf.Type;
  readonly GetModelMetadataRequest: protobuf.Type;
  readonly GetModelMetadataResponse: protobuf.Type;
  readonly SignatureDefMap: protobuf.Type;
  readonly GetModelStatusRequest: protobuf.Type;
  readonly GetModelStatusResponse: protobuf.Type;
  readonly ReloadConfigRequest: protobuf.Type;
  readonly ReloadConfigResponse: protobuf.Type;
}

let types: Types | undefined;

/** The tensorflow.serving message types (looked up once). */
export function servingTypes(): Types {
  if (types) return types;
  const t = (n: string): protobuf.Type => lookupType(`tensorflow.serving.${n}`);
  types = {
    ModelSpec: t('ModelSpec'),
    PredictRequest: t('PredictRequest'),
    PredictResponse: t('PredictResponse'),
    ClassificationRequest: t('ClassificationRequest'),
    ClassificationResponse: t('ClassificationResponse'),
    RegressionRequest: t('RegressionRequest'),
    RegressionResponse: t('RegressionResponse'),
    MultiInferenceRequest: t('MultiInferenceRequest'),
    MultiInferenceResponse: t('MultiInferenceResponse'),
    GetModelMetadataRequest: t('GetModelMetadataRequest'),
    GetModelMetadataResponse: t('GetModelMetadataResponse'),
    SignatureDefMap: t('SignatureDefMap'),
    GetModelStatusRequest: t('GetModelStatusRequest'),
    GetModelStatusResponse: t('GetModelStatusResponse'),
    ReloadConfigRequest: t('ReloadConfigRequest'),
    ReloadConfigResponse: t('ReloadConfigResponse'),
  };
  return types;
}

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Encode a plain object (protobufjs toObject form: enum names, int64 as strings or numbers). */
export function encodePlain(type: protobuf.Type, obj: object): Buffer {
  return asBuffer(type.encode(type.fromObject(obj as Record<string, unknown>)).finish());
}

/** A resolved model spec as the `ModelSpec` plain object upstream's MakeModelSpec fills. */
export function modelSpecObject(spec: { name: string; version: number; signatureName?: string }): Record<string, unknown> {
  const out: Record<string, unknown> = { name: spec.name, version: { value: spec.version } };
  if (spec.signatureName !== undefined) out['signature_name'] = spec.signatureName;
  return out;
}

// PredictResponse: outputs = 1 (map entry: key 1, value 2), model_spec = 2.
const TAG_OUTPUTS = (1 << 3) | 2;
const TAG_ENTRY_KEY = (1 << 3) | 2;
const TAG_ENTRY_VALUE = (2 << 3) | 2;
const TAG_MODEL_SPEC = (2 << 3) | 2;

/** Serialize a PredictResponse with tensors as TF's AsProtoField (or AsProtoTensorContent). */
export function encodePredictResponse(reply: PredictReply, asTensorContent: boolean): Buffer {
  const w = protobuf.Writer.create();
  const opts = { asTensorContent };
  for (const alias of Object.keys(reply.outputs)) {
    w.uint32(TAG_OUTPUTS).fork();
    w.uint32(TAG_ENTRY_KEY).string(alias);
    w.uint32(TAG_ENTRY_VALUE).fork();
    writeTensorProto(w, reply.outputs[alias]!, opts);
    w.ldelim();
    w.ldelim();
  }
  w.uint32(TAG_MODEL_SPEC).bytes(modelSpecBytes(reply.modelSpec));
  // finish() copies every value the writer refers to: an output may be a request's array.
  const bytes = asBuffer(w.finish());
  reply.serialized?.giveBack();
  return bytes;
}

/** Encoded ModelSpec messages by name, version and signature: every reply of a model repeats one. */
const modelSpecCache = new Map<string, Uint8Array>();
const MODEL_SPEC_CACHE_SIZE = 256;

/** The last spec encoded and its bytes: a server under load answers one model again and again. */
let lastSpec: { name: string; version: number; signatureName: string; bytes: Uint8Array } | undefined;

/** The ModelSpec message of a reply, as protobufjs encodes {@link modelSpecObject} (cached). */
function modelSpecBytes(spec: ResolvedModelSpec): Uint8Array {
  const last = lastSpec;
  // No key string per reply when it is the previous reply's spec.
  if (last && last.name === spec.name && last.version === spec.version && last.signatureName === spec.signatureName) return last.bytes;
  const key = `${spec.version}:${spec.signatureName.length}:${spec.signatureName}${spec.name}`;
  let bytes = modelSpecCache.get(key);
  if (!bytes) {
    const T = servingTypes().ModelSpec;
    bytes = T.encode(T.fromObject(modelSpecObject(spec))).finish();
    if (modelSpecCache.size >= MODEL_SPEC_CACHE_SIZE) modelSpecCache.clear();
    modelSpecCache.set(key, bytes);
  }
  lastSpec = { name: spec.name, version: spec.version, signatureName: spec.signatureName, bytes };
  return bytes;
}

type Encoder<T> = (value: T) => Buffer;

/**
 * What a request deserializer returns for bytes that are not a valid message: grpc-js would
 * answer a throwing deserializer with INTERNAL `Error deserializing request`, so the error
 * is carried to the handler (handler.ts), which answers it as the client's fault.
 */
export class UnparsableRequest {
  constructor(readonly error: TfsError) {}
}

/** `type.decode(buf)`, or an {@link UnparsableRequest} naming the type and protobufjs's reason. */
export function decodeRequest<Req>(type: protobuf.Type, buf: Buffer): Req | UnparsableRequest {
  try {
    return type.decode(buf) as unknown as Req;
  } catch (err) {
    return new UnparsableRequest(Errors.grpcUnparsableRequest(type.fullName.replace(/^\./, ''), err instanceof Error ? err.message : String(err)));
  }
}

function unary<Req, Res>(
  service: string,
  method: string,
  reqType: protobuf.Type,
  resType: protobuf.Type,
  encodeResponse: Encoder<Res>,
): ServiceDefinition[string] {
  return {
    path: `/${service}/${method}`,
    requestStream: false,
    responseStream: false,
    originalName: method.charAt(0).toLowerCase() + method.slice(1),
    requestSerialize: (req: Req) => encodePlain(reqType, req as object),
    requestDeserialize: (buf: Buffer) => decodeRequest<Req>(reqType, buf) as Req,
    responseSerialize: encodeResponse,
    responseDeserialize: (buf: Buffer) => resType.decode(buf) as unknown as Res,
  };
}

/** Response encoders: Predict has its own; everything else is a plain object. */
export interface PredictionServiceDefinitionOptions {
  /** `--enable_serialization_as_tensor_content`. */
  readonly serializeAsTensorContent: boolean;
}

/** grpc-js definition of tensorflow.serving.PredictionService. */
export function predictionServiceDefinition(opts: PredictionServiceDefinitionOptions): ServiceDefinition {
  const T = servingTypes();
  const plain =
    (type: protobuf.Type): Encoder<object> =>
    (o) =>
      encodePlain(type, o);
  return {
    Classify: unary(PREDICTION_SERVICE, 'Classify', T.ClassificationRequest, T.ClassificationResponse, plain(T.ClassificationResponse)),
    Regress: unary(PREDICTION_SERVICE, 'Regress', T.RegressionRequest, T.RegressionResponse, plain(T.RegressionResponse)),
    Predict: unary<PredictRequestMsg, PredictReply>(PREDICTION_SERVICE, 'Predict', T.PredictRequest, T.PredictResponse, (r) =>
      encodePredictResponse(r, opts.serializeAsTensorContent),
    ),
    MultiInference: unary(
      PREDICTION_SERVICE,
      'MultiInference',
      T.MultiInferenceRequest,
      T.MultiInferenceResponse,
      plain(T.MultiInferenceResponse),
    ),
    GetModelMetadata: unary(
      PREDICTION_SERVICE,
      'GetModelMetadata',
      T.GetModelMetadataRequest,
      T.GetModelMetadataResponse,
      plain(T.GetModelMetadataResponse),
    ),
  };
}

/** grpc-js definition of tensorflow.serving.ModelService. */
export function modelServiceDefinition(): ServiceDefinition {
  const T = servingTypes();
  return {
    GetModelStatus: unary(MODEL_SERVICE, 'GetModelStatus', T.GetModelStatusRequest, T.GetModelStatusResponse, (o: object) =>
      encodePlain(T.GetModelStatusResponse, o),
    ),
    HandleReloadConfigRequest: unary(
      MODEL_SERVICE,
      'HandleReloadConfigRequest',
      T.ReloadConfigRequest,
      T.ReloadConfigResponse,
      (o: object) => encodePlain(T.ReloadConfigResponse, o),
    ),
  };
}

/** The `type_url` upstream uses for the signature_def metadata Any. */
export const SIGNATURE_DEF_MAP_TYPE_URL = 'type.googleapis.com/tensorflow.serving.SignatureDefMap';

/** `metadata["signature_def"]`: a SignatureDefMap packed in a google.protobuf.Any. */
export function packSignatureDefMap(signatureDefMap: Record<string, unknown>): { type_url: string; value: Uint8Array } {
  const T = servingTypes().SignatureDefMap;
  return { type_url: SIGNATURE_DEF_MAP_TYPE_URL, value: T.encode(T.fromObject({ signature_def: signatureDefMap })).finish() };
}
