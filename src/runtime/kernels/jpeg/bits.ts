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
  /** By the next LOOKAHEAD bits: (code length << 8) | symbol, or 0 for longer codes. */
  readonly fast: Uint16Array;
  /**
   * By the next LOOKAHEAD bits, a symbol and its extra bits together when both fit in them:
   * (EXTENDed value << 16) | (symbol << 8) | bits used, else 0 (for AC tables: libjpeg-turbo
   * does the same; the value is what decode() then signed() give). Built on first use by
   * acLookahead(): only sequential AC decoding reads it.
   */
  fastAc: Int32Array | undefined;
}

const LOOKAHEAD = 10;

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
  if (k > values.length) throw invalidJpeg('bad Huffman table');
  const fast = new Uint16Array(1 << LOOKAHEAD);
  for (let len = 1; len <= LOOKAHEAD; len++) {
    for (let c = mincode[len]!; c <= maxcode[len]!; c++) {
      const entry = (len << 8) | values[valptr[len]! + c - mincode[len]!]!;
      const shift = LOOKAHEAD - len;
      fast.fill(entry, c << shift, (c + 1) << shift);
    }
  }
  return { maxcode, valptr, mincode, values, fast, fastAc: undefined };
}

/** `h.fastAc`, built on first use. */
export function acLookahead(h: Huffman): Int32Array {
  if (h.fastAc) return h.fastAc;
  const fast = h.fast;
  const t = new Int32Array(1 << LOOKAHEAD);
  for (let i = 0; i < t.length; i++) {
    const len = fast[i]! >> 8;
    const rs = fast[i]! & 255;
    const s = rs & 15;
    if (len === 0 || len + s > LOOKAHEAD) continue;
    const v = (i >> (LOOKAHEAD - len - s)) & ((1 << s) - 1);
    const value = s === 0 ? 0 : v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
    t[i] = (value << 16) | (rs << 8) | (len + s);
  }
  h.fastAc = t;
  return t;
}

/**
 * Bits of entropy-coded data, most significant first, through a 32-bit buffer. Past a marker
 * (or the end of the bytes) the buffer is filled with zero bits, as libjpeg does; a decode
 * that actually uses such bits is refused (`pad` counts them).
 */
export class BitReader {
  private acc = 0;
  private n = 0;
  private pad = 0;
  /** Why padding started: a marker (corrupt data libjpeg decodes) or the end of the bytes. */
  private padEnd = false;

  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  /** Top up the buffer to more than 24 bits. */
  private fill(): void {
    const data = this.data;
    while (this.n <= 24) {
      // the common case: an ordinary byte before any padding
      const b = this.pos < data.length ? data[this.pos]! : -1;
      if (this.pad === 0 && b >= 0 && b !== 0xff) {
        this.acc = ((this.acc << 8) | b) >>> 0;
        this.n += 8;
        this.pos++;
      } else this.fillByte();
    }
  }

  /** One more byte into the buffer: a stuffed 0xFF, or 8 zero bits of padding. */
  private fillByte(): void {
    let byte = 0;
    const b = this.data[this.pos];
    if (this.pad > 0 || b === undefined) {
      if (this.pad === 0) this.padEnd = true;
      this.pad += 8;
    } else if (b !== 0xff) {
      byte = b;
      this.pos++;
    } else if (this.data[this.pos + 1] === 0x00) {
      byte = 0xff;
      this.pos += 2;
    } else {
      this.pad += 8; // a marker: stay on it
    }
    this.acc = ((this.acc << 8) | byte) >>> 0;
    this.n += 8;
  }

  /** Consume `k` buffered bits; refuse when they reach into the padding. */
  private consume(k: number): void {
    this.n -= k;
    if (this.n < this.pad) this.padded();
  }

  private padded(): never {
    if (this.padEnd) throw invalidJpeg('entropy-coded data ran past the end');
    throw corruptJpeg('entropy-coded data ran into a marker');
  }

  /** The next LOOKAHEAD bits, for an index into a `fastAc` table. */
  peek(): number {
    if (this.n < 16) this.fill();
    return (this.acc >>> (this.n - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1);
  }

  /** Consume `k` ≤ 16 bits that peek() showed. */
  skip(k: number): void {
    this.consume(k);
  }

  bit(): number {
    if (this.n < 1) this.fill();
    const v = (this.acc >>> (this.n - 1)) & 1;
    this.consume(1);
    return v;
  }

  /** `n` raw bits as an unsigned number (RECEIVE), n ≤ 16. */
  bits(k: number): number {
    if (k === 0) return 0;
    if (this.n < k) this.fill();
    const v = (this.acc >>> (this.n - k)) & ((1 << k) - 1);
    this.consume(k);
    return v;
  }

  /** `n` bits as the signed value of T.81's EXTEND. */
  signed(k: number): number {
    if (k === 0) return 0;
    const v = this.bits(k);
    return v < 1 << (k - 1) ? v - (1 << k) + 1 : v;
  }

  decode(h: Huffman): number {
    if (this.n < 16) this.fill();
    const e = h.fast[(this.acc >>> (this.n - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)]!;
    if (e !== 0) {
      this.consume(e >> 8);
      return e & 255;
    }
    const top = (this.acc >>> (this.n - 16)) & 0xffff;
    for (let len = LOOKAHEAD + 1; len <= 16; len++) {
      const code = top >>> (16 - len);
      if (code <= h.maxcode[len]!) {
        this.consume(len);
        return h.values[h.valptr[len]! + code - h.mincode[len]!]!;
      }
    }
    throw corruptJpeg('bad Huffman code');
  }

  /** Drop the rest of the current byte and read an RSTn marker (n = `expected`). */
  restart(expected: number): void {
    this.acc = 0;
    this.n = 0;
    this.pad = 0;
    this.padEnd = false;
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
