/**
 * Frozen weights (checkpoint variables and graph constants, as tfs Tensors) in the form
 * tfjs loads them: a weight spec per tensor and the packed little-endian bytes.
 *
 * Conversions follow the runtime's dtype policy (tensor-convert.ts): float64 → float32
 * (refusing finite values beyond float32's range), half/bfloat16 → float32 (exact),
 * small integers → int32 (exact), int64/uint32/uint64 → int32 only when every value fits
 * (a weight that does not fit is a load error naming it: tfjs would wrap it silently).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { TfsError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { toTfjsStrict, toTfjsValues } from './tensor-convert.js';

export interface EncodedWeights {
  readonly specs: tf.io.WeightsManifestEntry[];
  /** One buffer per spec, in order (tfjs accepts a list of buffers). */
  readonly data: ArrayBuffer[];
  /** Weights that cannot be represented, one message each. */
  readonly errors: string[];
}

function encodeStrings(values: readonly Uint8Array[]): ArrayBuffer {
  const total = values.reduce((n, v) => n + 4 + v.byteLength, 0);
  const buf = new ArrayBuffer(total);
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf);
  let off = 0;
  for (const v of values) {
    view.setUint32(off, v.byteLength, true);
    bytes.set(v, off + 4);
    off += 4 + v.byteLength;
  }
  return buf;
}

function copyBuffer(a: ArrayBufferView): ArrayBuffer {
  const out = new ArrayBuffer(a.byteLength);
  new Uint8Array(out).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return out;
}

/** Encode every weight; unrepresentable ones are reported in `errors`, not thrown. */
export function encodeWeights(
  weights: ReadonlyMap<string, Tensor>,
  describe: (name: string) => string = (name) => `constant ${name}`,
): EncodedWeights {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const data: ArrayBuffer[] = [];
  const errors: string[] = [];
  for (const [name, t] of weights) {
    const shape = [...t.shape];
    try {
      if (t.dtype === 'DT_COMPLEX64' || t.dtype === 'DT_COMPLEX128') {
        const d = t.data as Float32Array | Float64Array;
        specs.push({ name, shape, dtype: 'complex64' });
        data.push(copyBuffer(d instanceof Float32Array ? d : Float32Array.from(d)));
        continue;
      }
      const { dtype, values } = toTfjsValues(t, describe(name));
      if (dtype === 'string') {
        specs.push({ name, shape, dtype: 'string' });
        data.push(encodeStrings(values as Uint8Array[]));
      } else {
        specs.push({ name, shape, dtype: dtype as 'float32' | 'int32' | 'bool' });
        data.push(copyBuffer(values as ArrayBufferView));
      }
    } catch (e) {
      errors.push(e instanceof TfsError ? e.message : String(e));
    }
  }
  return { specs, data, errors };
}

/** A tfjs tensor for one weight (live-variable initial values). */
export function weightTensor(t: Tensor, what: string): tf.Tensor {
  return toTfjsStrict(t, what);
}
