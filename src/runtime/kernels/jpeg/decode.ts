/**
 * tfs's own JPEG decoder, written to give TensorFlow's `DecodeJpeg` pixels exactly: TF runs
 * libjpeg-turbo with `dct_method` "" / INTEGER_FAST → the fast integer IDCT and
 * INTEGER_ACCURATE → the accurate one, fancy upsampling unless `fancy_upscaling=false`, and
 * libjpeg's colour conversion (grey → RGB replicates; colour → 1 channel is the luma plane).
 * Checked sample for sample against TF in test/runtime/kernels/jpeg/decode.test.ts
 * (fixtures/jpeg: TF's and our own encoder's JPEGs, with TF's decodes).
 *
 * Refused (JpegError 'unsupported'): 12-bit, arithmetic, lossless and hierarchical JPEGs,
 * 2 or 4 components (CMYK/YCCK), RGB-coded colour JPEGs (Adobe transform 0), sampling other
 * than 1 or 2 in each direction, and progressive files whose low coefficients stop short of
 * full precision (libjpeg would smooth their blocks).
 */
import { unsupportedJpeg } from './bits.js';
import { componentPlane, RowSource, ycbcrRow } from './output.js';
import { parseJpeg, type Frame } from './parse.js';

export { JpegError } from './bits.js';

export interface JpegOptions {
  /** 0 (as coded), 1 or 3. */
  readonly channels: number;
  /** The fast (INTEGER_FAST) IDCT, else the accurate one. */
  readonly fast: boolean;
  readonly fancy: boolean;
}

export interface JpegPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** uint8 values, interleaved `[height, width, channels]`. */
  readonly data: Int32Array;
  /** Whether an output plane went through a fancy (interpolating) upsampler. */
  readonly interpolated: boolean;
}

function checkColour(f: Frame): void {
  if (f.comps.length !== 3) return;
  const ids = f.comps.map((c) => c.id).join(',');
  const rgbIds = ids === '82,71,66';
  if (f.adobeTransform === 0 || (!f.jfif && f.adobeTransform < 0 && rgbIds)) throw unsupportedJpeg('a colour JPEG coded as RGB (no YCbCr transform)');
}

/** libjpeg smooths blocks of a progressive image whose first AC coefficients are imprecise. */
function checkComplete(f: Frame): void {
  if (!f.progressive) return;
  for (const c of f.comps) {
    for (let k = 0; k < 10; k++) {
      if (c.coefBits[k] !== 0) throw unsupportedJpeg('a progressive JPEG whose scans leave low coefficients incomplete (libjpeg block smoothing)');
    }
  }
}

/** One row of the luma plane, replicated into `want` channels. */
function greyRow(s: RowSource, n: number, want: number, out: Int32Array, at: number): void {
  const b = s.buf;
  const o = s.off;
  if (want === 1) for (let i = 0; i < n; i++) out[at + i] = b[o + i]!;
  else for (let i = 0, p = at; i < n; i++, p += 3) out[p] = out[p + 1] = out[p + 2] = b[o + i]!;
}

export function decodeJpegPixels(b: Uint8Array, o: JpegOptions): JpegPixels {
  const f = parseJpeg(b, o.channels);
  checkColour(f);
  checkComplete(f);
  const { width, height } = f;
  const want = o.channels === 0 ? f.comps.length : o.channels;
  const n = width * height;
  const data = new Int32Array(n * want);
  // the luma plane alone serves grey output and grey JPEGs
  const planes = f.comps.length === 1 || want === 1 ? [f.comps[0]!] : f.comps;
  const up = planes.map((c) => new RowSource(f, c, componentPlane(f, c, o.fast), o.fancy));
  // row by row: upsampling and colour conversion never hold a full-size plane
  for (let y = 0; y < height; y++) {
    for (const s of up) s.row(y);
    if (up.length === 3) ycbcrRow(up[0]!, up[1]!, up[2]!, width, data, y * width * 3);
    else greyRow(up[0]!, width, want, data, y * width * want);
  }
  const interpolated = o.fancy && planes.some((c) => c.h !== f.hmax || c.v !== f.vmax);
  return { width, height, channels: want, data, interpolated };
}
