/**
 * The GraphDef JSON that tfjs-converter's GraphModel reads (`modelTopology`), and the
 * conversion of decoded AttrValues into it.
 *
 * tfjs reads protobuf-JSON style objects: camelCase message fields (`unknownRank`,
 * `inputArg`, `nodeDef`), enum names (`"DT_FLOAT"`), bytes as base64 strings (a
 * Uint8Array is rejected by its string-attr parser), numbers for ints.
 */
import { dtypeInfo } from '../tensor/dtypes.js';
import type { AttrValueObject, TensorShapeProtoObject } from '../savedmodel/proto-types.js';

export interface ShapeJson {
  dim: { size: number }[];
  unknownRank?: boolean;
}

export interface AttrJson {
  s?: string;
  i?: number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: ShapeJson;
  func?: { name: string };
  list?: {
    s?: string[];
    i?: number[];
    f?: number[];
    b?: boolean[];
    type?: string[];
    shape?: ShapeJson[];
    func?: { name: string }[];
  };
}

export interface NodeJson {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, AttrJson>;
}

export interface FunctionJson {
  signature: {
    name: string;
    inputArg: { name: string; type: string }[];
    outputArg: { name: string; type: string }[];
  };
  nodeDef: NodeJson[];
  ret: Record<string, string>;
}

export interface GraphJson {
  node: NodeJson[];
  library: { function: FunctionJson[] };
  versions: { producer: number; minConsumer: number };
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function shapeJson(shape: TensorShapeProtoObject | undefined): ShapeJson {
  if (shape?.unknown_rank) return { dim: [], unknownRank: true };
  return { dim: (shape?.dim ?? []).map((d) => ({ size: d.size === undefined ? 0 : Number(d.size) })) };
}

/**
 * A dtype name tfjs can parse. tfjs maps only float/half/double, int32/int64/int8/uint8,
 * bool, string and complex types; other integer and float types (int16, uint16, uint32,
 * uint64, bfloat16) are computed as int32/float32 by tfs, so their attrs are rewritten.
 */
export function tfjsTypeName(t: string | number): string {
  const info = dtypeInfo(t);
  if (!info) return String(t);
  switch (info.name) {
    case 'DT_INT16':
    case 'DT_UINT16':
    case 'DT_UINT32':
    case 'DT_UINT64':
      return 'DT_INT32';
    case 'DT_BFLOAT16':
      return 'DT_FLOAT';
    default:
      return info.name;
  }
}

/** One AttrValue (toObject form) as tfjs JSON; undefined for attrs tfjs cannot use (tensors). */
export function attrToJson(a: AttrValueObject): AttrJson | undefined {
  const which =
    a.value ??
    (a.list
      ? 'list'
      : a.s
        ? 's'
        : a.i !== undefined
          ? 'i'
          : a.f !== undefined
            ? 'f'
            : a.b !== undefined
              ? 'b'
              : a.type
                ? 'type'
                : a.shape
                  ? 'shape'
                  : a.func
                    ? 'func'
                    : a.tensor
                      ? 'tensor'
                      : undefined);
  switch (which) {
    case 's':
      return { s: base64(a.s ?? new Uint8Array(0)) };
    case 'i':
      return { i: Number(a.i ?? 0) };
    case 'f':
      return { f: Number(a.f ?? 0) };
    case 'b':
      return { b: a.b ?? false };
    case 'type':
      return { type: tfjsTypeName(a.type ?? 'DT_INVALID') };
    case 'shape':
      return { shape: shapeJson(a.shape) };
    case 'func':
      return { func: { name: a.func?.name ?? '' } };
    case 'list': {
      const l: Partial<NonNullable<AttrValueObject['list']>> = a.list ?? {};
      const out: NonNullable<AttrJson['list']> = {};
      if (l.s && l.s.length) out.s = l.s.map(base64);
      if (l.i && l.i.length) out.i = l.i.map(Number);
      if (l.f && l.f.length) out.f = l.f.map(Number);
      if (l.b && l.b.length) out.b = [...l.b];
      if (l.type && l.type.length) out.type = l.type.map(tfjsTypeName);
      if (l.shape && l.shape.length) out.shape = l.shape.map(shapeJson);
      if (l.func && l.func.length) out.func = l.func.map((fn) => ({ name: fn.name ?? '' }));
      return { list: out };
    }
    default:
      return undefined;
  }
}
