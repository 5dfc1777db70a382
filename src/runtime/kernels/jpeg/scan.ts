/**
 * Decoding one scan's entropy-coded data into the frame's coefficient arrays: sequential
 * blocks, and the four progressive kinds (DC first/refine, AC first/refine with end-of-band
 * runs) of ITU T.81 Annex G. MCU order follows T.81 A.2: a scan of one component walks that
 * component's own blocks (ceil(cw/8) × ceil(ch/8)); an interleaved scan walks whole MCUs.
 */
import { acLookahead, type BitReader, corruptJpeg, type Huffman, unsupportedJpeg } from './bits.js';
import { type Component, type Frame, ZIGZAG } from './frame.js';

export interface ScanComponent {
  readonly c: Component;
  readonly dc: Huffman | undefined;
  readonly ac: Huffman | undefined;
}

export interface Scan {
  readonly frame: Frame;
  readonly comps: ScanComponent[];
  readonly ss: number;
  readonly se: number;
  readonly ah: number;
  readonly al: number;
  readonly restartInterval: number;
}

interface Decoder {
  readonly r: BitReader;
  readonly s: Scan;
  readonly pred: Int32Array;
  eobrun: number;
}

type BlockFn = (d: Decoder, ci: number, blk: Int16Array, at: number) => void;

const need = (h: Huffman | undefined): Huffman => {
  // libjpeg-turbo then uses the standard tables of T.81 K.3 (Motion-JPEG frames omit them)
  if (!h) throw unsupportedJpeg('a JPEG without its Huffman tables (Motion-JPEG frame)');
  return h;
};

function sequential(d: Decoder, ci: number, blk: Int16Array, at: number): void {
  const sc = d.s.comps[ci]!;
  const t = d.r.decode(need(sc.dc));
  if (t > 16) throw corruptJpeg('bad DC magnitude');
  d.pred[ci] = d.pred[ci]! + d.r.signed(t);
  blk[at] = d.pred[ci]!; // int16 like libjpeg's JCOEF
  const ac = need(sc.ac);
  const r = d.r;
  const fastAc = acLookahead(ac);
  for (let k = 1; k < 64; ) {
    // a short code with its extra bits in one lookup, else symbol then bits; the bits are
    // consumed in the same two steps either way, so errors come out in the same order
    const e = fastAc[r.peek()]!;
    const rs = e !== 0 ? (e >> 8) & 255 : r.decode(ac);
    const s = rs & 15;
    if (e !== 0) r.skip((e & 255) - s);
    if (s === 0) {
      if (rs >> 4 !== 15) break;
      k += 16;
      continue;
    }
    k += rs >> 4;
    if (k > 63) throw corruptJpeg('AC coefficients past the block');
    if (e !== 0) r.skip(s);
    blk[at + ZIGZAG[k]!] = e !== 0 ? e >> 16 : r.signed(s);
    k++;
  }
}

function dcFirst(d: Decoder, ci: number, blk: Int16Array, at: number): void {
  const t = d.r.decode(need(d.s.comps[ci]!.dc));
  if (t > 16) throw corruptJpeg('bad DC magnitude');
  d.pred[ci] = d.pred[ci]! + d.r.signed(t);
  blk[at] = d.pred[ci]! * (1 << d.s.al);
}

function dcRefine(d: Decoder, _ci: number, blk: Int16Array, at: number): void {
  if (d.r.bit()) blk[at] = blk[at]! | (1 << d.s.al);
}

function acFirst(d: Decoder, ci: number, blk: Int16Array, at: number): void {
  if (d.eobrun > 0) {
    d.eobrun--;
    return;
  }
  const ac = need(d.s.comps[ci]!.ac);
  for (let k = d.s.ss; k <= d.s.se; k++) {
    const rs = d.r.decode(ac);
    const s = rs & 15;
    const run = rs >> 4;
    if (s === 0) {
      if (run < 15) {
        d.eobrun = (1 << run) + d.r.bits(run) - 1;
        return;
      }
      k += 15;
      continue;
    }
    k += run;
    if (k > 63) throw corruptJpeg('AC coefficients past the block');
    blk[at + ZIGZAG[k]!] = d.r.signed(s) * (1 << d.s.al);
  }
}

/** A correction bit for an already nonzero coefficient: grow its magnitude by `p1`. */
function correct(d: Decoder, blk: Int16Array, i: number, p1: number): void {
  if (d.r.bit() && (blk[i]! & p1) === 0) blk[i] = blk[i]! >= 0 ? blk[i]! + p1 : blk[i]! - p1;
}

function acRefine(d: Decoder, ci: number, blk: Int16Array, at: number): void {
  const p1 = 1 << d.s.al;
  let k = d.s.ss;
  const se = d.s.se;
  if (d.eobrun === 0) {
    const ac = need(d.s.comps[ci]!.ac);
    for (; k <= se; k++) {
      const rs = d.r.decode(ac);
      let run = rs >> 4;
      let value = 0;
      if ((rs & 15) !== 0) {
        if ((rs & 15) !== 1) throw corruptJpeg('bad refinement magnitude');
        value = d.r.bit() ? p1 : -p1;
      } else if (run !== 15) {
        d.eobrun = (1 << run) + d.r.bits(run);
        break;
      }
      // skip `run` zero coefficients, correcting the nonzero ones passed on the way
      for (; k <= se; k++) {
        const i = at + ZIGZAG[k]!;
        if (blk[i] !== 0) correct(d, blk, i, p1);
        else if (--run < 0) break;
      }
      if (value !== 0) {
        if (k > 63) throw corruptJpeg('AC coefficients past the block');
        blk[at + ZIGZAG[k]!] = value;
      }
    }
  }
  if (d.eobrun > 0) {
    for (; k <= se; k++) {
      const i = at + ZIGZAG[k]!;
      if (blk[i] !== 0) correct(d, blk, i, p1);
    }
    d.eobrun--;
  }
}

function blockFn(s: Scan): BlockFn {
  if (!s.frame.progressive) return sequential;
  if (s.ss === 0) return s.ah === 0 ? dcFirst : dcRefine;
  return s.ah === 0 ? acFirst : acRefine;
}

/** Record which successive-approximation bit each coefficient has reached (libjpeg's coef_bits). */
function noteBits(s: Scan): void {
  for (const { c } of s.comps) {
    for (let k = s.ss; k <= s.se; k++) {
      if (s.frame.progressive && s.ah !== 0 && c.coefBits[k] !== s.ah) throw corruptJpeg('refinement scan out of order');
      c.coefBits[k] = s.frame.progressive ? s.al : 0;
    }
  }
}

export function decodeScan(s: Scan, r: BitReader): void {
  noteBits(s);
  const d: Decoder = { r, s, pred: new Int32Array(s.comps.length), eobrun: 0 };
  const fn = blockFn(s);
  const single = s.comps.length === 1;
  const c0 = s.comps[0]!.c;
  const perRow = single ? Math.ceil(c0.cw / 8) : s.frame.mcusX;
  const rows = single ? Math.ceil(c0.ch / 8) : s.frame.mcusY;
  const total = perRow * rows;
  let rst = 0;
  for (let m = 0; m < total; m++) {
    if (s.restartInterval > 0 && m > 0 && m % s.restartInterval === 0) {
      r.restart(rst);
      rst = (rst + 1) & 7;
      d.pred.fill(0);
      d.eobrun = 0;
    }
    const mx = m % perRow;
    const my = (m - mx) / perRow;
    if (single) fn(d, 0, c0.coef, (my * c0.bw + mx) * 64);
    else mcu(d, fn, mx, my);
  }
}

function mcu(d: Decoder, fn: BlockFn, mx: number, my: number): void {
  for (let ci = 0; ci < d.s.comps.length; ci++) {
    const c = d.s.comps[ci]!.c;
    for (let by = 0; by < c.v; by++) {
      for (let bx = 0; bx < c.h; bx++) fn(d, ci, c.coef, ((my * c.v + by) * c.bw + mx * c.h + bx) * 64);
    }
  }
}
