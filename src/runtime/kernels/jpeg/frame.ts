/** The decoded frame's shape shared by the JPEG decoder's stages (parse, scan, output). */

export interface Component {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  readonly tq: number;
  /** Blocks per row and rows of blocks allocated (whole MCUs). */
  readonly bw: number;
  readonly bh: number;
  /** Samples of this component in the image: ceil(width·h/hmax), ceil(height·v/vmax). */
  readonly cw: number;
  readonly ch: number;
  readonly coef: Int16Array;
  /** Per coefficient, the successive-approximation bit still missing (-1: never sent). */
  readonly coefBits: Int8Array;
}

export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly progressive: boolean;
  readonly hmax: number;
  readonly vmax: number;
  readonly mcusX: number;
  readonly mcusY: number;
  readonly comps: Component[];
  /**
   * Per component, its quantisation table (natural order) as latched at the component's first
   * scan, as libjpeg does (a DQT segment later in the file does not change it).
   */
  readonly quant: (Uint16Array | undefined)[];
  /** Adobe APP14 transform flag, or -1 without that marker; whether JFIF APP0 was seen. */
  adobeTransform: number;
  jfif: boolean;
}

/** Zigzag position k → natural (row-major) index. */
export const ZIGZAG = (() => {
  const z = new Int32Array(64);
  let k = 0;
  for (let s = 0; s < 15; s++) {
    const cells: number[] = [];
    for (let r = Math.max(0, s - 7); r <= Math.min(7, s); r++) cells.push(r * 8 + (s - r));
    // odd diagonals run down-left (row increasing), even ones up-right
    if (s % 2 === 0) cells.reverse();
    for (const c of cells) z[k++] = c;
  }
  return z;
})();
