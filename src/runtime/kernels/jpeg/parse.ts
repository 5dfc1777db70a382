/**
 * JPEG marker parsing and entropy decoding (ITU T.81): baseline and extended sequential
 * Huffman (SOF0/SOF1) and progressive Huffman (SOF2), 8-bit, into one array of quantised
 * DCT coefficients per component (natural order, int16 like libjpeg's JCOEF). Restart
 * intervals are honoured; anything else (arithmetic coding, lossless, hierarchical, 12-bit,
 * DNL) is refused as unsupported, and bytes that do not follow the format as invalid.
 */
import { BitReader, buildHuffman, invalidJpeg, unsupportedJpeg, type Huffman } from './bits.js';
import { type Frame, ZIGZAG } from './frame.js';
import { decodeScan, type Scan } from './scan.js';

export type { Frame } from './frame.js';

interface State {
  readonly b: Uint8Array;
  /** Output channels asked for (0: as coded), for TF's size limit. */
  readonly channels: number;
  frame: Frame | undefined;
  readonly quant: (Uint16Array | undefined)[];
  readonly dc: (Huffman | undefined)[];
  readonly ac: (Huffman | undefined)[];
  restartInterval: number;
  adobeTransform: number;
  jfif: boolean;
}

const u16 = (b: Uint8Array, o: number): number => {
  if (o + 1 >= b.length) throw invalidJpeg('segment past the end');
  return (b[o]! << 8) | b[o + 1]!;
};

function readDqt(st: State, o: number, end: number): void {
  while (o < end) {
    const pq = st.b[o]! >> 4;
    const tq = st.b[o]! & 15;
    if (tq > 3 || pq > 1) throw invalidJpeg('bad DQT');
    const q = new Uint16Array(64);
    for (let k = 0; k < 64; k++) q[ZIGZAG[k]!] = pq ? u16(st.b, o + 1 + 2 * k) : st.b[o + 1 + k]!;
    st.quant[tq] = q;
    o += 1 + 64 * (pq + 1);
  }
  if (o !== end) throw invalidJpeg('bad DQT length');
}

function readDht(st: State, o: number, end: number): void {
  while (o < end) {
    const tc = st.b[o]! >> 4;
    const th = st.b[o]! & 15;
    if (tc > 1 || th > 3) throw invalidJpeg('bad DHT');
    const counts = st.b.subarray(o + 1, o + 17);
    const n = counts.reduce((a, c) => a + c, 0);
    if (o + 17 + n > end || n > 256) throw invalidJpeg('bad DHT length');
    (tc === 0 ? st.dc : st.ac)[th] = buildHuffman(counts, st.b.slice(o + 17, o + 17 + n));
    o += 17 + n;
  }
}

function readSof(st: State, marker: number, o: number): void {
  if (st.frame) throw invalidJpeg('two frame headers');
  const b = st.b;
  if (b[o] !== 8) throw unsupportedJpeg(`a ${b[o]}-bit JPEG`);
  const height = u16(b, o + 1);
  const width = u16(b, o + 3);
  const n = b[o + 5]!;
  if (height === 0) throw unsupportedJpeg('a JPEG whose height comes in a DNL marker');
  if (width === 0 || n === 0) throw invalidJpeg('empty frame');
  if (n !== 1 && n !== 3) throw unsupportedJpeg(`a JPEG with ${n} components${n === 4 ? ' (CMYK)' : ''}`);
  // TF's jpeg_mem refuses output of 2^29 samples or more (before allocating anything)
  if (width * height * (st.channels || n) >= 2 ** 29) throw invalidJpeg('image too large');
  const raw = Array.from({ length: n }, (_, i) => ({ id: b[o + 6 + 3 * i]!, h: b[o + 7 + 3 * i]! >> 4, v: b[o + 7 + 3 * i]! & 15, tq: b[o + 8 + 3 * i]! }));
  if (raw.some((c) => c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3)) throw invalidJpeg('bad sampling factors');
  // a single-component frame is one block per MCU whatever its factors (T.81 A.2.2)
  const one = n === 1;
  const hmax = one ? 1 : Math.max(...raw.map((c) => c.h));
  const vmax = one ? 1 : Math.max(...raw.map((c) => c.v));
  const mcusX = Math.ceil(width / (8 * hmax));
  const mcusY = Math.ceil(height / (8 * vmax));
  // every block costs at least one bit in its first scan: bytes that cannot hold them are a
  // truncated file (TF fails on those); checked before allocating the coefficients
  const blocks = raw.reduce((a, c) => a + Math.ceil(Math.ceil((width * c.h) / hmax) / 8) * Math.ceil(Math.ceil((height * c.v) / vmax) / 8), 0);
  if (blocks > 8 * b.length) throw invalidJpeg('data too short for the frame size');
  const comps = raw.map((c) => {
    const h = one ? 1 : c.h;
    const v = one ? 1 : c.v;
    const bw = mcusX * h;
    const bh = mcusY * v;
    const cw = Math.ceil((width * h) / hmax);
    const ch = Math.ceil((height * v) / vmax);
    return { id: c.id, h, v, tq: c.tq, bw, bh, cw, ch, coef: new Int16Array(bw * bh * 64), coefBits: new Int8Array(64).fill(-1) };
  });
  const progressive = marker === 0xc2;
  st.frame = { width, height, progressive, hmax, vmax, mcusX, mcusY, comps, quant: [], adobeTransform: -1, jfif: false };
}

function readSos(st: State, o: number, end: number): Scan {
  const f = st.frame;
  if (!f) throw invalidJpeg('scan before frame header');
  const b = st.b;
  const ns = b[o]!;
  if (ns < 1 || ns > 4 || o + 1 + 2 * ns + 3 !== end) throw invalidJpeg('bad SOS');
  const comps = Array.from({ length: ns }, (_, i) => {
    const c = f.comps.find((x) => x.id === b[o + 1 + 2 * i]);
    if (!c) throw invalidJpeg('scan names an unknown component');
    const t = b[o + 2 + 2 * i]!;
    const ci = f.comps.indexOf(c);
    f.quant[ci] ??= st.quant[c.tq];
    if (!f.quant[ci]) throw invalidJpeg('scan of a component without its quantisation table');
    return { c, dc: st.dc[t >> 4], ac: st.ac[t & 15] };
  });
  const p = o + 1 + 2 * ns;
  const ss = b[p]!;
  const se = b[p + 1]!;
  const ah = b[p + 2]! >> 4;
  const al = b[p + 2]! & 15;
  if (!f.progressive && (ss !== 0 || se !== 63 || ah !== 0 || al !== 0)) throw invalidJpeg('bad sequential scan parameters');
  if (f.progressive && (se > 63 || ss > se || (ss === 0 && se !== 0) || (ss > 0 && ns !== 1) || al > 13)) throw invalidJpeg('bad progressive scan parameters');
  return { frame: f, comps, ss, se, ah, al, restartInterval: st.restartInterval };
}

/** The frame with all its scans' coefficients decoded, for output of `channels` (0: as coded). */
export function parseJpeg(b: Uint8Array, channels = 0): Frame {
  if (b[0] !== 0xff || b[1] !== 0xd8) throw invalidJpeg('no SOI marker');
  const st: State = { b, channels, frame: undefined, quant: [], dc: [], ac: [], restartInterval: 0, adobeTransform: -1, jfif: false };
  let o = 2;
  for (;;) {
    while (b[o] === 0xff && b[o + 1] === 0xff) o++;
    if (b[o] !== 0xff || o + 1 >= b.length) throw invalidJpeg('expected a marker');
    const m = b[o + 1]!;
    if (m === 0xd9) break;
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      o += 2;
      continue;
    }
    const len = u16(b, o + 2);
    const start = o + 4;
    const end = o + 2 + len;
    if (len < 2 || end > b.length) throw invalidJpeg('segment past the end');
    o = segment(st, m, start, end) ?? end;
  }
  const f = st.frame;
  if (!f) throw invalidJpeg('no frame');
  f.adobeTransform = st.adobeTransform;
  f.jfif = st.jfif;
  return f;
}

/** Handle one marker segment; returns where parsing continues when that is not `end`. */
function segment(st: State, m: number, start: number, end: number): number | undefined {
  const b = st.b;
  if (m === 0xdb) readDqt(st, start, end);
  else if (m === 0xc4) readDht(st, start, end);
  else if (m === 0xdd) st.restartInterval = u16(b, start);
  else if (m === 0xc0 || m === 0xc1 || m === 0xc2) readSof(st, m, start);
  else if (m === 0xc3 || (m >= 0xc5 && m <= 0xcf && m !== 0xc8 && m !== 0xcc)) throw unsupportedJpeg(sofName(m));
  else if (m === 0xcc) throw unsupportedJpeg('an arithmetic-coded JPEG');
  else if (m === 0xdc) throw unsupportedJpeg('a JPEG with a DNL marker');
  else if (m === 0xe0 && end - start >= 5 && String.fromCharCode(...b.subarray(start, start + 5)) === 'JFIF\0') st.jfif = true;
  else if (m === 0xee && end - start >= 12 && String.fromCharCode(...b.subarray(start, start + 5)) === 'Adobe') st.adobeTransform = b[start + 11]!;
  else if (m === 0xda) {
    const scan = readSos(st, start, end);
    const r = new BitReader(b, end);
    decodeScan(scan, r);
    return r.nextMarker();
  }
  return undefined;
}

function sofName(m: number): string {
  if (m === 0xc3 || m === 0xc7 || m === 0xcb || m === 0xcf) return 'a lossless JPEG';
  if (m >= 0xc9) return 'an arithmetic-coded JPEG';
  return 'a hierarchical JPEG';
}
