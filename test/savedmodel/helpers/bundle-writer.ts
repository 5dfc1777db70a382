/**
 * A small TensorBundle writer for tests: it lets the reader be tested on every dtype,
 * several shards, big-endian bundles, Snappy-compressed and multi-block index tables
 * and partitioned entries, none of which the real fixtures all cover.
 * Written from the format description in ../shared/docs/savedmodel-notes.md §2.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { lookupType } from '../../../src/proto/root.js';
import { type DTypeName, mustDtype } from '../../../src/tensor/dtypes.js';
import { crc32cExtend, maskCrc } from '../../../src/savedmodel/crc32c.js';
import { encodeSliceKey, type SliceExtent } from '../../../src/savedmodel/tensor-slice.js';

export interface WriteTensor {
  key: string;
  dtype: DTypeName;
  shape: number[];
  /** Little-endian element bytes for numeric dtypes (swapped for big-endian bundles). */
  raw?: Uint8Array;
  /** Element values for DT_STRING. */
  strings?: Uint8Array[];
  /** Marks the entry as partitioned (two slices listed, no slice data). */
  sliced?: boolean;
  /** A partitioned tensor: the saved slices and their little-endian element bytes. */
  slices?: { extents: SliceExtent[]; raw: Uint8Array }[];
}

export interface WriteOptions {
  numShards?: number;
  endianness?: 'LITTLE' | 'BIG';
  /** Snappy-compress data and index blocks. */
  compress?: boolean;
  restartInterval?: number;
  /** Start a new data block once a block holds this many bytes. */
  blockSize?: number;
  /** Bytes of zero padding written before each tensor (alignment padding). */
  padding?: number;
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function fixed32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** A test-only Snappy compressor: greedy 4-byte matches, literals otherwise. */
export function snappyCompress(input: Uint8Array): Uint8Array {
  const out: number[] = [...varint(input.length)];
  const table = new Map<number, number>();
  let lit = 0;
  const flushLiteral = (end: number): void => {
    let start = lit;
    while (start < end) {
      const len = Math.min(end - start, 65536);
      if (len <= 60) out.push((len - 1) << 2);
      else if (len <= 256) out.push(60 << 2, len - 1);
      else out.push(61 << 2, (len - 1) & 0xff, (len - 1) >>> 8);
      for (let k = start; k < start + len; k++) out.push(input[k]!);
      start += len;
    }
  };
  let i = 0;
  while (i + 4 <= input.length) {
    const h = input[i]! | (input[i + 1]! << 8) | (input[i + 2]! << 16) | (input[i + 3]! << 24);
    const cand = table.get(h);
    table.set(h, i);
    if (cand !== undefined && i - cand < 65536) {
      let len = 4;
      while (i + len < input.length && len < 64 && input[cand + len] === input[i + len]) len++;
      flushLiteral(i);
      const off = i - cand;
      out.push(2 | ((len - 1) << 2), off & 0xff, off >>> 8);
      i += len;
      lit = i;
    } else {
      i++;
    }
  }
  flushLiteral(input.length);
  return Uint8Array.from(out);
}

interface Entry {
  key: Uint8Array;
  value: Uint8Array;
}

function buildBlock(entries: Entry[], restartInterval: number): Uint8Array {
  const out: number[] = [];
  const restarts: number[] = [];
  let prev: Uint8Array = new Uint8Array(0);
  entries.forEach((e, i) => {
    let shared = 0;
    if (i % restartInterval === 0) restarts.push(out.length);
    else while (shared < prev.length && shared < e.key.length && prev[shared] === e.key[shared]) shared++;
    out.push(...varint(shared), ...varint(e.key.length - shared), ...varint(e.value.length));
    for (let k = shared; k < e.key.length; k++) out.push(e.key[k]!);
    for (const b of e.value) out.push(b);
    prev = e.key;
  });
  if (restarts.length === 0) restarts.push(0);
  for (const r of restarts) out.push(...fixed32(r));
  out.push(...fixed32(restarts.length));
  return Uint8Array.from(out);
}

/** Build a LevelDB table from sorted entries. */
export function buildTable(entries: Entry[], opts: { compress?: boolean; restartInterval?: number; blockSize?: number } = {}): Uint8Array {
  const file: number[] = [];
  const writeBlock = (content: Uint8Array): { offset: number; size: number } => {
    const type = opts.compress ? 1 : 0;
    const body = opts.compress ? snappyCompress(content) : content;
    const offset = file.length;
    for (const b of body) file.push(b);
    const crc = crc32cExtend(crc32cExtend(0, body), Uint8Array.of(type));
    file.push(type, ...fixed32(maskCrc(crc)));
    return { offset, size: body.length };
  };
  const index: Entry[] = [];
  let current: Entry[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (current.length === 0) return;
    const h = writeBlock(buildBlock(current, opts.restartInterval ?? 16));
    index.push({ key: current[current.length - 1]!.key, value: Uint8Array.from([...varint(h.offset), ...varint(h.size)]) });
    current = [];
    bytes = 0;
  };
  for (const e of entries) {
    current.push(e);
    bytes += e.key.length + e.value.length + 3;
    if (bytes >= (opts.blockSize ?? 262144)) flush();
  }
  flush();
  const meta = writeBlock(buildBlock([], 1));
  const idx = writeBlock(buildBlock(index, 1));
  const footer = [...varint(meta.offset), ...varint(meta.size), ...varint(idx.offset), ...varint(idx.size)];
  while (footer.length < 40) footer.push(0);
  footer.push(0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb);
  return Uint8Array.from([...file, ...footer]);
}

function stringTensorBytes(strings: Uint8Array[], big: boolean): { bytes: Uint8Array; crc: number } {
  const out: number[] = [];
  let crc = 0;
  for (const s of strings) {
    out.push(...varint(s.length));
    const dv = new DataView(new ArrayBuffer(4));
    dv.setUint32(0, s.length, !big);
    crc = crc32cExtend(crc, new Uint8Array(dv.buffer));
  }
  const lenCrc = maskCrc(crc);
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, lenCrc, !big);
  const lenCrcBytes = new Uint8Array(dv.buffer);
  out.push(...lenCrcBytes);
  crc = crc32cExtend(crc, lenCrcBytes);
  for (const s of strings) {
    out.push(...s);
    crc = crc32cExtend(crc, s);
  }
  return { bytes: Uint8Array.from(out), crc };
}

function swapped(raw: Uint8Array, dtype: DTypeName): Uint8Array {
  const info = mustDtype(dtype);
  const unit = info.storage.startsWith('complex') ? info.byteSize / 2 : info.byteSize;
  const out = Uint8Array.from(raw);
  for (let i = 0; i < out.length; i += unit) out.subarray(i, i + unit).reverse();
  return out;
}

const enc = new TextEncoder();

/** Write `<prefix>.index` and its data shards. */
export function writeBundle(prefix: string, tensors: WriteTensor[], opts: WriteOptions = {}): void {
  mkdirSync(dirname(prefix), { recursive: true });
  const numShards = opts.numShards ?? 1;
  const big = opts.endianness === 'BIG';
  const shards: number[][] = Array.from({ length: numShards }, () => []);
  const Entry = lookupType('tensorflow.BundleEntryProto');
  const Header = lookupType('tensorflow.BundleHeaderProto');
  const entries: Entry[] = [
    {
      key: new Uint8Array(0),
      value: Header.encode(Header.fromObject({ num_shards: numShards, endianness: big ? 'BIG' : 'LITTLE', version: { producer: 1 } })).finish(),
    },
  ];
  // A partitioned tensor is a full entry listing its slices plus one entry per slice.
  const flat: (WriteTensor & { keyBytes: Uint8Array })[] = [];
  for (const t of tensors) {
    if (!t.slices) {
      flat.push({ ...t, keyBytes: enc.encode(t.key) });
      continue;
    }
    flat.push({ ...t, keyBytes: enc.encode(t.key), sliced: true });
    for (const s of t.slices) {
      const shape = t.shape.map((d, k) => s.extents[k]?.length ?? d);
      flat.push({ key: t.key, dtype: t.dtype, shape, raw: s.raw, keyBytes: encodeSliceKey(t.key, t.shape, s.extents) });
    }
  }
  const sorted = flat.sort((a, b) => Buffer.compare(Buffer.from(a.keyBytes), Buffer.from(b.keyBytes)));
  sorted.forEach((t, i) => {
    const shape = { dim: t.shape.map((size) => ({ size })) };
    if (t.sliced) {
      const listed = t.slices?.map((s) => ({ extent: s.extents.map((x) => (x.length === null ? {} : { start: x.start, length: x.length })) }));
      const value = Entry.encode(
        Entry.fromObject({ dtype: t.dtype, shape, slices: listed ?? [{ extent: [{ start: 0, length: 1 }] }, { extent: [{ start: 1, length: 1 }] }] }),
      ).finish();
      entries.push({ key: t.keyBytes, value });
      return;
    }
    const shard = i % numShards;
    let bytes: Uint8Array;
    let crc: number;
    if (t.dtype === 'DT_STRING') {
      ({ bytes, crc } = stringTensorBytes(t.strings ?? [], big));
    } else {
      bytes = big ? swapped(t.raw!, t.dtype) : t.raw!;
      crc = crc32cExtend(0, bytes);
    }
    const data = shards[shard]!;
    for (let p = 0; p < (opts.padding ?? 0); p++) data.push(0);
    const offset = data.length;
    data.push(...bytes);
    const value = Entry.encode(
      Entry.fromObject({ dtype: t.dtype, shape, shard_id: shard, offset, size: bytes.length, crc32c: maskCrc(crc) }),
    ).finish();
    entries.push({ key: t.keyBytes, value });
  });
  const tableOpts: { compress?: boolean; restartInterval?: number; blockSize?: number } = {};
  if (opts.compress !== undefined) tableOpts.compress = opts.compress;
  if (opts.restartInterval !== undefined) tableOpts.restartInterval = opts.restartInterval;
  if (opts.blockSize !== undefined) tableOpts.blockSize = opts.blockSize;
  writeFileSync(`${prefix}.index`, buildTable(entries, tableOpts));
  shards.forEach((d, s) =>
    writeFileSync(`${prefix}.data-${String(s).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}`, Uint8Array.from(d)),
  );
}
