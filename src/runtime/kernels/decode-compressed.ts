/**
 * `DecodeCompressed` (tf.io.decode_compressed: TFRecord-style ZLIB/GZIP payloads in input
 * pipelines), with node:zlib, which wraps the same zlib TF's ZlibInputStream drives. TF reads
 * each string until the stream ends or the input runs out, so (checked against TF 2.21):
 *
 * - a truncated stream gives what inflate could produce from the bytes there, without an
 *   error: node's `Z_SYNC_FLUSH` finish gives exactly that prefix;
 * - ZLIB decodes the first stream only (later bytes are ignored); GZIP decodes concatenated
 *   members, and fails on bytes after a member that start like a broken header;
 * - an empty string decodes to an empty string; `compression_type` "" copies the input.
 *
 * zlib's failures become DATA_LOSS with TF's text (`inflate() failed with error -3: incorrect
 * header check`). ZSTD (TF 2.21 has it) is refused: Node 20's zlib has no zstd.
 */
import zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrText } from './util.js';

const PARTIAL = { finishFlush: zlib.constants.Z_SYNC_FLUSH };

/** A zlib failure as TF's ZlibInputStream words it (`inflate() failed with error <code>[: <zlib msg>]`). */
function inflateError(e: unknown): Error {
  const errno = (e as { errno?: unknown }).errno;
  if (typeof errno !== 'number') return e as Error;
  // zlib sets no message for Z_NEED_DICT (node supplies its own, TF prints none).
  const msg = errno === zlib.constants.Z_NEED_DICT ? '' : `: ${(e as Error).message}`;
  return Errors.kernelDataLoss(`inflate() failed with error ${errno}${msg}`);
}

function decodeOne(b: Uint8Array, gzip: boolean): Uint8Array {
  if (b.length === 0) return b;
  try {
    return new Uint8Array(gzip ? zlib.gunzipSync(b, PARTIAL) : zlib.inflateSync(b, PARTIAL));
  } catch (e) {
    throw inflateError(e);
  }
}

function decodeCompressed(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const type = attrText(node, 'compression_type', '');
  if (type === 'ZSTD') throw Errors.kernelUnsupported('DecodeCompressed', 'ZSTD (Node has no zstd)');
  if (!['', 'ZLIB', 'GZIP'].includes(type)) throw Errors.kernelArgument('Only ZLIB, ZSTD, GZIP or NONE are supported compressions');
  const records = tf.engine().readSync(x.dataId) as Uint8Array[];
  const out = type === '' ? records : records.map((b) => decodeOne(b, type === 'GZIP'));
  return tf.tensor(out, x.shape, 'string');
}

export const DECODE_COMPRESSED_KERNELS: readonly KernelEntry[] = [{ op: 'DecodeCompressed', kernel: (node) => decodeCompressed(node) }];
