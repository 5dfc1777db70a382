/**
 * `DecodeJpeg` with `dct_method="INTEGER_ACCURATE"`, on
 * [@cwasm/jpeg-turbo](https://www.npmjs.com/package/@cwasm/jpeg-turbo) (libjpeg-turbo built
 * to wasm): its TurboJPEG decode uses libjpeg-turbo's accurate integer IDCT (JDCT_ISLOW) with
 * fancy upsampling, which is what TensorFlow runs for such a node, so the pixels are TF's
 * exactly (fixtures/zoo model `jpeg_accurate`).
 *
 * TF's default (`dct_method=""`) is the INTEGER_FAST IDCT, which this decoder cannot be told
 * to use: the freezer renames only INTEGER_ACCURATE nodes to `_TfsDecodeJpegAccurate`
 * (kernels/index.ts), so a default `DecodeJpeg` stays an unsupported op, refused at load.
 * What the decoder's RGBA output cannot give exactly is refused per request: a colour JPEG
 * decoded to 1 channel (TF takes libjpeg's luma plane), CMYK JPEGs, `ratio` other than 1 and
 * `fancy_upscaling=false`.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrInt, bytesOf } from './util.js';

/** The op name the freezer gives `DecodeJpeg` nodes with `dct_method="INTEGER_ACCURATE"`. */
export const DECODE_JPEG_ACCURATE = '_TfsDecodeJpegAccurate';

interface Decoded {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

const require = createRequire(import.meta.url);
let decoder: ((b: Uint8Array) => Decoded) | undefined;

/**
 * Decode with the wasm decoder, instantiated on first use (so servers without JPEG models
 * never load it). libjpeg's error exit longjmps, which this build turns into a JS throw that
 * leaves the decompressor and its buffers allocated in the module's memory, so after any
 * failure the next call starts from a fresh instance.
 */
function decodeRgba(b: Uint8Array): Decoded {
  if (!decoder) decoder = (require('@cwasm/jpeg-turbo') as { decode: (b: Uint8Array) => Decoded }).decode;
  try {
    return decoder(b);
  } catch (e) {
    decoder = undefined;
    delete require.cache[require.resolve('@cwasm/jpeg-turbo')];
    throw e;
  }
}

/** The number of colour components of the first frame (SOFn marker), or undefined. */
export function jpegComponents(b: Uint8Array): number | undefined {
  let off = 2;
  while (off + 4 <= b.length) {
    if (b[off] !== 0xff) return undefined;
    const marker = b[off + 1]!;
    if (marker === 0xff) {
      off++;
      continue;
    }
    const len = (b[off + 2]! << 8) | b[off + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return off + 9 < b.length ? b[off + 9] : undefined;
    if (marker === 0xda) return undefined; // start of scan before any frame header
    off += 2 + len;
  }
  return undefined;
}

/** TF's text for bytes libjpeg cannot decode (decode_image_op.cc). */
const invalid = (b: Uint8Array) => Errors.kernelArgument(`Invalid JPEG data or crop window, data size ${b.length}`);

function decodeJpegAccurate(node: GraphNode): tf.Tensor {
  const op = 'DecodeJpeg';
  const x = kernelInput(node, 0);
  if (x.rank !== 0) throw Errors.kernelArgument(`contents must be scalar, got shape [${x.shape.join(',')}]`);
  const b = bytesOf(x)[0] ?? new Uint8Array(0);
  const channels = attrInt(node, 'channels', 0);
  if (![0, 1, 3].includes(channels)) throw Errors.kernelArgument(`channels must be 0, 1, or 3, got ${channels}`);
  if (attrInt(node, 'ratio', 1) !== 1) throw Errors.kernelUnsupported(op, 'a JPEG scaled down (ratio other than 1)');
  if (!attrBool(node, 'fancy_upscaling', true)) throw Errors.kernelUnsupported(op, 'a JPEG without fancy upscaling');
  const components = jpegComponents(b);
  if (components === undefined) throw invalid(b);
  if (components !== 1 && components !== 3) throw Errors.kernelUnsupported(op, `a JPEG with ${components} components (CMYK)`);
  if (channels === 1 && components === 3) throw Errors.kernelUnsupported(op, 'a colour JPEG decoded to 1 channel');
  let rgba: Decoded;
  try {
    rgba = decodeRgba(b);
  } catch {
    throw invalid(b);
  }
  const want = channels === 0 ? components : channels;
  const n = rgba.width * rgba.height;
  const out = new Int32Array(n * want);
  // RGBA from libjpeg: grey JPEGs come back with R = G = B = the grey value.
  for (let i = 0; i < n; i++) for (let c = 0; c < want; c++) out[i * want + c] = rgba.data[i * 4 + c]!;
  return tf.tensor(out, [rgba.height, rgba.width, want], 'int32');
}

export const IMAGE_JPEG_KERNELS: readonly KernelEntry[] = [{ op: DECODE_JPEG_ACCURATE, kernel: decodeJpegAccurate }];
