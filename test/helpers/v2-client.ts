/**
 * A small Open Inference Protocol (KServe V2) client for tests and the bench, written from
 * the protocol's text, not from tfs's server code: REST with JSON or the binary tensor
 * data extension (fetch), and gRPC through @grpc/proto-loader on protos/inference.proto.
 *
 * Tensors are `{name, datatype, shape, data}` with `data` a flat array: numbers, bigints
 * (INT64/UINT64), booleans, or strings / Uint8Arrays (BYTES).
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { repoRoot } from './paths.js';

export type V2Value = number | bigint | boolean | string | Uint8Array;

export interface V2Tensor {
  name: string;
  datatype: string;
  shape: number[];
  data: V2Value[];
}

export interface V2Response {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: V2Tensor[];
}

/** Bytes per element of fixed-size datatypes (spec's datatype table). */
const SIZE: Record<string, number> = { BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, BF16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8 };

/** Little-endian bytes of a flat tensor, BYTES elements with a 4-byte length each. */
export function encodeRaw(datatype: string, data: readonly V2Value[]): Uint8Array {
  if (datatype === 'BYTES') {
    const els = data.map((v) => (typeof v === 'string' ? new TextEncoder().encode(v) : (v as Uint8Array)));
    const out = Buffer.alloc(els.reduce((n, e) => n + 4 + e.length, 0));
    let off = 0;
    for (const e of els) {
      out.writeUInt32LE(e.length, off);
      out.set(e, off + 4);
      off += 4 + e.length;
    }
    return out;
  }
  const size = SIZE[datatype]!;
  const b = Buffer.alloc(size * data.length);
  data.forEach((v, i) => {
    const o = i * size;
    switch (datatype) {
      case 'BOOL': b.writeUInt8(v ? 1 : 0, o); break;
      case 'UINT8': b.writeUInt8(Number(v), o); break;
      case 'INT8': b.writeInt8(Number(v), o); break;
      case 'UINT16': b.writeUInt16LE(Number(v), o); break;
      case 'INT16': b.writeInt16LE(Number(v), o); break;
      case 'UINT32': b.writeUInt32LE(Number(v), o); break;
      case 'INT32': b.writeInt32LE(Number(v), o); break;
      case 'UINT64': b.writeBigUInt64LE(BigInt(v as number), o); break;
      case 'INT64': b.writeBigInt64LE(BigInt(v as number), o); break;
      case 'FP32': b.writeFloatLE(Number(v), o); break;
      case 'FP64': b.writeDoubleLE(Number(v), o); break;
      default: throw new Error(`encodeRaw: ${datatype} not supported by the test client`);
    }
  });
  return b;
}

/** The flat values of raw little-endian bytes. */
export function decodeRaw(datatype: string, shape: readonly number[], raw: Uint8Array): V2Value[] {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = shape.reduce((a, d) => a * d, 1);
  const out: V2Value[] = [];
  if (datatype === 'BYTES') {
    let off = 0;
    for (let i = 0; i < n; i++) {
      const len = b.readUInt32LE(off);
      out.push(new Uint8Array(b.subarray(off + 4, off + 4 + len)));
      off += 4 + len;
    }
    return out;
  }
  const size = SIZE[datatype]!;
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (datatype) {
      case 'BOOL': out.push(b.readUInt8(o) !== 0); break;
      case 'UINT8': out.push(b.readUInt8(o)); break;
      case 'INT8': out.push(b.readInt8(o)); break;
      case 'UINT16': out.push(b.readUInt16LE(o)); break;
      case 'INT16': out.push(b.readInt16LE(o)); break;
      case 'UINT32': out.push(b.readUInt32LE(o)); break;
      case 'INT32': out.push(b.readInt32LE(o)); break;
      case 'UINT64': out.push(b.readBigUInt64LE(o)); break;
      case 'INT64': out.push(b.readBigInt64LE(o)); break;
      case 'FP32': out.push(b.readFloatLE(o)); break;
      case 'FP64': out.push(b.readDoubleLE(o)); break;
      default: throw new Error(`decodeRaw: ${datatype} not supported by the test client`);
    }
  }
  return out;
}

function jsonValue(v: V2Value): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return v;
}

export class V2RestClient {
  constructor(readonly base: string) {}

  async get(path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(this.base + path);
    return { status: res.status, body: await res.json() };
  }

  async post(path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(this.base + path, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: await res.json() };
  }

  private path(model: string, version?: string): string {
    return `/v2/models/${encodeURIComponent(model)}${version ? `/versions/${version}` : ''}/infer`;
  }

  /** Inference with JSON tensors. */
  async inferJson(model: string, inputs: V2Tensor[], extra: Record<string, unknown> = {}, version?: string): Promise<{ status: number; body: any }> {
    const body = { ...extra, inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: t.data.map(jsonValue) })) };
    return this.post(this.path(model, version), body);
  }

  /** Inference with every input and output as binary data. */
  async inferBinary(
    model: string,
    inputs: V2Tensor[],
    outputs?: string[],
    version?: string,
    parameters: Record<string, unknown> = {},
  ): Promise<{ status: number; body: any; response?: V2Response }> {
    const raws = inputs.map((t) => encodeRaw(t.datatype, t.data));
    const header: Record<string, unknown> = {
      inputs: inputs.map((t, i) => ({ name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: raws[i]!.length } })),
      ...(outputs
        ? { outputs: outputs.map((name) => ({ name, parameters: { binary_data: true } })), parameters }
        : { parameters: { ...parameters, binary_data_output: true } }),
    };
    const json = Buffer.from(JSON.stringify(header));
    const res = await fetch(this.base + this.path(model, version), {
      method: 'POST',
      headers: { 'Inference-Header-Content-Length': String(json.length), 'Content-Type': 'application/octet-stream' },
      body: Buffer.concat([json, ...raws]),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const hl = res.headers.get('inference-header-content-length');
    if (hl === null) return { status: res.status, body: JSON.parse(bytes.toString('utf8')) };
    const head = JSON.parse(bytes.subarray(0, Number(hl)).toString('utf8'));
    let off = Number(hl);
    const outs: V2Tensor[] = head.outputs.map((o: any) => {
      const size: number = o.parameters?.binary_data_size;
      if (size === undefined) return { name: o.name, datatype: o.datatype, shape: o.shape, data: o.data };
      const data = decodeRaw(o.datatype, o.shape, bytes.subarray(off, off + size));
      off += size;
      return { name: o.name, datatype: o.datatype, shape: o.shape, data };
    });
    return { status: res.status, body: head, response: { ...head, outputs: outs } };
  }
}

type Unary = (req: object, cb: (err: grpc.ServiceError | null, res: any) => void) => void;

export class V2GrpcClient {
  private readonly stub: grpc.Client & Record<string, Unary>;

  constructor(address: string) {
    const def = protoLoader.loadSync(join(repoRoot, 'protos', 'inference.proto'), { keepCase: true, longs: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as any;
    this.stub = new pkg.inference.GRPCInferenceService(address, grpc.credentials.createInsecure());
  }

  call(method: string, req: object): Promise<any> {
    return new Promise((resolve, reject) => {
      this.stub[method]!.call(this.stub, req, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  /** ModelInfer with inputs in raw_input_contents; outputs decoded from raw or typed contents. */
  async inferRaw(model: string, inputs: V2Tensor[], version = '', signatureName?: string): Promise<V2Response> {
    const res = await this.call('ModelInfer', {
      model_name: model,
      ...(signatureName ? { parameters: { signature_name: { string_param: signatureName } } } : {}),
      model_version: version,
      inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
      raw_input_contents: inputs.map((t) => encodeRaw(t.datatype, t.data)),
    });
    return decodeGrpc(res);
  }

  /** ModelInfer with typed `contents`. */
  async inferTyped(model: string, inputs: V2Tensor[], version = '', signatureName?: string): Promise<V2Response> {
    const field: Record<string, string> = { BOOL: 'bool_contents', INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents', UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents', INT64: 'int64_contents', UINT64: 'uint64_contents', FP32: 'fp32_contents', FP64: 'fp64_contents', BYTES: 'bytes_contents' };
    const res = await this.call('ModelInfer', {
      model_name: model,
      model_version: version,
      ...(signatureName ? { parameters: { signature_name: { string_param: signatureName } } } : {}),
      inputs: inputs.map((t) => ({
        name: t.name,
        datatype: t.datatype,
        shape: t.shape,
        contents: { [field[t.datatype]!]: t.data.map((v) => (typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? Buffer.from(v) : v)) },
      })),
    });
    return decodeGrpc(res);
  }

  close(): void {
    this.stub.close();
  }
}

function decodeGrpc(res: any): V2Response {
  const raw: Uint8Array[] = res.raw_output_contents ?? [];
  const outputs = res.outputs.map((o: any, i: number) => {
    const shape = o.shape.map(Number);
    if (raw.length > 0) return { name: o.name, datatype: o.datatype, shape, data: decodeRaw(o.datatype, shape, raw[i]!) };
    const c = o.contents ?? {};
    const vals = [c.bool_contents, c.int_contents, c.uint_contents, c.fp32_contents, c.fp64_contents, c.bytes_contents].find((a) => a && a.length > 0)
      ?? (c.int64_contents?.length ? c.int64_contents.map((s: string) => BigInt(s)) : c.uint64_contents?.length ? c.uint64_contents.map((s: string) => BigInt(s)) : []);
    return { name: o.name, datatype: o.datatype, shape, data: vals };
  });
  return { model_name: res.model_name, model_version: res.model_version, id: res.id, outputs };
}
