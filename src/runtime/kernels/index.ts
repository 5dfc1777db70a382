/**
 * Every custom-kernel family, registered with tfjs-converter by `registerCustomOps` and
 * counted as supported by the load-time op check. A family is one file exporting one
 * `KernelEntry[]` table; list it here.
 */
import { EXAMPLE_KERNELS } from './example.js';
import { INT64_KERNELS } from './int64.js';
import { MATH_KERNELS } from './math.js';
import { RESOURCE_KERNELS } from './resources.js';
import { SEGMENT_SUM_KERNELS } from './segment-sum.js';
import { CASE_KERNELS } from './case.js';
import { TENSOR_ARRAY_KERNELS } from './tensor-array.js';
import { TENSOR_LIST_KERNELS } from './tensor-list.js';
import type { KernelEntry } from './types.js';
import { LAYOUT_KERNELS } from './layout.js';

export const KERNEL_FAMILIES: ReadonlyArray<readonly KernelEntry[]> = [
  MATH_KERNELS,
  EXAMPLE_KERNELS,
  SEGMENT_SUM_KERNELS,
  INT64_KERNELS,
  RESOURCE_KERNELS,
  TENSOR_LIST_KERNELS,
  TENSOR_ARRAY_KERNELS,
  CASE_KERNELS,
  LAYOUT_KERNELS,
];

/** The TensorFlow op names the family tables implement. */
export const FAMILY_OPS: ReadonlySet<string> = new Set(KERNEL_FAMILIES.flatMap((f) => f.map((k) => k.op)));
