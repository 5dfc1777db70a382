/**
 * tf.Example parsing for the `ParseExample` / `ParseExampleV2` custom ops (what
 * classify/regress signatures run on the serialized examples TF Serving feeds them).
 *
 * A small wire-format decoder (tensorflow/core/example/{example,feature}.proto):
 * Example.features(1) → Features.feature(1) map<string, Feature>; Feature is a oneof of
 * bytes_list(1), float_list(2), int64_list(3), each with `value = 1` (floats and ints
 * packed or not). Repeated messages merge and later map entries win, so a context
 * Example concatenated in front of an Example merges as protobuf does. Errors carry the
 * texts of TF's example parser.
 */
import { Errors } from '../errors.js';

export type FeatureValues =
  | { readonly kind: 'bytes'; readonly values: Uint8Array[] }
  | { readonly kind: 'float'; readonly values: number[] }
  | { readonly kind: 'int64'; readonly values: bigint[] }
  | { readonly kind: 'none' };

class WireError extends Error {}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end = buf.length,
    start = 0,
  ) {
    this.pos = start;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new WireError('varint too long');
    }
  }

  uint32(): number {
    // Small varints (tags, lengths) without BigInt.
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    // Longer varints (negative int32 encodings) are not valid lengths/tags here.
    throw new WireError('varint too long');
  }

  bytes(): [number, number] {
    const len = this.uint32();
    const start = this.pos;
    if (start + len > this.end) throw new WireError('truncated length-delimited field');
    this.pos += len;
    return [start, start + len];
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.bytes();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new WireError(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new WireError('truncated field');
  }
}

function parseFeature(buf: Uint8Array, start: number, end: number): FeatureValues {
  const r = new Reader(buf, end, start);
  let out: FeatureValues = { kind: 'none' };
  while (r.pos < r.end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 2 || field < 1 || field > 3) {
      r.skip(wire);
      continue;
    }
    const [s, e] = r.bytes();
    const lr = new Reader(buf, e, s);
    // A oneof member set again merges into the same list; a different member replaces it.
    if (field === 1) {
      const values: Uint8Array[] = out.kind === 'bytes' ? out.values : [];
      while (lr.pos < lr.end) {
        const t = lr.uint32();
        if (t === (1 << 3) + 2) {
          const [a, b] = lr.bytes();
          values.push(buf.subarray(a, b));
        } else lr.skip(t & 7);
      }
      out = { kind: 'bytes', values };
    } else if (field === 2) {
      const values: number[] = out.kind === 'float' ? out.values : [];
      while (lr.pos < lr.end) {
        const t = lr.uint32();
        if (t === (1 << 3) + 2) {
          const [a, b] = lr.bytes();
          if ((b - a) % 4 !== 0) throw new WireError('packed floats not a multiple of 4 bytes');
          const dv = new DataView(buf.buffer, buf.byteOffset + a, b - a);
          for (let o = 0; o < b - a; o += 4) values.push(dv.getFloat32(o, true));
        } else if (t === (1 << 3) + 5) {
          if (lr.pos + 4 > lr.end) throw new WireError('truncated float');
          values.push(new DataView(buf.buffer, buf.byteOffset + lr.pos, 4).getFloat32(0, true));
          lr.pos += 4;
        } else lr.skip(t & 7);
      }
      out = { kind: 'float', values };
    } else {
      const values: bigint[] = out.kind === 'int64' ? out.values : [];
      while (lr.pos < lr.end) {
        const t = lr.uint32();
        if (t === (1 << 3) + 2) {
          const [a, b] = lr.bytes();
          const pr = new Reader(buf, b, a);
          while (pr.pos < pr.end) values.push(BigInt.asIntN(64, pr.varint()));
        } else if (t === (1 << 3) + 0) {
          values.push(BigInt.asIntN(64, lr.varint()));
        } else lr.skip(t & 7);
      }
      out = { kind: 'int64', values };
    }
  }
  return out;
}

/** Decode one serialized tf.Example into its features (by name). Throws on malformed bytes. */
export function parseExample(buf: Uint8Array): Map<string, FeatureValues> {
  const features = new Map<string, FeatureValues>();
  try {
    const r = new Reader(buf);
    while (r.pos < r.end) {
      const tag = r.uint32();
      if (tag !== (1 << 3) + 2) {
        r.skip(tag & 7);
        continue;
      }
      const [fs, fe] = r.bytes(); // Features
      readFeatures(buf, fs, fe, features);
    }
  } catch (e) {
    if (e instanceof WireError) throw new Error(e.message, { cause: e });
    throw e;
  }
  return features;
}

/** One tf.SequenceExample: its context features and its feature lists (each a list of features, one per step). */
export interface SequenceExample {
  readonly context: Map<string, FeatureValues>;
  readonly lists: Map<string, FeatureValues[]>;
}

/** Decode one serialized tf.SequenceExample (context = field 1, feature_lists = field 2). Throws on malformed bytes. */
export function parseSequenceExample(buf: Uint8Array): SequenceExample {
  const context = new Map<string, FeatureValues>();
  const lists = new Map<string, FeatureValues[]>();
  try {
    const r = new Reader(buf);
    while (r.pos < r.end) {
      const tag = r.uint32();
      if (tag === (1 << 3) + 2) {
        const [a, b] = r.bytes();
        readFeatures(buf, a, b, context);
      } else if (tag === (2 << 3) + 2) {
        const [a, b] = r.bytes();
        readFeatureLists(buf, a, b, lists);
      } else r.skip(tag & 7);
    }
  } catch (e) {
    if (e instanceof WireError) throw new Error(e.message, { cause: e });
    throw e;
  }
  return { context, lists };
}

/** Map entries (key = field 1, value = field 2) of the message in buf[start, end). */
function mapEntries(buf: Uint8Array, start: number, end: number, onEntry: (key: string, value: [number, number] | undefined) => void): void {
  const fr = new Reader(buf, end, start);
  while (fr.pos < fr.end) {
    const t = fr.uint32();
    if (t !== (1 << 3) + 2) {
      fr.skip(t & 7);
      continue;
    }
    const [es, ee] = fr.bytes();
    const er = new Reader(buf, ee, es);
    let key = '';
    let value: [number, number] | undefined;
    while (er.pos < er.end) {
      const et = er.uint32();
      if (et === (1 << 3) + 2) {
        const [a, b] = er.bytes();
        key = new TextDecoder('utf-8', { fatal: false }).decode(buf.subarray(a, b));
      } else if (et === (2 << 3) + 2) value = er.bytes();
      else er.skip(et & 7);
    }
    onEntry(key, value);
  }
}

/** FeatureLists: name → FeatureList (repeated Feature, field 1). */
function readFeatureLists(buf: Uint8Array, start: number, end: number, lists: Map<string, FeatureValues[]>): void {
  mapEntries(buf, start, end, (key, value) => {
    const steps: FeatureValues[] = [];
    if (value) {
      const lr = new Reader(buf, value[1], value[0]);
      while (lr.pos < lr.end) {
        const t = lr.uint32();
        if (t === (1 << 3) + 2) {
          const [a, b] = lr.bytes();
          steps.push(parseFeature(buf, a, b));
        } else lr.skip(t & 7);
      }
    }
    lists.set(key, steps);
  });
}

/** Features (map<string, Feature>) in buf[start, end), merged into `features`. */
function readFeatures(buf: Uint8Array, start: number, end: number, features: Map<string, FeatureValues>): void {
  mapEntries(buf, start, end, (key, value) => features.set(key, value ? parseFeature(buf, value[0], value[1]) : { kind: 'none' }));
}

/** TF's DataTypeString for the three feature value types. */
export type FeatureDtype = 'float' | 'int64' | 'string';

/** The feature dtype a Feature's value list holds ('none' for an empty Feature). */
export const kindName = (k: FeatureValues['kind']): FeatureDtype | 'none' =>
  k === 'bytes' ? 'string' : k === 'float' ? 'float' : k === 'int64' ? 'int64' : 'none';

export interface DenseSpec {
  readonly key: string;
  readonly dtype: FeatureDtype;
  /** Shape of one example's value; a leading -1 is a variable-length dense feature ({@link varLenDenseColumn}). */
  readonly shape: readonly number[];
  /** Default values (flattened), or undefined when the feature is required. */
  readonly defaults: readonly (number | bigint | Uint8Array)[] | undefined;
}

export type DenseColumn = number[] | bigint[] | Uint8Array[];

function shapeDebug(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** The name TF prints for example i (`<unknown>` without names). */
export function exampleName(names: readonly string[] | undefined, i: number): string {
  return names && names[i] !== undefined && names[i] !== '' ? names[i]! : '<unknown>';
}


/** Decode a batch of serialized Examples; errors are TF's texts. */
export function parseBatch(serialized: readonly Uint8Array[]): Map<string, FeatureValues>[] {
  return serialized.map((s) => {
    try {
      return parseExample(s);
    } catch {
      throw Errors.exampleUnparsable(Buffer.from(s).toString('latin1'));
    }
  });
}

/** Assemble one dense feature over the batch: flat values, row-major [batch, ...shape]. */
export function denseColumn(
  examples: readonly Map<string, FeatureValues>[],
  spec: DenseSpec,
  names: readonly string[] | undefined,
): DenseColumn {
  const per = spec.shape.reduce((a, b) => a * b, 1);
  const out: (number | bigint | Uint8Array)[] = [];
  examples.forEach((ex, i) => {
    const f = ex.get(spec.key);
    if (!f || f.kind === 'none' || f.values.length === 0) {
      // An empty list counts as missing, as in TF's fast parser.
      if (!spec.defaults) {
        throw Errors.exampleFeatureRequired(exampleName(names, i), spec.key, spec.dtype);
      }
      for (let k = 0; k < per; k++) out.push(spec.defaults[spec.defaults.length === 1 ? 0 : k]!);
      return;
    }
    const kind = kindName(f.kind);
    if (kind !== spec.dtype) {
      throw Errors.exampleDtypeMismatch(exampleName(names, i), spec.key, i, kind, spec.dtype);
    }
    if (f.values.length !== per) {
      const what = spec.dtype === 'string' ? 'bytes' : spec.dtype;
      throw Errors.exampleSizeMismatch(exampleName(names, i), spec.key, i, what, f.values.length, shapeDebug(spec.shape));
    }
    for (const v of f.values) out.push(v);
  });
  return out as DenseColumn;
}

/**
 * Assemble a variable-length dense feature (tf.io.FixedLenSequenceFeature, dense shape
 * [-1, ...rest]): each example's values as whole rows of `rest`, padded with `pad` (the
 * feature's default, else 0 or "") to the longest example. A missing feature is zero rows.
 * Returns the flat values, row-major [batch, rows, ...rest], and the row count.
 */
export function varLenDenseColumn(
  examples: readonly Map<string, FeatureValues>[],
  spec: DenseSpec,
  names: readonly string[] | undefined,
): { values: DenseColumn; rows: number } {
  const rest = spec.shape.slice(1);
  const stride = rest.reduce((a, b) => a * b, 1);
  const lists = varLenColumn(examples, spec.key, spec.dtype, names);
  lists.forEach((l, i) => {
    if (stride === 0 ? l.length > 0 : l.length % stride !== 0) {
      const what = spec.dtype === 'string' ? 'bytes' : spec.dtype;
      throw Errors.exampleStrideMismatch(exampleName(names, i), spec.key, i, what, l.length, `[?,${rest.join(',')}]`);
    }
  });
  const rows = stride === 0 ? 0 : Math.max(0, ...lists.map((l) => l.length / stride));
  const pad = spec.defaults?.[0] ?? (spec.dtype === 'string' ? new Uint8Array(0) : 0);
  const out: (number | bigint | Uint8Array)[] = [];
  for (const l of lists) {
    for (const v of l) out.push(v);
    for (let k = l.length; k < rows * stride; k++) out.push(pad);
  }
  return { values: out as DenseColumn, rows };
}

/** Assemble a sparse (VarLen) or ragged feature: each example's value list. */
export function varLenColumn(
  examples: readonly Map<string, FeatureValues>[],
  key: string,
  dtype: FeatureDtype,
  names: readonly string[] | undefined,
): DenseColumn[] {
  return examples.map((ex, i) => {
    const f = ex.get(key);
    if (!f || f.kind === 'none') return [] as number[];
    const kind = kindName(f.kind);
    if (kind !== dtype) {
      throw Errors.exampleDtypeMismatch(exampleName(names, i), key, i, kind, dtype);
    }
    return f.values as DenseColumn;
  });
}
