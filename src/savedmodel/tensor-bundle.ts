/**
 * TensorBundle reader: the checkpoint format of SavedModels (`variables/variables.index`
 * plus `variables/variables.data-NNNNN-of-NNNNN`).
 *
 * The `.index` file is a LevelDB table (see sstable.ts) whose entry `""` is a
 * `tensorflow.BundleHeaderProto` and whose other entries map tensor names to
 * `tensorflow.BundleEntryProto` (dtype, shape, shard, offset, size, masked CRC32C).
 * A tensor's bytes are `data[shard][offset, offset + size)`:
 *
 * - numeric and bool tensors: raw row-major values in the bundle's byte order;
 * - DT_STRING: a varint64 length per element, a fixed32 masked CRC32C of the lengths
 *   (hashed as uint32, or uint64 above 2^32-1), then the bytes of every element. The
 *   entry's CRC covers the hashed lengths, the 4 checksum bytes and the string bytes.
 *
 * A partitioned variable's entry lists its saved slices and holds no data; each slice is an
 * entry of its own under a binary key (tensor-slice.ts). {@link TensorBundle.readSlice}
 * reads any box of a tensor, stored whole or in slices, as RestoreV2 does.
 *
 * Everything is checked: block CRCs when the index is opened, shard sizes against every
 * entry, and each tensor's CRC (and string length CRC) when it is read. Any mismatch is a
 * DATA_LOSS {@link TfsError} that names the file and what is wrong; a missing file is
 * NOT_FOUND; features tfs does not implement (DT_VARIANT values) are UNIMPLEMENTED with a message saying so. A damaged bundle never yields numbers.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { Errors, TfsError } from '../errors.js';
import { lookupType } from '../proto/root.js';
import { type DTypeInfo, type DTypeName, dtypeInfo } from '../tensor/dtypes.js';
import { type Tensor, type TensorData, numElements } from '../tensor/tensor.js';
import { crc32cExtend, maskCrc, unmaskCrc } from './crc32c.js';
import { ByteCursor, readTable } from './sstable.js';
import {
  copyBoxIntersection,
  encodeSliceKey,
  type SliceExtent,
  type SliceSpec,
  sliceBox,
  sliceText,
} from './tensor-slice.js';

export type { SliceExtent, SliceSpec } from './tensor-slice.js';

/** The bundle key of the serialized TrackableObjectGraph in TF2 checkpoints (kObjectGraphProtoKey). */
export const OBJECT_GRAPH_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';

/** TensorBundle format version this reader implements (kTensorBundleVersion). */
const BUNDLE_VERSION = 1;

/** Decoded `tensorflow.BundleHeaderProto`. */
export interface BundleHeader {
  readonly numShards: number;
  readonly endianness: 'LITTLE' | 'BIG';
  readonly version: { readonly producer: number; readonly minConsumer: number; readonly badConsumers: readonly number[] };
}


/** Decoded `tensorflow.BundleEntryProto` of one tensor. */
export interface BundleEntry {
  readonly key: string;
  /** The dtype, or null when it is a DataType tfs has no storage for (float8, int4...). */
  readonly dtype: DTypeName | null;
  /** The raw `tensorflow.DataType` enum value. */
  readonly dtypeEnum: number;
  readonly shape: readonly number[];
  readonly shardId: number;
  readonly offset: number;
  readonly size: number;
  /** The masked CRC32C as stored. */
  readonly crc32c: number;
  /** Non-empty for partitioned variables: each element lists one saved slice's extents. */
  readonly slices: readonly (readonly SliceExtent[])[];
}

/** `tensorflow.TrackableObjectGraph.TrackableObject.ObjectReference`. */
export interface TrackableReference {
  readonly node_id: number;
  readonly local_name: string;
}

/** `tensorflow.TrackableObjectGraph.TrackableObject.SerializedTensor`. */
export interface TrackableSerializedTensor {
  /** `VARIABLE_VALUE` for plain variables. */
  readonly name: string;
  readonly full_name: string;
  /** The bundle key holding this attribute's value. */
  readonly checkpoint_key: string;
  readonly optional_restore: boolean;
}

/** `tensorflow.TrackableObjectGraph.TrackableObject`. */
export interface TrackableObject {
  readonly children: readonly TrackableReference[];
  readonly attributes: readonly TrackableSerializedTensor[];
  readonly slot_variables: readonly {
    readonly original_variable_node_id: number;
    readonly slot_name: string;
    readonly slot_variable_node_id: number;
  }[];
  readonly registered_saver: { readonly name: string; readonly object_name: string } | null;
  readonly has_checkpoint_values: { readonly value: boolean } | null;
}

/**
 * `tensorflow.TrackableObjectGraph` as a plain object: snake_case field names, and every
 * field present (proto3 defaults filled in, so `node_id: 0` is not omitted).
 * Node ids are positions in `nodes`; node 0 is the root.
 */
export interface TrackableObjectGraph {
  readonly nodes: readonly TrackableObject[];
}

const HOST_LITTLE = endianness() === 'LE';
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** `variables.data-00000-of-00001` naming (tensor_bundle naming.cc). */
export function dataFileName(prefix: string, shard: number, numShards: number): string {
  return `${prefix}.data-${String(shard).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}`;
}

interface RawEntryObject {
  dtype?: number;
  shape?: { dim?: { size?: number }[]; unknown_rank?: boolean };
  shard_id?: number;
  offset?: number;
  size?: number;
  crc32c?: number;
  slices?: { extent?: { start?: number; length?: number }[] }[];
}

/**
 * An open TensorBundle. {@link TensorBundle.open} reads and verifies the index and checks
 * that every data shard exists and is long enough; {@link TensorBundle.read} reads one
 * tensor with a positional read and verifies its checksum.
 */
export class TensorBundle {
  /** The prefix the bundle was opened with, e.g. `<version>/variables/variables`. */
  readonly prefix: string;
  readonly indexFile: string;
  readonly header: BundleHeader;
  /** The data shard files, in shard order. */
  readonly dataFiles: readonly string[];
  private readonly entries: Map<string, BundleEntry>;
  /** Slice entries by the hex of their binary key. */
  private readonly sliceEntries: Map<string, BundleEntry>;
  private objectGraphCache: TrackableObjectGraph | null | undefined;

  private constructor(
    prefix: string,
    header: BundleHeader,
    entries: Map<string, BundleEntry>,
    sliceEntries: Map<string, BundleEntry>,
    dataFiles: string[],
  ) {
    this.prefix = prefix;
    this.sliceEntries = sliceEntries;
    this.indexFile = `${prefix}.index`;
    this.header = header;
    this.entries = entries;
    this.dataFiles = dataFiles;
  }

  /**
   * Open the bundle at `prefix` (the path without `.index`). Throws NOT_FOUND when the index
   * or a data shard is missing, DATA_LOSS when a file is corrupt or truncated.
   */
  static open(prefix: string): TensorBundle {
    const indexFile = `${prefix}.index`;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(indexFile);
    } catch (err) {
      throw fileError(indexFile, err, 'Checkpoint index file not found');
    }
    const table = readTable(bytes, indexFile);
    const first = table[0];
    if (!first || first.key.length !== 0) {
      throw Errors.corruptModelFile(indexFile, 'the first entry is not the bundle header (key "")');
    }
    const header = decodeHeader(first.value, indexFile);
    const entries = new Map<string, BundleEntry>();
    const sliceEntries = new Map<string, BundleEntry>();
    for (const e of table.slice(1)) {
      // Slice keys (EncodeTensorNameSlice) are binary and start with a 0 byte; they are
      // found by encoding the wanted slice (see tensor-slice.ts).
      if (e.key[0] === 0) {
        const hex = Buffer.from(e.key).toString('hex');
        sliceEntries.set(hex, decodeEntry(`slice key ${hex}`, e.value, header, indexFile));
        continue;
      }
      let key: string;
      try {
        key = utf8Decoder.decode(e.key);
      } catch {
        throw Errors.corruptModelFile(indexFile, `a tensor name is not valid UTF-8 (${Buffer.from(e.key).toString('hex')})`);
      }
      entries.set(key, decodeEntry(key, e.value, header, indexFile));
    }
    const dataFiles: string[] = [];
    const sizes: number[] = [];
    for (let s = 0; s < header.numShards; s++) {
      const f = dataFileName(prefix, s, header.numShards);
      dataFiles.push(f);
      try {
        sizes.push(statSync(f).size);
      } catch (err) {
        // A bundle whose tensors all live in other shards still needs every shard file, as TF does.
        throw fileError(f, err, `Checkpoint data file not found (shard ${s} of ${header.numShards} of ${indexFile})`);
      }
    }
    for (const e of [...entries.values(), ...sliceEntries.values()]) {
      if (e.slices.length > 0) continue;
      const size = sizes[e.shardId]!;
      if (e.offset + e.size > size) {
        throw Errors.corruptModelFile(
          dataFiles[e.shardId]!,
          `tensor "${e.key}" needs bytes [${e.offset}, ${e.offset + e.size}) but the file has ${size} bytes: truncated file`,
        );
      }
    }
    return new TensorBundle(prefix, header, entries, sliceEntries, dataFiles);
  }

  /** True when `<prefix>.index` exists (a SavedModel without variables has none). */
  static exists(prefix: string): boolean {
    return existsSync(`${prefix}.index`);
  }

  /** Every tensor name in the bundle, sorted bytewise (the header entry and slice keys excluded). */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The index entry of `key`; throws NOT_FOUND when the bundle has no such tensor. */
  entry(key: string): BundleEntry {
    const e = this.entries.get(key);
    if (!e) throw Errors.checkpointKeyNotFound(key, this.prefix);
    return e;
  }

  /**
   * Read one tensor, verifying its checksum. Numeric values come back in host order
   * (big-endian bundles are byte-swapped); half and bfloat16 as uint16 bit patterns;
   * strings as one Uint8Array per element.
   */
  read(key: string): Tensor {
    const e = this.entry(key);
    if (e.slices.length > 0) return this.readSlice(key, { fullShape: e.shape, extents: e.shape.map(() => ({ start: 0, length: null })) });
    return this.readEntry(e);
  }

  /**
   * Read a slice of tensor `key`, as RestoreV2 does for a `shape_and_slices` element (null:
   * the whole tensor). The tensor may be stored whole (the slice is cut out of it) or as
   * saved slices (of a partitioned variable): a saved slice equal to the wanted one is read
   * directly, otherwise the wanted box is assembled from every saved slice it overlaps.
   */
  readSlice(key: string, spec: SliceSpec | null): Tensor {
    const e = this.entry(key);
    const full = spec ?? { fullShape: e.shape, extents: e.shape.map(() => ({ start: 0, length: null })) };
    const what = `tensor "${key}" slice ${sliceText(full.extents)}`;
    if (full.fullShape.length !== e.shape.length || full.fullShape.some((d, i) => d !== e.shape[i])) {
      throw Errors.corruptModelFile(
        this.indexFile,
        `${what}: the graph says the full shape is [${full.fullShape.join(',')}], the checkpoint has [${e.shape.join(',')}]`,
      );
    }
    if (e.slices.length === 0 && spec === null) return this.readEntry(e);
    const box = sliceBox(e.shape, full.extents);
    const exact = this.sliceEntries.get(Buffer.from(encodeSliceKey(key, e.shape, full.extents)).toString('hex'));
    if (exact && e.slices.length > 0) return this.checkedSliceTensor(exact, box, what);
    const pieces: SlicePiece[] =
      e.slices.length === 0
        ? [{ box: sliceBox(e.shape, []), t: this.readEntry(e) }]
        : e.slices.map((ext) => {
            const sb = sliceBox(e.shape, ext);
            const se = this.sliceEntries.get(Buffer.from(encodeSliceKey(key, e.shape, ext)).toString('hex'));
            if (!se) throw Errors.corruptModelFile(this.indexFile, `tensor "${key}" lists slice ${sliceText(ext)} but the index has no entry for it`);
            return { box: sb, t: null, entry: se };
          });
    return this.assemble(e, box, pieces, what);
  }

  private checkedSliceTensor(se: BundleEntry, box: [number, number][], what: string): Tensor {
    const t = this.readEntry(se);
    if (t.shape.length !== box.length || box.some(([, n], i) => n !== t.shape[i])) {
      throw Errors.corruptModelFile(this.indexFile, `${what}: the stored slice has shape [${t.shape.join(',')}]`);
    }
    return t;
  }

  private assemble(
    e: BundleEntry,
    box: [number, number][],
    pieces: readonly SlicePiece[],
    what: string,
  ): Tensor {
    const info = e.dtype === null ? undefined : dtypeInfo(e.dtype);
    if (!info || info.storage === 'none') {
      throw Errors.unsupportedModelFeature(this.indexFile, `${what} has dtype ${e.dtype ?? `enum ${e.dtypeEnum}`}, which tfs cannot load as a value`);
    }
    const shape = box.map(([, n]) => n);
    const n = numElements(shape);
    const unit = info.storage === 'complex64' || info.storage === 'complex128' ? 2 : 1;
    let data: TensorData | undefined;
    let covered = 0;
    for (const p of pieces) {
      if (!box.every(([s, l], d) => Math.max(s, p.box[d]![0]) < Math.min(s + l, p.box[d]![0] + p.box[d]![1]))) continue;
      const t = p.t ?? this.checkedSliceTensor(p.entry!, p.box, what);
      data ??= emptyLike(t.data, n * unit);
      covered += copyBoxIntersection(t.data, p.box, data, box, unit);
    }
    if (covered !== n || data === undefined) {
      throw Errors.corruptModelFile(this.indexFile, `${what}: the saved slices cover ${covered} of its ${n} elements`);
    }
    return { dtype: info.name, shape, data };
  }

  /** Read one (whole or slice) entry's values, verifying its checksum. */
  private readEntry(e: BundleEntry): Tensor {
    const key = e.key;
    const file = this.dataFiles[e.shardId]!;
    const info = e.dtype === null ? undefined : dtypeInfo(e.dtype);
    if (!info || info.storage === 'none') {
      throw Errors.unsupportedModelFeature(
        this.indexFile,
        `tensor "${key}" has dtype ${e.dtype ?? `enum ${e.dtypeEnum}`}, which tfs cannot load as a value`,
      );
    }
    const bytes = readRange(file, e.offset, e.size);
    const n = numElements(e.shape);
    if (info.storage === 'bytes') {
      return { dtype: info.name, shape: e.shape, data: decodeStrings(bytes, n, e, file, this.header.endianness) };
    }
    const expected = n * info.byteSize;
    if (e.size !== expected) {
      throw Errors.corruptModelFile(
        file,
        `tensor "${key}" (${info.short}, shape [${e.shape.join(',')}]) should be ${expected} bytes but its entry says ${e.size}`,
      );
    }
    checkCrc(bytes, e, file);
    const swap = (this.header.endianness === 'LITTLE') !== HOST_LITTLE;
    return { dtype: info.name, shape: e.shape, data: decodeNumeric(bytes, n, info, swap) };
  }

  /**
   * The checkpoint's object graph (the `_CHECKPOINTABLE_OBJECT_GRAPH` entry, a scalar string
   * holding a serialized `tensorflow.TrackableObjectGraph`), or null when the bundle has none
   * (TF1 name-based checkpoints). Decoded once and cached.
   */
  objectGraph(): TrackableObjectGraph | null {
    if (this.objectGraphCache !== undefined) return this.objectGraphCache;
    if (!this.has(OBJECT_GRAPH_KEY)) {
      this.objectGraphCache = null;
      return null;
    }
    const t = this.read(OBJECT_GRAPH_KEY);
    const data = t.data as Uint8Array[];
    if (t.dtype !== 'DT_STRING' || data.length !== 1) {
      throw Errors.corruptModelFile(this.indexFile, `${OBJECT_GRAPH_KEY} is not a scalar string (dtype ${t.dtype}, ${data.length} elements)`);
    }
    const T = lookupType('tensorflow.TrackableObjectGraph');
    let graph: TrackableObjectGraph;
    try {
      graph = T.toObject(T.decode(data[0]!), {
        longs: Number,
        enums: String,
        defaults: true,
        arrays: true,
        objects: true,
      }) as TrackableObjectGraph;
    } catch (err) {
      throw Errors.corruptModelFile(this.dataFiles[this.entry(OBJECT_GRAPH_KEY).shardId]!, `${OBJECT_GRAPH_KEY} does not decode as a TrackableObjectGraph (${(err as Error).message})`);
    }
    this.objectGraphCache = graph;
    return graph;
  }
}

/** A stored part of a tensor: its box in full-tensor coordinates, and its value or entry. */
interface SlicePiece {
  readonly box: [number, number][];
  readonly t: Tensor | null;
  readonly entry?: BundleEntry;
}

/** A zeroed array of the same kind as `like` with `n` slots. */
function emptyLike(like: TensorData, n: number): TensorData {
  if (Array.isArray(like)) return Array.from({ length: n }, () => new Uint8Array(0));
  const C = (like as Float32Array).constructor as new (n: number) => TensorData;
  return new C(n);
}

function fileError(file: string, err: unknown, detail: string): TfsError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return Errors.missingModelFile(file, detail);
  return Errors.corruptModelFile(file, `cannot be read (${(err as Error).message})`);
}

function decodeHeader(value: Uint8Array, file: string): BundleHeader {
  const T = lookupType('tensorflow.BundleHeaderProto');
  let o: { num_shards?: number; endianness?: number; version?: { producer?: number; min_consumer?: number; bad_consumers?: number[] } };
  try {
    o = T.toObject(T.decode(value), { longs: Number, enums: Number, defaults: false, arrays: true }) as typeof o;
  } catch (err) {
    throw Errors.corruptModelFile(file, `the bundle header does not decode (${(err as Error).message})`);
  }
  const numShards = o.num_shards ?? 0;
  if (numShards < 1) throw Errors.corruptModelFile(file, `the bundle header says ${numShards} data shards`);
  const endian = o.endianness ?? 0;
  if (endian !== 0 && endian !== 1) throw Errors.corruptModelFile(file, `unknown endianness ${endian} in the bundle header`);
  const version = {
    producer: o.version?.producer ?? 0,
    minConsumer: o.version?.min_consumer ?? 0,
    badConsumers: o.version?.bad_consumers ?? [],
  };
  // TF's CheckVersions for checkpoints (kTensorBundleVersion = 1, min producer/consumer 0).
  if (version.minConsumer > BUNDLE_VERSION) {
    throw Errors.unsupportedModelFeature(
      file,
      `checkpoint min consumer version ${version.minConsumer} is above the supported version ${BUNDLE_VERSION}; a newer TensorFlow wrote it`,
    );
  }
  if (version.badConsumers.includes(BUNDLE_VERSION)) {
    throw Errors.unsupportedModelFeature(file, `checkpoint disallows consumer version ${BUNDLE_VERSION}`);
  }
  return { numShards, endianness: endian === 1 ? 'BIG' : 'LITTLE', version };
}

function decodeEntry(key: string, value: Uint8Array, header: BundleHeader, file: string): BundleEntry {
  const T = lookupType('tensorflow.BundleEntryProto');
  let o: RawEntryObject;
  try {
    o = T.toObject(T.decode(value), { longs: Number, enums: Number, defaults: false, arrays: true }) as RawEntryObject;
  } catch (err) {
    throw Errors.corruptModelFile(file, `the entry of tensor "${key}" does not decode (${(err as Error).message})`);
  }
  const dtypeEnum = o.dtype ?? 0;
  const info = dtypeInfo(dtypeEnum);
  if (o.shape?.unknown_rank) throw Errors.corruptModelFile(file, `tensor "${key}" has an unknown rank`);
  const shape = (o.shape?.dim ?? []).map((d) => d.size ?? 0);
  if (shape.some((d) => d < 0 || !Number.isSafeInteger(d))) {
    throw Errors.corruptModelFile(file, `tensor "${key}" has an invalid shape [${shape.join(',')}]`);
  }
  const shardId = o.shard_id ?? 0;
  const offset = o.offset ?? 0;
  const size = o.size ?? 0;
  if (shardId < 0 || shardId >= header.numShards) {
    throw Errors.corruptModelFile(file, `tensor "${key}" is in shard ${shardId} but the bundle has ${header.numShards} shards`);
  }
  if (offset < 0 || size < 0) throw Errors.corruptModelFile(file, `tensor "${key}" has offset ${offset} and size ${size}`);
  const slices = (o.slices ?? []).map((s) => (s.extent ?? []).map((x) => ({ start: x.start ?? 0, length: x.length ?? null })));
  return {
    key,
    dtype: info && dtypeEnum < 100 ? info.name : null,
    dtypeEnum,
    shape,
    shardId,
    offset,
    size,
    crc32c: o.crc32c ?? 0,
    slices,
  };
}

/** Read exactly `size` bytes at `offset` of `file` (a fresh, 8-byte-aligned buffer). */
function readRange(file: string, offset: number, size: number): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(size));
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw fileError(file, err, 'Checkpoint data file not found');
  }
  try {
    let done = 0;
    while (done < size) {
      const n = readSync(fd, out, done, size - done, offset + done);
      if (n === 0) {
        throw Errors.corruptModelFile(file, `expected ${size} bytes at offset ${offset}, the file ends after ${done}: truncated file`);
      }
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

function checkCrc(bytes: Uint8Array, e: BundleEntry, file: string): void {
  const actual = crc32cExtend(0, bytes);
  const stored = unmaskCrc(e.crc32c);
  if (actual !== stored) {
    throw Errors.corruptModelFile(
      file,
      `checksum of tensor "${e.key}" does not match: stored crc32c 0x${stored.toString(16)}, computed 0x${actual.toString(16)} on the ${bytes.length} bytes at offset ${e.offset}`,
    );
  }
}

function decodeNumeric(bytes: Uint8Array, n: number, info: DTypeInfo, swap: boolean): TensorData {
  const buf = bytes.buffer as ArrayBuffer;
  if (swap) {
    const unit = info.storage === 'complex64' || info.storage === 'complex128' ? info.byteSize / 2 : info.byteSize;
    if (unit > 1) {
      for (let i = 0; i < bytes.length; i += unit) {
        for (let a = i, b = i + unit - 1; a < b; a++, b--) {
          const t = bytes[a]!;
          bytes[a] = bytes[b]!;
          bytes[b] = t;
        }
      }
    }
  }
  switch (info.storage) {
    case 'float32':
      return new Float32Array(buf, 0, n);
    case 'float64':
      return new Float64Array(buf, 0, n);
    case 'int32':
      return new Int32Array(buf, 0, n);
    case 'uint8':
      return new Uint8Array(buf, 0, n);
    case 'int16':
      return new Int16Array(buf, 0, n);
    case 'int8':
      return new Int8Array(buf, 0, n);
    case 'uint16':
      return new Uint16Array(buf, 0, n);
    case 'uint32':
      return new Uint32Array(buf, 0, n);
    case 'int64':
      return new BigInt64Array(buf, 0, n);
    case 'uint64':
      return new BigUint64Array(buf, 0, n);
    case 'bool': {
      const out = new Uint8Array(buf, 0, n);
      for (let i = 0; i < n; i++) out[i] = out[i] ? 1 : 0;
      return out;
    }
    case 'complex64':
      return new Float32Array(buf, 0, 2 * n);
    case 'complex128':
      return new Float64Array(buf, 0, 2 * n);
    case 'bytes':
    case 'none':
      throw new Error(`decodeNumeric: ${info.name} is not numeric`);
  }
}

/** Parse a DT_STRING tensor's bytes, checking the length checksum and the entry checksum. */
function decodeStrings(bytes: Uint8Array, n: number, e: BundleEntry, file: string, order: 'LITTLE' | 'BIG'): Uint8Array[] {
  const c = new ByteCursor(bytes);
  const lengths: number[] = [];
  const scratch = new DataView(new ArrayBuffer(8));
  const le = order === 'LITTLE';
  let crc = 0;
  const fail = (what: string): never => {
    throw Errors.corruptModelFile(file, `string tensor "${e.key}" at offset ${e.offset}: ${what}`);
  };
  try {
    for (let i = 0; i < n; i++) {
      const len = c.varint('string length');
      lengths.push(len);
      // The writer hashes each length as a uint32 (uint64 when it does not fit) in its own byte order.
      if (len <= 0xffffffff) {
        scratch.setUint32(0, len, le);
        crc = crc32cExtend(crc, new Uint8Array(scratch.buffer, 0, 4));
      } else {
        scratch.setBigUint64(0, BigInt(len), le);
        crc = crc32cExtend(crc, new Uint8Array(scratch.buffer, 0, 8));
      }
    }
    const lengthCrcBytes = c.take(4, 'length checksum');
    const storedLengthCrc = new DataView(lengthCrcBytes.buffer, lengthCrcBytes.byteOffset, 4).getUint32(0, le);
    if (storedLengthCrc !== maskCrc(crc)) {
      fail(`the length checksum does not match (stored 0x${storedLengthCrc.toString(16)}, computed 0x${maskCrc(crc).toString(16)})`);
    }
    crc = crc32cExtend(crc, lengthCrcBytes);
    const out: Uint8Array[] = [];
    for (const len of lengths) {
      const s = c.take(len, 'string bytes');
      crc = crc32cExtend(crc, s);
      out.push(s);
    }
    if (c.remaining !== 0) fail(`${c.remaining} bytes left over after ${n} strings`);
    if (crc !== unmaskCrc(e.crc32c)) {
      fail(`checksum does not match (stored crc32c 0x${unmaskCrc(e.crc32c).toString(16)}, computed 0x${crc.toString(16)})`);
    }
    return out;
  } catch (err) {
    if (err instanceof TfsError) throw err;
    return fail((err as Error).message);
  }
}
