/**
 * Reader for LevelDB-format tables ("SSTables"), the format of TensorBundle
 * `*.index` files. Written from the LevelDB table format description:
 *
 * - footer (last 48 bytes): metaindex BlockHandle, index BlockHandle (each two
 *   varint64s: offset, size), zero padding to 40 bytes, then the magic number
 *   0xdb4775248b80fb57 as a little-endian fixed64;
 * - every block is `size` bytes of content followed by a 5-byte trailer: a compression
 *   type byte (0 none, 1 Snappy) and the masked CRC32C of content + type byte;
 * - block content: prefix-compressed entries, then the restart array (fixed32
 *   offsets) and the restart count (fixed32). An entry is varint32 shared,
 *   varint32 non_shared, varint32 value_length, the key's non-shared bytes, the value;
 * - the index block maps a separator key (>= the last key of a block) to that data
 *   block's handle.
 *
 * Every checksum is verified, every offset bounds-checked, and any inconsistency is a
 * DATA_LOSS {@link TfsError} that names the file: a damaged table never yields entries.
 */
import { Errors } from '../errors.js';
import { crc32c, unmaskCrc } from './crc32c.js';
import { SnappyError, snappyUncompress } from './snappy.js';

/** Magic number at the end of every table, as (low, high) little-endian uint32 words. */
const MAGIC_LO = 0x8b80fb57;
const MAGIC_HI = 0xdb477524;
const FOOTER_SIZE = 48;
const BLOCK_TRAILER_SIZE = 5;

export interface BlockHandle {
  readonly offset: number;
  readonly size: number;
}

export interface TableEntry {
  /** Raw key bytes (TensorBundle keys are UTF-8 tensor names; slice keys are binary). */
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** Thrown by the low-level decoders; {@link readTable} turns it into a TfsError naming the file. */
class FormatError extends Error {}

/** A cursor over bytes with the varint and fixed-width readers LevelDB formats need. */
export class ByteCursor {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** An unsigned varint of up to 64 bits, as a number (exact below 2^53; larger is an error). */
  varint(what: string): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new FormatError(`truncated varint (${what})`);
      if (shift > 63) throw new FormatError(`varint longer than 10 bytes (${what})`);
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    if (result > Number.MAX_SAFE_INTEGER) throw new FormatError(`varint too large (${what})`);
    return result;
  }

  fixed32(what: string): number {
    if (this.pos + 4 > this.end) throw new FormatError(`truncated fixed32 (${what})`);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  take(n: number, what: string): Uint8Array {
    if (n < 0 || this.pos + n > this.end) throw new FormatError(`truncated ${what}: needs ${n} bytes, ${this.remaining} left`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function readHandle(c: ByteCursor, what: string): BlockHandle {
  return { offset: c.varint(`${what} offset`), size: c.varint(`${what} size`) };
}

/** Bytewise comparison, the ordering of LevelDB's default comparator. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/** Read one block (content + trailer) at `handle`, verify its CRC and decompress it. */
function readBlock(file: Uint8Array, handle: BlockHandle, what: string): Uint8Array {
  const end = handle.offset + handle.size + BLOCK_TRAILER_SIZE;
  if (end > file.length) {
    throw new FormatError(
      `${what} at offset ${handle.offset} (${handle.size} bytes + trailer) runs past the end of the file (${file.length} bytes): truncated file`,
    );
  }
  const withType = file.subarray(handle.offset, handle.offset + handle.size + 1);
  const type = file[handle.offset + handle.size]!;
  const c = new ByteCursor(file, handle.offset + handle.size + 1, end);
  const stored = unmaskCrc(c.fixed32(`${what} checksum`));
  const actual = crc32c(withType);
  if (stored !== actual) {
    throw new FormatError(`${what} at offset ${handle.offset}: block checksum mismatch (stored crc32c ${hex(stored)}, computed ${hex(actual)})`);
  }
  const content = withType.subarray(0, handle.size);
  if (type === 0) return content;
  if (type === 1) {
    try {
      return snappyUncompress(content);
    } catch (err) {
      if (err instanceof SnappyError) throw new FormatError(`${what} at offset ${handle.offset}: corrupted Snappy-compressed block (${err.message})`);
      throw err;
    }
  }
  throw new FormatError(`${what} at offset ${handle.offset}: unknown block compression type ${type}`);
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Decode all entries of one block's content, checking restarts and prefix sharing. */
function decodeBlock(block: Uint8Array, what: string): TableEntry[] {
  if (block.length < 4) throw new FormatError(`${what}: block of ${block.length} bytes is too short for a restart count`);
  const numRestarts = new ByteCursor(block, block.length - 4).fixed32(`${what} restart count`);
  const restartsStart = block.length - 4 * (numRestarts + 1);
  if (numRestarts === 0 || restartsStart < 0) {
    throw new FormatError(`${what}: bad restart count ${numRestarts} for a block of ${block.length} bytes`);
  }
  const restarts = new Set<number>();
  const rc = new ByteCursor(block, restartsStart, block.length - 4);
  for (let i = 0; i < numRestarts; i++) {
    const off = rc.fixed32(`${what} restart`);
    if (off >= restartsStart && !(off === 0 && restartsStart === 0)) {
      throw new FormatError(`${what}: restart offset ${off} outside the entries (${restartsStart} bytes)`);
    }
    restarts.add(off);
  }
  const entries: TableEntry[] = [];
  const c = new ByteCursor(block, 0, restartsStart);
  let prev = new Uint8Array(0);
  while (c.pos < restartsStart) {
    const at = c.pos;
    const shared = c.varint(`${what} entry shared length`);
    const nonShared = c.varint(`${what} entry key length`);
    const valueLen = c.varint(`${what} entry value length`);
    if (shared > prev.length) throw new FormatError(`${what}: entry at ${at} shares ${shared} bytes of a ${prev.length}-byte key`);
    if (restarts.has(at) && shared !== 0) throw new FormatError(`${what}: entry at restart point ${at} shares a key prefix`);
    const delta = c.take(nonShared, `${what} key`);
    const value = c.take(valueLen, `${what} value`);
    const key = new Uint8Array(shared + nonShared);
    key.set(prev.subarray(0, shared), 0);
    key.set(delta, shared);
    if (entries.length > 0 && compareBytes(prev, key) >= 0) throw new FormatError(`${what}: keys out of order at entry offset ${at}`);
    entries.push({ key, value });
    prev = key;
  }
  return entries;
}

/**
 * Read every entry of a LevelDB table held in memory, in key order.
 * `file` is the path used in error messages.
 */
export function readTable(bytes: Uint8Array, file: string): TableEntry[] {
  try {
    if (bytes.length < FOOTER_SIZE) {
      throw new FormatError(`${bytes.length} bytes is shorter than a table footer (${FOOTER_SIZE} bytes): truncated or not a table`);
    }
    const footerAt = bytes.length - FOOTER_SIZE;
    const magic = new ByteCursor(bytes, bytes.length - 8);
    const lo = magic.fixed32('magic');
    const hi = magic.fixed32('magic');
    if (lo !== MAGIC_LO || hi !== MAGIC_HI) throw new FormatError('not an sstable (bad magic number): truncated or not a TensorBundle index');
    const fc = new ByteCursor(bytes, footerAt, bytes.length - 8);
    readHandle(fc, 'metaindex handle'); // always empty in TensorBundles; nothing to read from it
    const indexHandle = readHandle(fc, 'index handle');
    if (indexHandle.offset + indexHandle.size + BLOCK_TRAILER_SIZE > footerAt) {
      throw new FormatError(`index block handle (offset ${indexHandle.offset}, size ${indexHandle.size}) points past the data area: truncated file`);
    }
    const indexEntries = decodeBlock(readBlock(bytes, indexHandle, 'index block'), 'index block');
    const out: TableEntry[] = [];
    let lastKey: Uint8Array | undefined;
    let expectOffset = 0;
    for (const [i, ie] of indexEntries.entries()) {
      const hc = new ByteCursor(ie.value);
      const handle = readHandle(hc, `index entry ${i}`);
      if (handle.offset < expectOffset) {
        throw new FormatError(`index entry ${i} points at offset ${handle.offset}, inside the previous block (ends at ${expectOffset})`);
      }
      expectOffset = handle.offset + handle.size + BLOCK_TRAILER_SIZE;
      const blockEntries = decodeBlock(readBlock(bytes, handle, `data block ${i}`), `data block ${i}`);
      for (const e of blockEntries) {
        if (lastKey && compareBytes(lastKey, e.key) >= 0) throw new FormatError(`data block ${i}: keys out of order across blocks`);
        if (compareBytes(e.key, ie.key) > 0) throw new FormatError(`data block ${i}: key above its index separator`);
        lastKey = e.key;
        out.push(e);
      }
    }
    return out;
  } catch (err) {
    if (err instanceof FormatError) throw Errors.corruptModelFile(file, err.message);
    throw err;
  }
}
