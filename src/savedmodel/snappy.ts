/**
 * Snappy block decompression (the raw format LevelDB tables use, not the framed
 * stream format), written from the format description:
 *
 * - preamble: the uncompressed length as a little-endian base-128 varint (at most 32 bits);
 * - then elements, each starting with a tag byte whose low 2 bits give the kind:
 *   - `00` literal: length-1 in the upper 6 bits, or (values 60..63) in the next 1..4
 *     little-endian bytes; the literal bytes follow;
 *   - `01` copy, length 4..11 (3 bits), 11-bit offset (3 high bits in the tag, 8 in the next byte);
 *   - `10` copy, length 1..64 (6 bits), 16-bit little-endian offset;
 *   - `11` copy, length 1..64 (6 bits), 32-bit little-endian offset.
 *   A copy repeats `length` bytes starting `offset` bytes back in the output; the source
 *   may overlap the bytes being written (offset < length repeats a pattern).
 *
 * Every malformed input throws {@link SnappyError}; the output is never silently short.
 */

export class SnappyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnappyError';
  }
}

/** The uncompressed length declared in a Snappy block's preamble. */
export function snappyUncompressedLength(input: Uint8Array): number {
  return readPreamble(input).length;
}

function readPreamble(input: Uint8Array): { length: number; pos: number } {
  let result = 0;
  let shift = 0;
  let pos = 0;
  for (;;) {
    if (pos >= input.length) throw new SnappyError('snappy: truncated length preamble');
    if (shift > 28) throw new SnappyError('snappy: length preamble longer than 32 bits');
    const b = input[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  if (result > 0xffffffff) throw new SnappyError('snappy: uncompressed length above 2^32-1');
  return { length: result, pos };
}

/** Decompress one raw Snappy block. */
export function snappyUncompress(input: Uint8Array): Uint8Array {
  const { length, pos: start } = readPreamble(input);
  // A literal costs at least 1 tag byte per 60 bytes... but copies can expand a lot; the
  // densest encoding is a 3-byte copy of 64 bytes, so bound the claim before allocating.
  if (length > (input.length - start) * 22 + 64) {
    throw new SnappyError(`snappy: declared length ${length} is impossible for ${input.length} input bytes`);
  }
  const out = new Uint8Array(length);
  let op = 0;
  let ip = start;
  const n = input.length;
  while (ip < n) {
    const tag = input[ip++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59; // 1..4 bytes of length follow
        if (ip + extra > n) throw new SnappyError('snappy: truncated literal length');
        len = 0;
        for (let k = 0; k < extra; k++) len += input[ip + k]! * 2 ** (8 * k);
        ip += extra;
      }
      len += 1;
      if (ip + len > n) throw new SnappyError(`snappy: literal of ${len} bytes runs past the end of the input`);
      if (op + len > length) throw new SnappyError('snappy: output longer than the declared length');
      out.set(input.subarray(ip, ip + len), op);
      ip += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (ip + 1 > n) throw new SnappyError('snappy: truncated copy');
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | input[ip]!;
      ip += 1;
    } else if (kind === 2) {
      if (ip + 2 > n) throw new SnappyError('snappy: truncated copy');
      len = (tag >>> 2) + 1;
      offset = input[ip]! | (input[ip + 1]! << 8);
      ip += 2;
    } else {
      if (ip + 4 > n) throw new SnappyError('snappy: truncated copy');
      len = (tag >>> 2) + 1;
      offset = (input[ip]! | (input[ip + 1]! << 8) | (input[ip + 2]! << 16) | (input[ip + 3]! << 24)) >>> 0;
      ip += 4;
    }
    if (offset === 0 || offset > op) {
      throw new SnappyError(`snappy: copy offset ${offset} is outside the ${op} bytes produced so far`);
    }
    if (op + len > length) throw new SnappyError('snappy: output longer than the declared length');
    let src = op - offset;
    if (offset >= len) {
      out.copyWithin(op, src, src + len);
      op += len;
    } else {
      // Overlapping copy: byte by byte, so the pattern repeats.
      for (let k = 0; k < len; k++) out[op++] = out[src++]!;
    }
  }
  if (op !== length) throw new SnappyError(`snappy: produced ${op} bytes, the preamble declared ${length}`);
  return out;
}
