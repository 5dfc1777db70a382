/**
 * `_TfsWideAsString`: AsString on int64/uint32/uint64/float64 from the exact values beside the
 * stand-in (wide-values.ts). Recommenders hash integer ids through strings (Keras `Hashing` on
 * integer features, `tf.strings.as_string(ids)` → `to_hash_bucket_fast`), and production ids
 * pass 2^31: the int32 stand-in made such calls fail ("int64 value … does not fit in int32",
 * probe14 `p14_big_ids`). Formatting is strings.ts's (snprintf %d / %f / %e / %g, TF's attrs).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { readWide, wideKindOf } from '../wide-values.js';
import { formatAsString } from './strings.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrType } from './util.js';
import { WIDE_PREFIX } from './wide.js';

export const WIDE_AS_STRING_OP = `${WIDE_PREFIX}AsString`;

function wideAsString(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const t = attrType(node, 'T');
  const kind = wideKindOf(t);
  return formatAsString(node, t, x, () => (kind ? readWide(x, kind) : (x.dataSync() as ArrayLike<number>)));
}

export const WIDE_AS_STRING_KERNELS: readonly KernelEntry[] = [{ op: WIDE_AS_STRING_OP, kernel: wideAsString }];
