/**
 * Every custom-kernel family, registered with tfjs-converter by `registerCustomOps` and
 * counted as supported by the load-time op check. A family is one file exporting one
 * `KernelEntry[]` table; list it here.
 */
import type { KernelEntry } from './types.js';
import { CASE_KERNELS } from './case.js';
import { TENSOR_ARRAY_KERNELS } from './tensor-array.js';
import { TENSOR_LIST_KERNELS } from './tensor-list.js';

export const KERNEL_FAMILIES: ReadonlyArray<readonly KernelEntry[]> = [TENSOR_LIST_KERNELS, TENSOR_ARRAY_KERNELS, CASE_KERNELS];

/** The TensorFlow op names the family tables implement. */
export const FAMILY_OPS: ReadonlySet<string> = new Set(KERNEL_FAMILIES.flatMap((f) => f.map((k) => k.op)));
