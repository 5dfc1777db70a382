/**
 * A gRPC client for tests, built independently of the server's codec: @grpc/proto-loader
 * over protos/ (its own protobufjs encode/decode, as any dynamic client would), plus a
 * small `make_ndarray` / `make_tensor_proto` written here from the TensorProto spec, not
 * from src/tensor/tensor-proto.ts.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoFiles, protosDir } from '../../../src/proto/root.js';

let pkg: protoLoader.PackageDefinition | undefined;

export function packageDefinition(): protoLoader.PackageDefinition {
  pkg ??= protoLoader.loadSync(protoFiles(), {
    includeDirs: [protosDir],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  return pkg;
}

type Ctor = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => grpc.Client;

function ctor(service: string): Ctor {
  const def = grpc.loadPackageDefinition(packageDefinition()) as unknown as Record<string, Record<string, Record<string, Ctor>>>;
  return def['tensorflow']!['serving']![service]!;
}

export interface TestClients {
  prediction: grpc.Client;
  model: grpc.Client;
  close(): void;
}

export function connect(
  port: number,
  creds: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
  host = '127.0.0.1',
): TestClients {
  return connectTo(`${host}:${port}`, creds, options);
}

/** Clients for any gRPC target (`host:port`, `unix:/path`). */
export function connectTo(
  address: string,
  creds: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): TestClients {
  const prediction = new (ctor('PredictionService'))(address, creds, options);
  const model = new (ctor('ModelService'))(address, creds, options);
  return {
    prediction,
    model,
    close: () => {
      prediction.close();
      model.close();
    },
  };
}

export interface CallResult<T = any> {
  err: grpc.ServiceError | null;
  res: T | undefined;
}

/** Call a unary method; never rejects (returns the error instead). */
export function call<T = any>(client: grpc.Client, method: string, req: object, deadlineMs?: number): Promise<CallResult<T>> {
  return new Promise((resolve) => {
    const opts: grpc.CallOptions = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    const fn = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!;
    fn.call(client, req, opts, (err: grpc.ServiceError | null, res: T) => resolve({ err, res: err ? undefined : res }));
  });
}

/** The status of a failed call as `[code, details]`. */
export function statusOf(r: CallResult): [number, string] | undefined {
  return r.err ? [r.err.code, r.err.details] : undefined;
}

// ---------------------------------------------------------------------------------------
// A test-side TensorProto builder/reader (independent of the server codec).
// ---------------------------------------------------------------------------------------

/** Element layout per dtype name: bytes per element in tensor_content and the typed field. */
export const LAYOUT: Record<string, { bytes: number; field: string; kind: string }> = {
  DT_FLOAT: { bytes: 4, field: 'float_val', kind: 'f32' },
  DT_DOUBLE: { bytes: 8, field: 'double_val', kind: 'f64' },
  DT_INT32: { bytes: 4, field: 'int_val', kind: 'i32' },
  DT_UINT8: { bytes: 1, field: 'int_val', kind: 'u8' },
  DT_INT16: { bytes: 2, field: 'int_val', kind: 'i16' },
  DT_INT8: { bytes: 1, field: 'int_val', kind: 'i8' },
  DT_STRING: { bytes: 0, field: 'string_val', kind: 'str' },
  DT_COMPLEX64: { bytes: 8, field: 'scomplex_val', kind: 'c64' },
  DT_INT64: { bytes: 8, field: 'int64_val', kind: 'i64' },
  DT_BOOL: { bytes: 1, field: 'bool_val', kind: 'bool' },
  DT_BFLOAT16: { bytes: 2, field: 'half_val', kind: 'u16' },
  DT_UINT16: { bytes: 2, field: 'int_val', kind: 'u16' },
  DT_COMPLEX128: { bytes: 16, field: 'dcomplex_val', kind: 'c128' },
  DT_HALF: { bytes: 2, field: 'half_val', kind: 'u16' },
  DT_UINT32: { bytes: 4, field: 'uint32_val', kind: 'u32' },
  DT_UINT64: { bytes: 8, field: 'uint64_val', kind: 'u64' },
};

/** Values in a JS-neutral form: numbers, decimal strings for 64-bit ints, booleans, Buffers for strings. */
export type Val = number | string | boolean | Buffer;

function writeOne(kind: string, view: DataView, off: number, v: Val): number {
  switch (kind) {
    case 'f32':
      view.setFloat32(off, v as number, true);
      return 4;
    case 'f64':
      view.setFloat64(off, v as number, true);
      return 8;
    case 'i32':
      view.setInt32(off, v as number, true);
      return 4;
    case 'u8':
      view.setUint8(off, v as number);
      return 1;
    case 'i16':
      view.setInt16(off, v as number, true);
      return 2;
    case 'i8':
      view.setInt8(off, v as number);
      return 1;
    case 'u16':
      view.setUint16(off, v as number, true);
      return 2;
    case 'u32':
      view.setUint32(off, v as number, true);
      return 4;
    case 'i64':
      view.setBigInt64(off, BigInt(v as string), true);
      return 8;
    case 'u64':
      view.setBigUint64(off, BigInt(v as string), true);
      return 8;
    case 'bool':
      view.setUint8(off, v ? 1 : 0);
      return 1;
    default:
      throw new Error(`no layout ${kind}`);
  }
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/**
 * A TensorProto object for proto-loader, like Python's `tf.make_tensor_proto`
 * (`tensor_content`) or with the typed field (`typed: true`). Complex values are given
 * as flat re,im pairs.
 */
export function makeTensorProto(dtype: string, shape: number[], values: Val[], typed = false): Record<string, unknown> {
  const l = LAYOUT[dtype]!;
  const base = { dtype, tensor_shape: { dim: shape.map((size) => ({ size })) } };
  if (typed) {
    if (l.kind === 'str') return { ...base, string_val: values.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)))) };
    return { ...base, [l.field]: values };
  }
  if (l.kind === 'str') {
    // TF's string-list layout: all varint32 lengths, then all bytes.
    const bufs = values.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v))));
    const lens = bufs.flatMap((b) => varint(b.length));
    return { ...base, tensor_content: Buffer.concat([Buffer.from(lens), ...bufs]) };
  }
  const per = l.kind === 'c64' || l.kind === 'c128' ? l.bytes / 2 : l.bytes;
  const buf = Buffer.alloc(per * values.length);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const kind = l.kind === 'c64' ? 'f32' : l.kind === 'c128' ? 'f64' : l.kind;
  let off = 0;
  for (const v of values) off += writeOne(kind, view, off, v);
  return { ...base, tensor_content: buf };
}

export interface NdArray {
  dtype: string;
  shape: number[];
  values: Val[];
}

function readOne(kind: string, view: DataView, off: number): Val {
  switch (kind) {
    case 'f32':
      return view.getFloat32(off, true);
    case 'f64':
      return view.getFloat64(off, true);
    case 'i32':
      return view.getInt32(off, true);
    case 'u8':
      return view.getUint8(off);
    case 'i16':
      return view.getInt16(off, true);
    case 'i8':
      return view.getInt8(off);
    case 'u16':
      return view.getUint16(off, true);
    case 'u32':
      return view.getUint32(off, true);
    case 'i64':
      return view.getBigInt64(off, true).toString();
    case 'u64':
      return view.getBigUint64(off, true).toString();
    case 'bool':
      return view.getUint8(off) !== 0;
    default:
      throw new Error(`no layout ${kind}`);
  }
}

/** Python's `tf.make_ndarray` for a TensorProto as proto-loader decodes it (longs/enums as strings). */
export function makeNdarray(tp: any): NdArray {
  const dtype: string = tp.dtype;
  const l = LAYOUT[dtype];
  if (!l) throw new Error(`dtype ${dtype}`);
  const shape: number[] = (tp.tensor_shape?.dim ?? []).map((d: any) => Number(d.size ?? 0));
  const n = shape.reduce((a, b) => a * b, 1);
  const complex = l.kind === 'c64' || l.kind === 'c128';
  const count = complex ? 2 * n : n;
  const content: Buffer | undefined = tp.tensor_content && tp.tensor_content.length > 0 ? tp.tensor_content : undefined;
  if (content) {
    if (l.kind === 'str') {
      const lens: number[] = [];
      let p = 0;
      for (let i = 0; i < n; i++) {
        let v = 0;
        let s = 0;
        for (;;) {
          const b = content[p++]!;
          v |= (b & 127) << s;
          if (b < 128) break;
          s += 7;
        }
        lens.push(v);
      }
      const out: Val[] = [];
      for (const len of lens) {
        out.push(content.subarray(p, p + len));
        p += len;
      }
      return { dtype, shape, values: out };
    }
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    const kind = l.kind === 'c64' ? 'f32' : l.kind === 'c128' ? 'f64' : l.kind;
    const per = complex ? l.bytes / 2 : l.bytes;
    const out: Val[] = [];
    for (let i = 0; i < count; i++) out.push(readOne(kind, view, i * per));
    return { dtype, shape, values: out };
  }
  const raw: any[] = tp[l.field] ?? [];
  let vals: Val[] = raw.map((v: any) => {
    if (l.kind === 'str') return Buffer.from(v);
    if (l.kind === 'i64' || l.kind === 'u64') return String(v);
    if (l.kind === 'bool') return Boolean(v);
    return Number(v);
  });
  // Padding as make_ndarray does: repeat the last value (pairs for complex).
  if (vals.length > 0 && vals.length < count) {
    const last = complex ? vals.slice(-2) : vals.slice(-1);
    while (vals.length < count) vals = vals.concat(last);
  }
  return { dtype, shape, values: vals.slice(0, count) };
}

/** Normalise values for deepEqual (Buffers → hex, float32 rounding applied to inputs by the caller). */
export function norm(values: Val[]): (number | string | boolean)[] {
  return values.map((v) => (Buffer.isBuffer(v) ? `hex:${Buffer.from(v).toString('hex')}` : v));
}
