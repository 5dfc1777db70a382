/**
 * From coefficients to pixels the way TensorFlow's libjpeg-turbo does it: each component's
 * blocks through the chosen IDCT into a sample plane, chroma upsampled to the image size,
 * then libjpeg's fixed-point YCbCr → RGB.
 *
 * Upsampling (libjpeg's "fancy" triangle filters, integer arithmetic):
 * - h2v1: each output is (3·nearer + farther + bias) / 4, bias 1 for the left output of a
 *   pair and 2 for the right; the first and last outputs of a row copy the edge sample.
 *   Only used when the component is more than 2 samples wide; else samples are replicated.
 * - h1v2 (libjpeg-turbo ≥ 2.0): (3·nearer + farther + bias) / 4 vertically, bias 1 for the
 *   upper output of a pair and 2 for the lower.
 * - h2v2: vertical sums 3·nearer + farther per column, then horizontally (3·this + other + 8
 *   or + 7) / 16 (8 on the left output, 7 on the right), the edge outputs 4·this + 8 or + 7;
 *   also only above 2 samples wide.
 * Rows above the first and below the last real row (ceil(height·v/vmax)) repeat the edge row.
 * Without fancy upsampling (and for any other integral factor) samples are replicated, which
 * is also what libjpeg's merged upsampler computes for h2v1/h2v2.
 */
import { unsupportedJpeg } from './bits.js';
import { idctFast, idctSlow, ifastMultipliers } from './idct.js';
import type { Component, Frame } from './frame.js';

export interface Plane {
  readonly w: number; // allocated row stride (whole blocks)
  readonly data: Uint8Array;
}

/** Every block of a component through the IDCT. */
export function componentPlane(f: Frame, c: Component, fast: boolean): Plane {
  const q = f.quant[f.comps.indexOf(c)];
  if (!q) throw unsupportedJpeg('a JPEG with a component that no scan carries');
  const w = c.bw * 8;
  const data = new Uint8Array(w * c.bh * 8);
  const mult = fast ? ifastMultipliers(q) : q;
  for (let by = 0; by < c.bh; by++) {
    for (let bx = 0; bx < c.bw; bx++) {
      const at = (by * c.bw + bx) * 64;
      if (fast) idctFast(c.coef, at, mult as Int32Array, data, by * 8 * w + bx * 8, w);
      else idctSlow(c.coef, at, q, data, by * 8 * w + bx * 8, w);
    }
  }
  return { w, data };
}

/**
 * Output rows of one component upsampled to `f.width`, fancy or replicated, one at a time:
 * after `row(y)`, the row is `buf[off .. off + width)` (the plane itself when the component
 * is at full resolution, else a scratch row reused for every row).
 */
export class RowSource {
  buf: Uint8Array;
  off = 0;
  private readonly scratch: Uint8Array;
  private readonly fh: number;
  private readonly fv: number;

  constructor(
    private readonly f: Frame,
    private readonly c: Component,
    private readonly p: Plane,
    private readonly fancy: boolean,
  ) {
    this.fh = f.hmax / c.h;
    this.fv = f.vmax / c.v;
    if (!Number.isInteger(this.fh) || !Number.isInteger(this.fv)) throw unsupportedJpeg(`a JPEG with sampling factors ${c.h}x${c.v} under ${f.hmax}x${f.vmax}`);
    const full = this.fh === 1 && this.fv === 1;
    if (!full && (this.fh > 2 || this.fv > 2)) throw unsupportedJpeg(`a JPEG with ${c.h}x${c.v} chroma sampling under ${f.hmax}x${f.vmax} luma`);
    this.scratch = new Uint8Array(full ? 0 : Math.max(2 * c.cw + 2, f.width));
    this.buf = full ? p.data : this.scratch;
  }

  row(y: number): void {
    const { p, c, fh, fv, fancy } = this;
    if (fh === 1 && fv === 1) {
      this.off = y * p.w;
      return;
    }
    const row = this.scratch;
    if (fancy && fh === 2 && fv === 1 && c.cw > 2) h2v1Row(p.data, y * p.w, c.cw, row);
    else if (fancy && fh === 1 && fv === 2) h1v2Row(p, c, y, row);
    else if (fancy && fh === 2 && fv === 2 && c.cw > 2) h2v2Row(p, c, y, row);
    else replicateRow(p, fh, fv, y, this.f.width, row);
  }
}

function replicateRow(p: Plane, fh: number, fv: number, y: number, W: number, row: Uint8Array): void {
  const o = Math.floor(y / fv) * p.w;
  if (fh === 1) row.set(p.data.subarray(o, o + W));
  else for (let x = 0; x < W; x++) row[x] = p.data[o + (x >> 1)]!;
}

function h2v1Row(d: Uint8Array, o: number, n: number, row: Uint8Array): void {
  row[0] = d[o]!;
  row[1] = (d[o]! * 3 + d[o + 1]! + 2) >> 2;
  for (let i = 1; i < n - 1; i++) {
    const v = d[o + i]! * 3;
    row[2 * i] = (v + d[o + i - 1]! + 1) >> 2;
    row[2 * i + 1] = (v + d[o + i + 1]! + 2) >> 2;
  }
  row[2 * n - 2] = (d[o + n - 1]! * 3 + d[o + n - 2]! + 1) >> 2;
  row[2 * n - 1] = d[o + n - 1]!;
}

/** The input row that output row `y` blends with besides its nearest, `y >> 1` (edges repeat). */
function otherRow(c: Component, y: number): number {
  const other = (y & 1) === 0 ? (y >> 1) - 1 : (y >> 1) + 1;
  return other < 0 ? 0 : other > c.ch - 1 ? c.ch - 1 : other;
}

function h1v2Row(p: Plane, c: Component, y: number, row: Uint8Array): void {
  const bias = (y & 1) === 0 ? 1 : 2;
  const a = (y >> 1) * p.w;
  const b = otherRow(c, y) * p.w;
  const d = p.data;
  for (let x = 0; x < c.cw; x++) row[x] = (d[a + x]! * 3 + d[b + x]! + bias) >> 2;
}

function h2v2Row(p: Plane, c: Component, y: number, row: Uint8Array): void {
  const a = (y >> 1) * p.w;
  const b = otherRow(c, y) * p.w;
  const n = c.cw;
  const d = p.data;
  let last = d[a]! * 3 + d[b]!;
  let cur = last;
  row[0] = (cur * 4 + 8) >> 4;
  for (let i = 0; i < n - 1; i++) {
    const next = d[a + i + 1]! * 3 + d[b + i + 1]!;
    if (i > 0) row[2 * i] = (cur * 3 + last + 8) >> 4;
    row[2 * i + 1] = (cur * 3 + next + 7) >> 4;
    last = cur;
    cur = next;
  }
  row[2 * n - 2] = (cur * 3 + last + 8) >> 4;
  row[2 * n - 1] = (cur * 4 + 7) >> 4;
}

// libjpeg's YCbCr → RGB constants (SCALEBITS 16, FIX rounds, ONE_HALF bias). libjpeg keeps
// the products in tables; computing them is the same integers (every product and sum here is
// below 2^31 in magnitude, so `>> 16` is libjpeg's RIGHT_SHIFT/floor) and faster in JS.
const FIX = (x: number): number => Math.floor(x * 65536 + 0.5);
const K_CR_R = FIX(1.402);
const K_CB_B = FIX(1.772);
const K_CR_G = FIX(0.71414);
const K_CB_G = FIX(0.34414);
const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** One row of Y, Cb, Cr samples (`n` of each) as interleaved RGB with libjpeg's tables. */
export function ycbcrRow(y: RowSource, cb: RowSource, cr: RowSource, n: number, out: Int32Array, at: number): void {
  const yb = y.buf, bb = cb.buf, rb = cr.buf;
  const yo = y.off, bo = cb.off, ro = cr.off;
  for (let i = 0, o = at; i < n; i++, o += 3) {
    const Y = yb[yo + i]!;
    const b = bb[bo + i]! - 128;
    const r = rb[ro + i]! - 128;
    out[o] = clamp(Y + ((K_CR_R * r + 32768) >> 16));
    out[o + 1] = clamp(Y + ((32768 - K_CB_G * b - K_CR_G * r) >> 16));
    out[o + 2] = clamp(Y + ((K_CB_B * b + 32768) >> 16));
  }
}
