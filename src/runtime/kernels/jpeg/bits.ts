/**
 * Entropy-coded segment reading for the JPEG decoder: a bit reader that undoes 0xFF00 byte
 * stuffing and stops at markers, and Huffman tables in the canonical form of ITU T.81
 * Annex C (code lengths 1..16 with MINCODE/MAXCODE/VALPTR per length, F.2.2.3).
 */

/** Why a JPEG is not decoded: corrupt bytes, or a feature this decoder does not implement. */
export class JpegError extends Error {
  constructor(
    readonly kind: 'invalid' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

export const invalidJpeg = (why: string): JpegError => new JpegError('invalid', why);
export const unsupportedJpeg = (what: string): JpegError => new JpegError('unsupported', what);
/**
 * Entropy-coded data that does not decode: libjpeg warns and goes on (zeros for the missing
 * bits, resynchronising at the next marker), so TF answers with pixels; tfs refuses.
 */
export const corruptJpeg = (why: string): JpegError => new JpegError('unsupported', `a corrupt JPEG (${why}), which libjpeg decodes with warnings`);

export interface Huffman {
  readonly maxcode: Int32Array; // by length 1..16; -1 when no code of that length
  readonly valptr: Int32Array;
  readonly mincode: Int32Array;
  readonly values: Uint8Array;
}

/** Build a table from the 16 code-length counts and the symbol values of a DHT segment. */
export function buildHuffman(counts: ArrayLike<number>, values: Uint8Array): Huffman {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(18);
  const mincode = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    if (n > 0) {
      valptr[len] = k;
      mincode[len] = code;
      code += n;
      k += n;
      maxcode[len] = code - 1;
    }
    if (code > 1 << len) throw invalidJpeg('bad Huffman table');
    code <<= 1;
  }
  return { maxcode, valptr, mincode, values };
}

export class BitReader {
  private cur = 0;
  private left = 0;
  /** True once the reader stands on a marker (0xFF followed by neither 0x00 nor 0xFF). */
  private atMarker = false;

  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  private nextByte(): number {
    if (this.atMarker) throw corruptJpeg('entropy-coded data ran into a marker');
    const b = this.data[this.pos];
    if (b === undefined) throw invalidJpeg('entropy-coded data ran past the end');
    if (b !== 0xff) {
      this.pos++;
      return b;
    }
    const n = this.data[this.pos + 1];
    if (n === 0x00) {
      this.pos += 2;
      return 0xff;
    }
    this.atMarker = true;
    throw corruptJpeg('entropy-coded data ran into a marker');
  }

  bit(): number {
    if (this.left === 0) {
      this.cur = this.nextByte();
      this.left = 8;
    }
    this.left--;
    return (this.cur >> this.left) & 1;
  }

  /** `n` raw bits as an unsigned number (RECEIVE). */
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }

  /** `n` bits as the signed value of T.81's EXTEND. */
  signed(n: number): number {
    if (n === 0) return 0;
    const v = this.bits(n);
    return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
  }

  decode(h: Huffman): number {
    let code = this.bit();
    for (let len = 1; len <= 16; len++) {
      if (code <= h.maxcode[len]!) return h.values[h.valptr[len]! + code - h.mincode[len]!]!;
      code = (code << 1) | this.bit();
    }
    throw corruptJpeg('bad Huffman code');
  }

  /** Drop the rest of the current byte and read an RSTn marker (n = `expected`). */
  restart(expected: number): void {
    this.left = 0;
    this.atMarker = false;
    while (this.data[this.pos] === 0xff && this.data[this.pos + 1] === 0xff) this.pos++;
    if (this.data[this.pos] !== 0xff || this.data[this.pos + 1] !== 0xd0 + expected) throw corruptJpeg('missing restart marker');
    this.pos += 2;
  }

  /** The offset of the next marker that is not RSTn, from where the scan's data ended. */
  nextMarker(): number {
    let p = this.pos;
    for (;;) {
      if (p + 1 >= this.data.length) throw invalidJpeg('no marker after scan');
      const m = this.data[p + 1]!;
      if (this.data[p] === 0xff && m !== 0 && m !== 0xff && !(m >= 0xd0 && m <= 0xd7)) return p;
      p++;
    }
  }
}
