/**
 * JPEG decoding for `DecodeJpeg` and `DecodeImage` (image-decode.ts dispatches by format, as
 * TF's DecodeImageV2Op does) on tfs's own decoder, kernels/jpeg/: it reproduces TF's
 * libjpeg-turbo sample for sample with either IDCT (`dct_method` "" and INTEGER_FAST: the
 * fast integer IDCT; INTEGER_ACCURATE: the accurate one), fancy upsampling on or off, and
 * libjpeg's colour conversion (test/runtime/kernels/jpeg/decode.test.ts, fixtures/jpeg).
 *
 * Refused per request with UNIMPLEMENTED, never approximated: `ratio` 2/4/8 (libjpeg's scaled
 * IDCTs), what kernels/jpeg/ does not implement (CMYK, 12-bit, arithmetic coding, 4:1:1 and
 * other factors, RGB-coded colour, crafted coefficients beyond libjpeg-turbo's 16-bit SIMD
 * lanes), corrupt entropy-coded data (libjpeg decodes it with warnings) and bytes that fail
 * while `try_recover_truncated` is set. Bytes libjpeg rejects get TF's INVALID_ARGUMENT text.
 *
 * `_TfsDecodeJpegAccurate`: earlier freezes renamed INTEGER_ACCURATE nodes to it (they ran on
 * @cwasm/jpeg-turbo, libjpeg's C code, which wraps overshooting samples where TF's SIMD build
 * saturates); it stays registered and runs the same kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { decodeJpegPixels, JpegError, type JpegPixels } from './jpeg/decode.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrInt, attrText, bytesOf } from './util.js';

/** The op name the freezer once gave `DecodeJpeg` nodes with `dct_method="INTEGER_ACCURATE"`. */
export const DECODE_JPEG_ACCURATE = '_TfsDecodeJpegAccurate';

/** DecodeJpeg's attrs that shape a JPEG decode (DecodeImage uses the defaults). */
export interface JpegAttrs {
  readonly channels: number;
  readonly dctMethod: string;
  readonly fancy: boolean;
  readonly ratio: number;
  readonly recover: boolean;
}

export const DEFAULT_JPEG_ATTRS: Omit<JpegAttrs, 'channels'> = { dctMethod: '', fancy: true, ratio: 1, recover: false };

export function jpegAttrs(node: GraphNode): JpegAttrs {
  return {
    channels: attrInt(node, 'channels', 0),
    dctMethod: attrText(node, 'dct_method', ''),
    fancy: attrBool(node, 'fancy_upscaling', true),
    ratio: attrInt(node, 'ratio', 1),
    recover: attrBool(node, 'try_recover_truncated', false),
  };
}

const uncompressFailed = () => Errors.kernelArgument('jpeg::Uncompress failed. Invalid JPEG data or crop window.');

/** JPEG bytes → uint8 `[height, width, channels]` (int32 tensor), with TF's checks and texts. */
export function jpegTensor(b: Uint8Array, op: string, a: JpegAttrs): tf.Tensor {
  const p = jpegPixels(b, op, a);
  return tf.tensor(p.data, [p.height, p.width, p.channels], 'int32');
}

function jpegPixels(b: Uint8Array, op: string, a: JpegAttrs): JpegPixels {
  if (!['', 'INTEGER_FAST', 'INTEGER_ACCURATE'].includes(a.dctMethod)) throw Errors.kernelArgument("dct_method must be one of {'', 'INTEGER_FAST', 'INTEGER_ACCURATE'}");
  if (a.channels === 4) throw Errors.kernelArgument('JPEG does not support 4 channels');
  if (![0, 1, 3].includes(a.channels)) throw Errors.kernelArgument(`\`channels\` must be 0, 1, 3 or 4 but got ${a.channels}`);
  if (a.ratio !== 1) throw Errors.kernelUnsupported(op, `a JPEG scaled down (ratio ${a.ratio})`);
  try {
    return decodeJpegPixels(b, { channels: a.channels, fast: a.dctMethod !== 'INTEGER_ACCURATE', fancy: a.fancy });
  } catch (e) {
    if (!(e instanceof JpegError)) throw e;
    if (e.kind === 'unsupported') throw Errors.kernelUnsupported(op, e.message);
    if (a.recover) throw Errors.kernelUnsupported(op, `recovering a truncated or corrupt JPEG (try_recover_truncated): ${e.message}`);
    throw uncompressFailed();
  }
}

function contents(node: GraphNode): Uint8Array {
  const x = kernelInput(node, 0);
  if (x.rank !== 0) throw Errors.kernelArgument(`contents must be scalar, got shape [${x.shape.join(',')}]`);
  const b = bytesOf(x)[0] ?? new Uint8Array(0);
  if (b.length === 0) throw Errors.kernelArgument('Input is empty.');
  return b;
}

function decodeJpegAccurate(node: GraphNode): tf.Tensor {
  return jpegTensor(contents(node), 'DecodeJpeg', { ...jpegAttrs(node), dctMethod: 'INTEGER_ACCURATE' });
}

/**
 * `DecodeAndCropJpeg`: the crop of the whole decode. libjpeg-turbo decodes only the window's
 * iMCU columns and rows (jpeg_crop_scanline / jpeg_skip_scanlines), and its fancy upsampling
 * then treats the window's edges as image edges: measured up to 7 off the crop of the whole
 * image for 4:2:0, equal for 4:4:4, grey, luma-only output and `fancy_upscaling=false`. So a
 * crop whose pixels went through fancy upsampling is refused.
 */
function decodeAndCropJpeg(node: GraphNode): tf.Tensor {
  const op = 'DecodeAndCropJpeg';
  const b = contents(node);
  const win = kernelInput(node, 1);
  const [y, x, h, w] = Array.from(win.dataSync() as ArrayLike<number>);
  if (win.size !== 4) throw Errors.kernelArgument(`crop_size must have four elements [${win.shape.join(',')}]`);
  if (b[0] !== 0xff || b[1] !== 0xd8) throw Errors.kernelUnsupported(op, 'cropping images other than JPEG');
  const p = jpegPixels(b, op, jpegAttrs(node));
  if (y! < 0 || x! < 0 || h! <= 0 || w! <= 0 || y! + h! > p.height || x! + w! > p.width) throw uncompressFailed();
  if (p.interpolated) throw Errors.kernelUnsupported(op, 'a crop of a JPEG with fancy chroma upsampling (libjpeg-turbo upsamples the window alone)');
  const c = p.channels;
  const out = new Int32Array(h! * w! * c);
  for (let r = 0; r < h!; r++) out.set(p.data.subarray(((y! + r) * p.width + x!) * c, ((y! + r) * p.width + x! + w!) * c), r * w! * c);
  return tf.tensor(out, [h!, w!, c], 'int32');
}

export const IMAGE_JPEG_KERNELS: readonly KernelEntry[] = [
  { op: DECODE_JPEG_ACCURATE, kernel: decodeJpegAccurate },
  { op: 'DecodeAndCropJpeg', kernel: decodeAndCropJpeg },
];
