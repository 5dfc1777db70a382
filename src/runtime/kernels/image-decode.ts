/**
 * PNG decoding (`DecodePng`, and `DecodeImage` of PNG bytes) with pngjs, a well-kept
 * decoder, not tfs's own; pixels equal TensorFlow's (libpng). Conversions libpng would do
 * with its own maths (colour to grey, 16-bit samples, a transparent colour key) are
 * refused rather than approximated. The result is uint8 as tfjs's int32 tensor
 * `[height, width, channels]`.
 *
 * JPEG bytes go to tfs's own decoder (image-jpeg.ts, kernels/jpeg/), which gives TF's
 * libjpeg-turbo samples exactly. Like TF's DecodeImageV2Op, `DecodeJpeg` and `DecodeImage`
 * both pick the decoder by the bytes' signature: `DecodeJpeg` of PNG bytes decodes the PNG.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { PNG } from 'pngjs';
import { Errors } from '../../errors.js';
import { DEFAULT_JPEG_ATTRS, jpegAttrs, jpegTensor } from './image-jpeg.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrInt, attrType, bytesOf } from './util.js';

/** Interleaved 8-bit samples. */
interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (b: Uint8Array, m: readonly number[]): boolean => m.every((v, i) => b[i] === v);

/** The one string of a scalar `contents` input, as TF's decoders require. */
function contentsOf(node: GraphNode): Uint8Array {
  const x = kernelInput(node, 0);
  if (x.rank !== 0) throw Errors.kernelArgument(`contents must be scalar, got shape [${x.shape.join(',')}]`);
  const b = bytesOf(x)[0];
  if (!b || b.length === 0) throw Errors.kernelArgument('Input is empty.');
  return b;
}

/** Pick/replicate channels of 8-bit pixels: `map[c]` is the source channel (or -1: opaque 255). */
function remap(p: Pixels, map: readonly number[]): Pixels {
  const n = p.width * p.height;
  const out = new Uint8Array(n * map.length);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < map.length; c++) out[i * map.length + c] = map[c]! < 0 ? 255 : p.data[i * p.channels + map[c]!]!;
  }
  return { width: p.width, height: p.height, channels: map.length, data: out };
}

/** Colour type, bit depth and whether a tRNS chunk is present, from the PNG's chunks. */
function pngHeader(b: Uint8Array): { colorType: number; depth: number; trns: boolean } {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let trns = false;
  for (let off = 8; off + 8 <= b.length; ) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(...b.subarray(off + 4, off + 8));
    if (type === 'tRNS') trns = true;
    if (type === 'IDAT' || type === 'IEND') break;
    off += 12 + len;
  }
  if (b.length < 29) throw Errors.kernelArgument(`Invalid PNG data, size ${b.length}`);
  return { colorType: b[25]!, depth: b[24]!, trns };
}

/** The channels TF's PNG decoder gives for `channels = 0`, per colour type. */
const PNG_NATIVE: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };

function decodePng(b: Uint8Array, channels: number, op: string): Pixels {
  if (![0, 1, 3, 4].includes(channels)) throw Errors.kernelArgument(`\`channels\` must be 0, 1, 3 or 4 but got ${channels}`);
  const h = pngHeader(b);
  if (h.depth === 16) throw Errors.kernelUnsupported(op, 'a 16-bit PNG');
  if (h.trns && h.colorType !== 3) throw Errors.kernelUnsupported(op, 'a PNG with a transparent colour key (tRNS)');
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  } catch {
    throw Errors.kernelArgument(`Invalid PNG data, size ${b.length}`);
  }
  const rgba: Pixels = { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  const grey = h.colorType === 0 || h.colorType === 4;
  const alpha = h.colorType === 4 || h.colorType === 6 || (h.colorType === 3 && h.trns);
  const want = channels === 0 ? (h.colorType === 3 && h.trns ? 4 : PNG_NATIVE[h.colorType]!) : channels;
  if (want <= 2 && !grey) throw Errors.kernelUnsupported(op, 'a colour PNG decoded to grey');
  const a = alpha ? 3 : -1;
  const maps: Readonly<Record<number, number[]>> = { 1: [0], 2: [0, a], 3: [0, 1, 2], 4: [0, 1, 2, a] };
  return remap(rgba, maps[want]!);
}

function pixelsTensor(p: Pixels): tf.Tensor {
  return tf.tensor(Int32Array.from(p.data), [p.height, p.width, p.channels], 'int32');
}

/** uint8 is the only output dtype tfs decodes to; TF's uint16/float scalings are refused. */
function checkDtype(node: GraphNode, op: string): void {
  const dtype = attrType(node, 'dtype', 'DT_UINT8');
  if (dtype !== 'DT_UINT8') throw Errors.kernelUnsupported(op, `an image decoded to ${dtype}`);
}

function decodeImage(node: GraphNode): tf.Tensor {
  const op = 'DecodeImage';
  checkDtype(node, op);
  const b = contentsOf(node);
  const channels = attrInt(node, 'channels', 0);
  if (startsWith(b, PNG_MAGIC)) return pixelsTensor(decodePng(b, channels, op));
  if (startsWith(b, JPEG_MAGIC)) return jpegTensor(b, op, { ...DEFAULT_JPEG_ATTRS, channels });
  if (startsWith(b, [0x47, 0x49, 0x46]) || startsWith(b, [0x42, 0x4d])) throw Errors.kernelUnsupported(op, 'GIF and BMP images');
  throw Errors.kernelArgument('Unknown image file format. One of JPEG, PNG, GIF, BMP required.');
}

/** TF's DecodeJpeg (DecodeImageV2Op): PNG bytes decode as PNG, anything else as JPEG. */
function decodeJpegOp(node: GraphNode): tf.Tensor {
  const op = 'DecodeJpeg';
  const b = contentsOf(node);
  const a = jpegAttrs(node);
  if (startsWith(b, PNG_MAGIC)) return pixelsTensor(decodePng(b, a.channels, op));
  if (startsWith(b, [0x47, 0x49, 0x46]) || startsWith(b, [0x42, 0x4d])) throw Errors.kernelUnsupported(op, 'GIF and BMP images');
  return jpegTensor(b, op, a);
}

function decodePngOp(node: GraphNode): tf.Tensor {
  const op = 'DecodePng';
  checkDtype(node, op);
  return pixelsTensor(decodePng(contentsOf(node), attrInt(node, 'channels', 0), op));
}

export const IMAGE_DECODE_KERNELS: readonly KernelEntry[] = [
  { op: 'DecodePng', kernel: decodePngOp },
  { op: 'DecodeImage', kernel: decodeImage },
  { op: 'DecodeJpeg', kernel: decodeJpegOp },
];
