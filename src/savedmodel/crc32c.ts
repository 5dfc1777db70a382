/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as TensorFlow uses for
 * table blocks, TensorBundle tensors and TFRecord framing, plus TF's "masked" form.
 *
 * Slicing-by-8 tables: checking a multi-megabyte variables.data file is a noticeable
 * part of model load time, and the byte-at-a-time loop is several times slower.
 */

const POLY = 0x82f63b78;

/** TABLES[k][b]: CRC of byte b followed by k zero bytes. */
const TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c >>> 0;
  }
  t.push(t0);
  for (let k = 1; k < 8; k++) {
    const prev = t[k - 1]!;
    const cur = new Uint32Array(256);
    for (let i = 0; i < 256; i++) cur[i] = (prev[i]! >>> 8) ^ t0[prev[i]! & 0xff]!;
    t.push(cur);
  }
  return t;
})();

/**
 * Extend a CRC32C over more bytes. `crc` is an unmasked CRC previously returned by this
 * function (0 to start), so `crc32cExtend(crc32cExtend(0, a), b) === crc32c(a ++ b)`.
 */
export function crc32cExtend(crc: number, data: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
  ];
  let c = ~crc >>> 0;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  for (; i < end8; i += 8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t7[lo & 0xff]! ^
      t6[(lo >>> 8) & 0xff]! ^
      t5[(lo >>> 16) & 0xff]! ^
      t4[lo >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
  }
  for (; i < n; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC32C of `data`. */
export function crc32c(data: Uint8Array): number {
  return crc32cExtend(0, data);
}

const MASK_DELTA = 0xa282ead8;

/** TF/LevelDB masking of a stored CRC: rotate right by 15 bits, add a constant. */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

/** Inverse of {@link maskCrc}. */
export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}
