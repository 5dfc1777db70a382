/**
 * Wire codec and grpc-js service definitions for `tensorflow.serving.PredictionService`
 * and `tensorflow.serving.ModelService`, built from our protobufjs Root (protos/).
 *
 * Requests are decoded with protobufjs straight into message instances (no `toObject`
 * pass): handlers read the snake_case fields directly and hand request tensors to the
 * TensorProto codec. A PredictRequest of the common shape is read by hand instead
 * (`readPredictRequest`, same fields for the readers), and a PredictResponse whose values
 * are raw bytes is written into one buffer sized first (`writePredictResponse`); other
 * replies embed each output with `writeTensorProto`. The other, small responses go
 * through protobufjs `fromObject` + `encode`.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { Errors, type TfsError } from '../../errors.js';
import { lookupType } from '../../proto/root.js';
import type { ResolvedModelSpec } from '../../servables/predict.js';
import { dtypeInfo } from '../../tensor/dtypes.js';
import type { Tensor, TensorData } from '../../tensor/tensor.js';
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
  return writePredictResponse(reply, asTensorContent) ?? encodePredictResponseGeneral(reply, asTensorContent);
}

/** {@link encodePredictResponse} for any reply, through protobufjs's Writer and writeTensorProto. */
export function encodePredictResponseGeneral(reply: PredictReply, asTensorContent: boolean): Buffer {
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
  return asBuffer(w.finish());
}

/** Encoded ModelSpec messages by name, version and signature: every reply of a model repeats one. */
const modelSpecCache = new Map<string, Uint8Array>();
const MODEL_SPEC_CACHE_SIZE = 256;

/** The ModelSpec message of a reply, as protobufjs encodes {@link modelSpecObject} (cached). */
function modelSpecBytes(spec: ResolvedModelSpec): Uint8Array {
  const key = `${spec.version}:${spec.signatureName.length}:${spec.signatureName}${spec.name}`;
  let bytes = modelSpecCache.get(key);
  if (!bytes) {
    const T = servingTypes().ModelSpec;
    bytes = T.encode(T.fromObject(modelSpecObject(spec))).finish();
    if (modelSpecCache.size >= MODEL_SPEC_CACHE_SIZE) modelSpecCache.clear();
    modelSpecCache.set(key, bytes);
  }
  return bytes;
}

// ---- PredictRequest by hand ----
//
// Nearly every PredictRequest is a model_spec plus a few TensorProtos holding dtype, shape
// and tensor_content (or packed float/double/int values). `readPredictRequest` reads exactly
// that shape straight from the bytes, into plain objects the handlers read as they read
// protobufjs's messages; anything else (an unknown field, a repeated singular field, an
// unpacked or 64-bit varint where it is unusual, a non-ASCII string, a truncated length)
// makes it give up, and protobufjs decodes the request instead. Giving up is always safe:
// protobufjs is the reference, including for every parse error (test/server/grpc/codec.test.ts
// compares the two over many encodings).

/** A request tensor as {@link readPredictRequest} fills it (every field present, for one object shape). */
interface FastTensorProto {
  dtype: number;
  tensor_shape: { dim: { size: number }[]; unknown_rank: boolean } | null;
  tensor_content: Buffer | null;
  float_val: number[] | null;
  double_val: number[] | null;
  int_val: number[] | null;
}

/** Reads one message's fields; `pos < 0` after a read means "not the common case: give up". */
class WireReader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint of at most `maxBytes` bytes (7 keeps it below 2^49, exact as a number); -1 otherwise. */
  varint(maxBytes: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes && pos < this.end; i++) {
      const b = buf[pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return value;
      }
      scale *= 128;
    }
    this.pos = -1;
    return -1;
  }

  /** The end of a length-delimited field whose length varint comes next; -1 when it does not fit. */
  delimited(): number {
    const len = this.varint(5);
    if (len < 0 || len > this.end - this.pos) return (this.pos = -1);
    return this.pos + len;
  }

  /** An ASCII string field (protobufjs decodes the same bytes to the same text); undefined otherwise. */
  ascii(): string | undefined {
    const end = this.delimited();
    if (end < 0) return undefined;
    const buf = this.buf;
    for (let i = this.pos; i < end; i++) if (buf[i]! >= 0x80) return undefined;
    const s = buf.toString('latin1', this.pos, end);
    this.pos = end;
    return s;
  }
}

/** ModelSpec (name 1, version 2, signature_name 3, version_label 4), each at most once. */
function readModelSpec(r: WireReader, end: number): ModelSpecMsg | undefined {
  let name = '';
  let signature = '';
  let label = '';
  let version: { value: number } | null = null;
  let seen = 0;
  while (r.pos < end) {
    const tag = r.varint(1);
    const bit = tag === 0x0a ? 1 : tag === 0x12 ? 2 : tag === 0x1a ? 4 : tag === 0x22 ? 8 : 0;
    if (bit === 0 || seen & bit) return undefined;
    seen |= bit;
    if (bit === 2) {
      version = readInt64Value(r);
      if (!version) return undefined;
      continue;
    }
    const s = r.ascii();
    if (s === undefined) return undefined;
    if (bit === 1) name = s;
    else if (bit === 4) signature = s;
    else label = s;
  }
  // version and version_label are a oneof: protobufjs keeps both when both come; leave that to it.
  if (r.pos !== end || (seen & 10) === 10) return undefined;
  return { name, version, version_label: label, signature_name: signature };
}

/** google.protobuf.Int64Value: { value } (0 when absent), or null when unusual. */
function readInt64Value(r: WireReader): { value: number } | null {
  const end = r.delimited();
  if (end < 0) return null;
  let value = 0;
  if (r.pos < end) {
    if (r.varint(1) !== 0x08) return null;
    value = r.varint(7);
  }
  return value >= 0 && r.pos === end ? { value } : null;
}

/** TensorShapeProto with dims of `size` only; null when unusual. */
function readShape(r: WireReader, end: number): FastTensorProto['tensor_shape'] {
  const dim: { size: number }[] = [];
  while (r.pos < end) {
    if (r.varint(1) !== 0x12) return null;
    const dimEnd = r.delimited();
    if (dimEnd < 0) return null;
    let size = 0;
    if (r.pos < dimEnd) {
      if (r.varint(1) !== 0x08) return null;
      size = r.varint(7);
    }
    if (size < 0 || r.pos !== dimEnd) return null;
    dim.push({ size });
  }
  return r.pos === end ? { dim, unknown_rank: false } : null;
}

/** Packed values of one numeric field (wire type 2), or undefined when unusual. */
function readPacked(r: WireReader, field: number): number[] | undefined {
  const end = r.delimited();
  if (end < 0) return undefined;
  const buf = r.buf;
  const out: number[] = [];
  if (field === 5 || field === 6) {
    const size = field === 5 ? 4 : 8;
    if ((end - r.pos) % size !== 0) return undefined;
    for (let p = r.pos; p < end; p += size) out.push(size === 4 ? buf.readFloatLE(p) : buf.readDoubleLE(p));
    r.pos = end;
    return out;
  }
  // int_val: int32 varints; a negative one takes ten bytes, which protobufjs reads instead.
  while (r.pos < end) {
    const v = r.varint(5);
    if (v < 0 || v > 0x7fffffff) return undefined;
    out.push(v);
  }
  return r.pos === end ? out : undefined;
}

const TENSOR_FIELD_BIT: Readonly<Record<number, number>> = { 0x08: 1, 0x12: 2, 0x22: 4, 0x2a: 8, 0x32: 16, 0x3a: 32 };

/** One TensorProto field (tag already read), into `t`; false when unusual. */
function readTensorField(r: WireReader, tag: number, t: FastTensorProto): boolean {
  if (tag === 0x08) {
    const dtype = r.varint(5);
    t.dtype = dtype;
    return dtype >= 0 && dtype <= 0x7fffffff;
  }
  if (tag === 0x12) {
    const end = r.delimited();
    return end >= 0 && (t.tensor_shape = readShape(r, end)) !== null;
  }
  if (tag === 0x22) {
    const end = r.delimited();
    if (end < 0) return false;
    t.tensor_content = end > r.pos ? r.buf.subarray(r.pos, end) : null;
    r.pos = end;
    return true;
  }
  const values = readPacked(r, tag >>> 3);
  if (values === undefined) return false;
  if (tag === 0x2a) t.float_val = values;
  else if (tag === 0x32) t.double_val = values;
  else t.int_val = values;
  return true;
}

/** A TensorProto of dtype, shape, tensor_content and packed float/double/int values, each at most once. */
function readTensor(r: WireReader, end: number): FastTensorProto | undefined {
  const t: FastTensorProto = { dtype: 0, tensor_shape: null, tensor_content: null, float_val: null, double_val: null, int_val: null };
  let seen = 0;
  while (r.pos < end) {
    const tag = r.varint(1);
    const bit = TENSOR_FIELD_BIT[tag] ?? 0;
    if (bit === 0 || seen & bit) return undefined;
    seen |= bit;
    if (!readTensorField(r, tag, t)) return undefined;
  }
  return r.pos === end ? t : undefined;
}

/** One `inputs` map entry (key 1, value 2, each once) into `inputs`; false when unusual. */
function readInputEntry(r: WireReader, inputs: Record<string, TensorProtoLike>): boolean {
  const end = r.delimited();
  if (end < 0) return false;
  let key: string | undefined;
  let value: FastTensorProto | undefined;
  while (r.pos < end) {
    const tag = r.varint(1);
    if (tag === 0x0a && key === undefined) {
      key = r.ascii();
      if (key === undefined) return false;
    } else if (tag === 0x12 && value === undefined) {
      const valueEnd = r.delimited();
      if (valueEnd < 0 || !(value = readTensor(r, valueEnd))) return false;
    } else {
      return false;
    }
  }
  // protobufjs makes '__proto__' an own key; a missing value becomes an empty TensorProto.
  if (r.pos !== end || value === undefined || key === '__proto__') return false;
  inputs[key ?? ''] = value;
  return true;
}

/**
 * The PredictRequest in `buf` when it has the common shape (see above), else undefined:
 * then protobufjs decodes it. Same fields, same values as protobufjs's message for the
 * readers of a request (handlers, `modelSpecFromProto`, `requestTensorFromProto`).
 */
export function readPredictRequest(buf: Buffer): PredictRequestMsg | undefined {
  const r = new WireReader(buf, 0, buf.length);
  let spec: ModelSpecMsg | null = null;
  const inputs: Record<string, TensorProtoLike> = {};
  const filter: string[] = [];
  while (r.pos < buf.length) {
    const tag = r.varint(1);
    if (tag === 0x0a && spec === null) {
      const end = r.delimited();
      if (end < 0 || !(spec = readModelSpec(r, end) ?? null)) return undefined;
    } else if (tag === 0x12) {
      if (!readInputEntry(r, inputs)) return undefined;
    } else if (tag === 0x1a) {
      const s = r.ascii();
      if (s === undefined) return undefined;
      filter.push(s);
    } else {
      return undefined;
    }
  }
  return r.pos === buf.length ? { model_spec: spec, inputs, output_filter: filter } : undefined;
}

// ---- PredictResponse by hand ----

/** Bytes of a varint for a non-negative integer below 2^53. */
function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function putVarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 128) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** The value field a tensor's bytes go in as they are (tag), or 0 when its encoding is not raw bytes. */
function rawValueTag(storage: string, asTensorContent: boolean): number {
  if (asTensorContent) return storage === 'bytes' ? 0 : (4 << 3) | 2;
  switch (storage) {
    case 'float32':
      return (5 << 3) | 2;
    case 'float64':
      return (6 << 3) | 2;
    case 'complex64':
      return (9 << 3) | 2;
    case 'complex128':
      return (12 << 3) | 2;
    default:
      return 0;
  }
}

/** One output's encoding plan: sizes of its parts, computed before anything is written. */
interface OutputPlan {
  readonly alias: string;
  readonly dtypeEnum: number;
  readonly shape: readonly number[];
  readonly shapeSize: number;
  readonly valueTag: number;
  readonly values: Uint8Array;
  readonly tensorSize: number;
  readonly entrySize: number;
}

/** Bytes of a length-delimited field (one-byte tag) holding `n` bytes. */
const fieldSize = (n: number): number => 1 + varintSize(n) + n;

/** The plan of one output, or undefined when it needs {@link writeTensorProto}'s general encoder. */
function planOutput(alias: string, t: Tensor, asTensorContent: boolean): OutputPlan | undefined {
  const info = dtypeInfo(t.dtype);
  if (!info || info.storage === 'none' || !/^[\x20-\x7e]*$/.test(alias)) return undefined;
  const valueTag = rawValueTag(info.storage, asTensorContent);
  if (valueTag === 0) return undefined;
  const data = t.data as Exclude<TensorData, Uint8Array[]>;
  const values = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let shapeSize = 0;
  for (const d of t.shape) shapeSize += fieldSize(d === 0 ? 0 : 1 + varintSize(d));
  // As writeTensorProto: no value field at all for an empty tensor.
  const tensorSize = 1 + varintSize(info.enum) + fieldSize(shapeSize) + (values.length === 0 ? 0 : fieldSize(values.length));
  const entrySize = fieldSize(alias.length) + fieldSize(tensorSize);
  return { alias, dtypeEnum: info.enum, shape: t.shape, shapeSize, valueTag, values, tensorSize, entrySize };
}

/** Write one planned output entry at `pos`; returns the position after it. */
function putOutput(buf: Buffer, pos: number, o: OutputPlan): number {
  buf[pos++] = TAG_OUTPUTS;
  pos = putVarint(buf, pos, o.entrySize);
  buf[pos++] = TAG_ENTRY_KEY;
  pos = putVarint(buf, pos, o.alias.length);
  pos += buf.write(o.alias, pos, 'latin1');
  buf[pos++] = TAG_ENTRY_VALUE;
  pos = putVarint(buf, pos, o.tensorSize);
  buf[pos++] = 0x08;
  pos = putVarint(buf, pos, o.dtypeEnum);
  buf[pos++] = 0x12;
  pos = putVarint(buf, pos, o.shapeSize);
  for (const d of o.shape) {
    buf[pos++] = 0x12;
    if (d === 0) {
      buf[pos++] = 0;
      continue;
    }
    pos = putVarint(buf, pos, 1 + varintSize(d));
    buf[pos++] = 0x08;
    pos = putVarint(buf, pos, d);
  }
  if (o.values.length > 0) {
    buf[pos++] = o.valueTag;
    pos = putVarint(buf, pos, o.values.length);
    buf.set(o.values, pos);
    pos += o.values.length;
  }
  return pos;
}

/**
 * A PredictResponse written into one buffer whose size is computed first, when every output
 * is a tensor whose values go out as raw bytes (float, double and complex as AsProtoField
 * writes them, or any non-string dtype as tensor_content); undefined otherwise. The bytes are
 * those of {@link encodePredictResponse}'s general path (test/server/grpc/codec.test.ts).
 */
function writePredictResponse(reply: PredictReply, asTensorContent: boolean): Buffer | undefined {
  const plans: OutputPlan[] = [];
  let size = 0;
  for (const alias of Object.keys(reply.outputs)) {
    const plan = planOutput(alias, reply.outputs[alias]!, asTensorContent);
    if (!plan) return undefined;
    plans.push(plan);
    size += fieldSize(plan.entrySize);
  }
  const spec = modelSpecBytes(reply.modelSpec);
  size += fieldSize(spec.length);
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const plan of plans) pos = putOutput(buf, pos, plan);
  buf[pos++] = TAG_MODEL_SPEC;
  pos = putVarint(buf, pos, spec.length);
  buf.set(spec, pos);
  return buf;
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

/** A PredictRequest: by hand in the common case ({@link readPredictRequest}), else by protobufjs. */
export function decodePredictRequest(buf: Buffer): PredictRequestMsg | UnparsableRequest {
  return readPredictRequest(buf) ?? decodeRequest<PredictRequestMsg>(servingTypes().PredictRequest, buf);
}

function unary<Req, Res>(
  service: string,
  method: string,
  reqType: protobuf.Type,
  resType: protobuf.Type,
  encodeResponse: Encoder<Res>,
  decode: (buf: Buffer) => Req | UnparsableRequest = (buf) => decodeRequest<Req>(reqType, buf),
): ServiceDefinition[string] {
  return {
    path: `/${service}/${method}`,
    requestStream: false,
    responseStream: false,
    originalName: method.charAt(0).toLowerCase() + method.slice(1),
    requestSerialize: (req: Req) => encodePlain(reqType, req as object),
    requestDeserialize: (buf: Buffer) => decode(buf) as Req,
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
    Predict: unary<PredictRequestMsg, PredictReply>(
      PREDICTION_SERVICE,
      'Predict',
      T.PredictRequest,
      T.PredictResponse,
      (r) => encodePredictResponse(r, opts.serializeAsTensorContent),
      decodePredictRequest,
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
