/**
 * `DecodeRaw` and `DecodePaddedRaw` (tf.io.decode_raw: fixed-size records of packed numbers in
 * input pipelines), as TF's decode_raw_op.cc / decode_padded_raw_op.cc: each string's bytes
 * reinterpreted as `out_type` values, little- or big-endian (`little_endian`), appended as a
 * last dimension. The bytes are gathered into one little-endian buffer and viewed as the
 * typed array, so every value (NaN payloads included) is TF's bit pattern: float16 and
 * bfloat16 become the float32 stand-in holding their exact value, int64/float64 are carried
 * exactly (wide-values.ts; the freezer marks these outputs wide), the narrow integer types as
 * int32. A bool byte other than 0/1 is refused (TF copies the byte into a C++ bool, which
 * later ops may read as that byte); complex types are refused (tfs has no complex tensors).
 */
import { endianness } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { dtypeInfo } from '../../tensor/dtypes.js';
import { bfloat16ToFloat, halfToFloat } from '../../tensor/tensor.js';
import { makeWide } from '../wide-values.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrType } from './util.js';

/** The `out_type`s TF's DecodeRaw op accepts (names and byte sizes come from the dtype table). */
const OUT_TYPES: ReadonlySet<string> = new Set([
  'DT_UINT8', 'DT_INT8', 'DT_BOOL', 'DT_INT16', 'DT_UINT16', 'DT_HALF', 'DT_BFLOAT16',
  'DT_INT32', 'DT_FLOAT', 'DT_INT64', 'DT_DOUBLE', 'DT_COMPLEX64', 'DT_COMPLEX128',
]);

/** The typed arrays assume a little-endian host (x86, arm64 as Node runs them). */
const HOST_LE = endianness() === 'LE';

function outType(node: GraphNode, op: string): { type: string; name: string; size: number } {
  const type = attrType(node, 'out_type', 'DT_FLOAT');
  const info = OUT_TYPES.has(type) ? dtypeInfo(type) : undefined;
  if (!info || type.startsWith('DT_COMPLEX')) throw Errors.kernelUnsupported(op, `out_type ${info?.short ?? type}`);
  if (!HOST_LE) throw Errors.kernelUnsupported(op, 'raw bytes on a big-endian host');
  return { type, name: info.short, size: info.byteSize };
}

const bytesOf = (t: tf.Tensor): Uint8Array[] => tf.engine().readSync(t.dataId) as Uint8Array[];

/**
 * `count` values of `size` bytes from each record (zero-filled past a short record, cut after
 * `count` values), in one little-endian buffer: byte-swapped per value when `!le`.
 */
function gather(records: readonly Uint8Array[], count: number, size: number, le: boolean): Uint8Array {
  const width = count * size;
  const out = new Uint8Array(records.length * width);
  records.forEach((r, k) => {
    const n = Math.min(r.length, width);
    if (le) {
      out.set(r.subarray(0, n), k * width);
      return;
    }
    for (let i = 0; i < n; i++) out[k * width + (i - (i % size)) + (size - 1 - (i % size))] = r[i]!;
  });
  return out;
}

/** The tensor of `out_type` values in the little-endian buffer `buf`. */
function typed(op: string, type: string, buf: Uint8Array, shape: number[]): tf.Tensor {
  const b = buf.buffer;
  switch (type) {
    case 'DT_UINT8': return tf.tensor(Int32Array.from(buf), shape, 'int32');
    case 'DT_INT8': return tf.tensor(Int32Array.from(new Int8Array(b)), shape, 'int32');
    case 'DT_INT16': return tf.tensor(Int32Array.from(new Int16Array(b)), shape, 'int32');
    case 'DT_UINT16': return tf.tensor(Int32Array.from(new Uint16Array(b)), shape, 'int32');
    case 'DT_INT32': return tf.tensor(new Int32Array(b), shape, 'int32');
    case 'DT_FLOAT': return tf.tensor(new Float32Array(b), shape, 'float32');
    case 'DT_HALF': return tf.tensor(Float32Array.from(new Uint16Array(b), halfToFloat), shape, 'float32');
    case 'DT_BFLOAT16': return tf.tensor(Float32Array.from(new Uint16Array(b), bfloat16ToFloat), shape, 'float32');
    case 'DT_INT64': return makeWide('int64', new BigInt64Array(b), shape);
    case 'DT_DOUBLE': return makeWide('float64', new Float64Array(b), shape);
    default: {
      const bad = buf.findIndex((v) => v > 1);
      if (bad >= 0) throw Errors.kernelUnsupported(op, `a bool from byte ${buf[bad]} (TF keeps the byte as it is)`);
      return tf.tensor(buf, shape, 'bool');
    }
  }
}

/** DecodeRaw(bytes): every string the same length, a multiple of the type's size. */
function decodeRaw(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const t = outType(node, 'DecodeRaw');
  const records = bytesOf(x);
  const first = records[0]?.length ?? 0;
  if (first % t.size !== 0) {
    throw Errors.kernelArgument(`Input to DecodeRaw has length ${first} that is not a multiple of ${t.size}, the size of ${t.name}`);
  }
  records.forEach((r, i) => {
    if (r.length !== first) {
      throw Errors.kernelArgument(`DecodeRaw requires input strings to all be the same size, but element ${i} has size ${first} != ${r.length}`);
    }
  });
  const count = first / t.size;
  return typed('DecodeRaw', t.type, gather(records, count, t.size, attrBool(node, 'little_endian', true)), [...x.shape, count]);
}

/** DecodePaddedRaw(bytes, fixed_length): each string cut or zero-padded to `fixed_length` bytes. */
function decodePaddedRaw(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const k = kernelInput(node, 1);
  const t = outType(node, 'DecodePaddedRaw');
  // TF registers no CPU kernel for float16 here (NOT_FOUND in TF 2.21).
  if (t.type === 'DT_HALF' || t.type === 'DT_BOOL') throw Errors.kernelUnsupported('DecodePaddedRaw', `out_type ${t.name} (TensorFlow has no kernel for it)`);
  if (k.rank !== 0) throw Errors.kernelArgument(`k must be scalar, got shape [${k.shape.join(',')}]`);
  const fixed = (k.dataSync() as Int32Array)[0]!;
  if (fixed % t.size !== 0) throw Errors.kernelArgument(`fixed_length (${fixed}) must be a multiple of the size of out_type (${t.size})`);
  if (fixed <= 0) throw Errors.kernelArgument(`fixed_length (${fixed}) must be greater than zero.`);
  const count = fixed / t.size;
  return typed('DecodePaddedRaw', t.type, gather(bytesOf(x), count, t.size, attrBool(node, 'little_endian', true)), [...x.shape, count]);
}

/** Ops whose outputs may carry exact int64/float64 values (the freezer marks them wide). */
export const DECODE_RAW_OPS: ReadonlySet<string> = new Set(['DecodeRaw', 'DecodePaddedRaw']);

export const DECODE_RAW_KERNELS: readonly KernelEntry[] = [
  { op: 'DecodeRaw', kernel: (node) => decodeRaw(node) },
  { op: 'DecodePaddedRaw', kernel: (node) => decodePaddedRaw(node) },
];
