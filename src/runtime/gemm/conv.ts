/**
 * The convolution's input side (Gemm.conv2d): the zero-padded copy of the NHWC input in the
 * GEMM's memory, and the indirection table that gives, for each output pixel and each segment
 * of its patch, the address where that segment starts. A segment is one filter row's kw·C
 * contiguous floats (kw taps side by side in NHWC) when the width dilation is 1, else one
 * tap's C floats; segments run in the filter's (dy, dx, c) order, the order of its K rows.
 */

/** A 2-D NHWC convolution's shape; padding explicit (TF's SAME already resolved). */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

/** Copy x (batch×inH×inW×inC) into mem at `at` as batch×(inH+pads)×(inW+pads)×inC, zeros around. */
export function copyPadded(mem: Float32Array, at: number, x: Float32Array, g: ConvGeometry): void {
  const n = g.batch * g.inH * g.inW * g.inC;
  if (x.length < n) throw new RangeError(`gemm: input has ${x.length} values, not ${n}`);
  if (g.padTop + g.padBottom + g.padLeft + g.padRight === 0) {
    mem.set(x.subarray(0, n), at);
    return;
  }
  const ph = g.inH + g.padTop + g.padBottom;
  const pw = g.inW + g.padLeft + g.padRight;
  const row = g.inW * g.inC;
  mem.fill(0, at, at + g.batch * ph * pw * g.inC);
  for (let b = 0; b < g.batch; b++) {
    for (let y = 0; y < g.inH; y++) {
      const src = (b * g.inH + y) * row;
      mem.set(x.subarray(src, src + row), at + ((b * ph + y + g.padTop) * pw + g.padLeft) * g.inC);
    }
  }
}

/**
 * Fill `ind` with the byte addresses of every row block's segments: entry (r·segs + s)·mr + i
 * is where segment s of output pixel r·mr + i starts in the padded input at byte xPtr. Rows
 * past the last pixel repeat it (their results land in C's padding rows, never read).
 */
export function convIndirection(ind: Int32Array, g: ConvGeometry, xPtr: number, mr: number, segs: number): void {
  const m = g.batch * g.outH * g.outW;
  const pw = g.inW + g.padLeft + g.padRight;
  const ph = g.inH + g.padTop + g.padBottom;
  const pixB = g.inC * 4;
  const perTap = segs !== g.kh; // one segment per tap (dilated width) rather than per filter row
  const rows = Math.ceil(m / mr) * mr;
  for (let r = 0; r < rows; r++) {
    const p = Math.min(r, m - 1);
    const b = Math.floor(p / (g.outH * g.outW));
    const oy = Math.floor(p / g.outW) % g.outH;
    const ox = p % g.outW;
    const at0 = xPtr + ((b * ph + oy * g.sh) * pw + ox * g.sw) * pixB;
    const o = Math.floor(r / mr) * segs * mr + (r % mr);
    for (let s = 0; s < segs; s++) {
      const [dy, dx] = perTap ? [Math.floor(s / g.kw), s % g.kw] : [s, 0];
      ind[o + s * mr] = at0 + (dy * g.dh * pw + dx * g.dw) * pixB;
    }
  }
}
