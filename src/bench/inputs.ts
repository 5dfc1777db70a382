/**
 * Request bodies for `tfs bench`: from a file or JSON literal, or built (`--auto`) as random
 * valid inputs from the model's metadata (dtype and shape of each signature input, with
 * `--batch N` rows in place of the leading unknown dimension).
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { lookupType } from '../proto/root.js';
import { dtypeInfo, type DTypeName } from '../tensor/dtypes.js';
import { allocData, numElements, utf8, type Tensor } from '../tensor/tensor.js';
import { tensorToProto } from '../tensor/tensor-proto.js';

export interface ModelSelector {
  readonly model: string;
  readonly version?: number;
  readonly label?: string;
  readonly signature?: string;
}

/** A signature input as the metadata declares it (shape null = unknown rank). */
export interface InputSpec {
  readonly dtype: string;
  readonly shape: number[] | null;
}

/** REST path of a verb for the selector, e.g. `/v1/models/m/labels/stable:predict`. */
export function restPath(sel: ModelSelector, verb: 'predict' | 'metadata'): string {
  let p = `/v1/models/${encodeURIComponent(sel.model)}`;
  if (sel.version !== undefined) p += `/versions/${sel.version}`;
  else if (sel.label !== undefined) p += `/labels/${encodeURIComponent(sel.label)}`;
  return verb === 'metadata' ? `${p}/metadata` : `${p}:predict`;
}

/** `--body` as given: `@path` reads a file, anything else is the JSON text itself. */
export function readBodyArg(arg: string): string {
  const text = arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg;
  JSON.parse(text); // fail early with the JSON error rather than at the server
  return text;
}

interface SignatureDefJson {
  inputs?: Record<string, { dtype?: string; tensor_shape?: { dim?: Array<{ size?: string | number }>; unknown_rank?: boolean } }>;
}

function specsOf(sig: SignatureDefJson | undefined, name: string): Record<string, InputSpec> {
  if (!sig?.inputs) throw new Error(`the model has no signature "${name}"`);
  const out: Record<string, InputSpec> = {};
  for (const [alias, info] of Object.entries(sig.inputs)) {
    const shape = info.tensor_shape?.unknown_rank ? null : (info.tensor_shape?.dim ?? []).map((d) => Number(d.size ?? 0));
    out[alias] = { dtype: info.dtype ?? 'DT_FLOAT', shape };
  }
  return out;
}

/**
 * `--input FILE`: several request bodies, sent in turn. One JSON document per line (JSON
 * Lines; blank lines and lines starting with `#` skipped), or a file holding one JSON array
 * of bodies. Each is checked to be JSON; line numbers name a bad one.
 */
export function readInputFile(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('[')) {
    const arr = JSON.parse(text) as unknown;
    if (!Array.isArray(arr) || arr.length === 0) throw new Error(`--input ${file}: a JSON array of request bodies must not be empty`);
    return arr.map((b) => JSON.stringify(b));
  }
  const bodies: string[] = [];
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    try {
      JSON.parse(t);
    } catch (e) {
      throw new Error(`--input ${file}:${i + 1}: not a JSON request body: ${(e as Error).message}`, { cause: e });
    }
    bodies.push(t);
  });
  if (bodies.length === 0) throw new Error(`--input ${file}: no request bodies (one JSON document per line)`);
  return bodies;
}

/** Fetch a signature's inputs from REST GET .../metadata (`ca`: a PEM CA bundle to trust for https). */
export async function fetchRestInputSpecs(url: string, sel: ModelSelector, ca?: Buffer): Promise<Record<string, InputSpec>> {
  const target = new URL(restPath(sel, 'metadata'), url);
  let res: Response;
  try {
    if (ca) {
      const { Agent, fetch: undiciFetch } = await import('undici');
      res = (await undiciFetch(target, { dispatcher: new Agent({ connect: { ca } }) })) as unknown as Response;
    } else {
      res = await fetch(target);
    }
  } catch (err) {
    // fetch() says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND...) is in its cause.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${target.origin} for the model metadata (--auto): ${cause?.code ?? cause?.message ?? String(err)}; is the server running?`, { cause: err });
  }
  const body = (await res.json()) as { error?: string; metadata?: { signature_def?: { signature_def?: Record<string, SignatureDefJson> } } };
  if (!res.ok) throw new Error(`metadata request failed (${res.status}): ${body.error ?? ''}`);
  const name = sel.signature || 'serving_default';
  return specsOf(body.metadata?.signature_def?.signature_def?.[name], name);
}

/** Fetch a signature's inputs with gRPC GetModelMetadata. */
export async function fetchGrpcInputSpecs(
  address: string,
  sel: ModelSelector,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Promise<Record<string, InputSpec>> {
  const Req = lookupType('tensorflow.serving.GetModelMetadataRequest');
  const Res = lookupType('tensorflow.serving.GetModelMetadataResponse');
  const MapT = lookupType('tensorflow.serving.SignatureDefMap');
  const req = Req.encode(Req.fromObject({ model_spec: modelSpecObject(sel), metadata_field: ['signature_def'] })).finish();
  const client = new grpc.Client(address, credentials);
  try {
    const bytes = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(
        '/tensorflow.serving.PredictionService/GetModelMetadata',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(req),
        new grpc.Metadata(),
        { deadline: Date.now() + 10_000 },
        (err: grpc.ServiceError | null, value?: Buffer) => (err || !value ? reject(err ?? new Error('empty reply')) : resolve(value)),
      ),
    );
    const res = Res.toObject(Res.decode(bytes), { longs: String, enums: String }) as {
      metadata?: Record<string, { value?: Uint8Array }>;
    };
    const any = res.metadata?.['signature_def'];
    if (!any?.value) throw new Error('GetModelMetadata returned no signature_def');
    const map = MapT.toObject(MapT.decode(any.value), { longs: String, enums: String }) as {
      signature_def?: Record<string, SignatureDefJson>;
    };
    const name = sel.signature || 'serving_default';
    return specsOf(map.signature_def?.[name], name);
  } finally {
    client.close();
  }
}

/** Random but valid values for each input: `batch` rows; other unknown dims become 1. */
export function randomInputs(specs: Record<string, InputSpec>, batch: number, seed = 1): Record<string, Tensor> {
  let s = seed >>> 0 || 1;
  const rand = (): number => {
    // xorshift32: deterministic, so two runs send the same bodies.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
  const out: Record<string, Tensor> = {};
  for (const [alias, spec] of Object.entries(specs)) {
    const info = dtypeInfo(spec.dtype);
    if (!info || info.storage === 'none') throw new Error(`--auto cannot build values for input ${alias} of dtype ${spec.dtype}`);
    const shape = spec.shape === null ? [batch] : spec.shape.map((d, i) => (i === 0 ? batch : d < 0 ? 1 : d));
    const n = numElements(shape);
    const data = allocData(info, n);
    for (let i = 0; i < data.length; i++) {
      switch (info.storage) {
        case 'float32':
        case 'float64':
        case 'complex64':
        case 'complex128':
          (data as Float32Array)[i] = rand() * 2 - 1;
          break;
        case 'int64':
        case 'uint64':
          (data as BigInt64Array)[i] = BigInt(Math.floor(rand() * 10));
          break;
        case 'bytes':
          (data as Uint8Array[])[i] = utf8('a');
          break;
        case 'bool':
          (data as Uint8Array)[i] = rand() < 0.5 ? 0 : 1;
          break;
        case 'uint16':
          // half/bfloat16 bit patterns of small numbers are not meaningful; send zeros (valid in any case).
          break;
        default:
          (data as Int32Array)[i] = Math.floor(rand() * 10);
      }
    }
    out[alias] = { dtype: info.name as DTypeName, shape, data };
  }
  return out;
}

function nested(t: Tensor): unknown {
  const flat: unknown[] = [];
  for (let i = 0; i < t.data.length; i++) {
    const v = (t.data as ArrayLike<unknown>)[i];
    if (typeof v === 'bigint') flat.push(Number(v));
    else if (v instanceof Uint8Array) flat.push(new TextDecoder().decode(v));
    else if (t.dtype === 'DT_BOOL') flat.push(v === 1);
    else flat.push(v);
  }
  if (t.shape.length === 0) return flat[0];
  let level: unknown[] = flat;
  for (let d = t.shape.length - 1; d > 0; d--) {
    const size = t.shape[d]!;
    const next: unknown[] = [];
    for (let i = 0; i < level.length; i += size) next.push(level.slice(i, i + size));
    level = next;
  }
  return level;
}

/** A REST predict body in columnar form (`{"signature_name", "inputs": {...}}`). */
export function restBodyOf(inputs: Record<string, Tensor>, signature?: string): string {
  const cols: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(inputs)) cols[k] = nested(t);
  return JSON.stringify(signature ? { signature_name: signature, inputs: cols } : { inputs: cols });
}

function modelSpecObject(sel: ModelSelector): Record<string, unknown> {
  return {
    name: sel.model,
    ...(sel.signature ? { signature_name: sel.signature } : {}),
    ...(sel.version !== undefined ? { version: { value: sel.version } } : {}),
    ...(sel.label !== undefined ? { version_label: sel.label } : {}),
  };
}

/** An encoded PredictRequest (inputs as tensor_content, as tf.make_tensor_proto writes them). */
export function grpcPredictRequest(inputs: Record<string, Tensor>, sel: ModelSelector): Uint8Array {
  const Req = lookupType('tensorflow.serving.PredictRequest');
  const protoInputs: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(inputs)) protoInputs[k] = tensorToProto(t, { asTensorContent: true });
  return Req.encode(Req.fromObject({ model_spec: modelSpecObject(sel), inputs: protoInputs })).finish();
}

/**
 * A gRPC body given as JSON: a PredictRequest in protobuf JSON form with snake_case names
 * (e.g. `{"inputs": {"x": {"dtype": "DT_FLOAT", "tensor_shape": {"dim": [{"size": 1}]}, "float_val": [2]}}}`).
 * The model spec comes from the flags.
 */
export function grpcPredictRequestFromJson(json: string, sel: ModelSelector): Uint8Array {
  const Req = lookupType('tensorflow.serving.PredictRequest');
  const obj = JSON.parse(json) as Record<string, unknown>;
  // fromObject takes the JSON form (enum names such as "DT_FLOAT"); verify checks what it built.
  let msg;
  try {
    msg = Req.fromObject({ ...obj, model_spec: modelSpecObject(sel) });
  } catch (e) {
    throw new Error(`the request body is not a valid PredictRequest: ${(e as Error).message}`, { cause: e });
  }
  const err = Req.verify(msg);
  if (err) throw new Error(`the request body is not a valid PredictRequest: ${err}`);
  return Req.encode(msg).finish();
}
