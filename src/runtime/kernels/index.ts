/**
 * Every custom-kernel family, registered with tfjs-converter by `registerCustomOps` and
 * counted as supported by the load-time op check. A family is one file exporting one
 * `KernelEntry[]` table; list it here.
 */
import type { KernelEntry } from './types.js';
import { LAYOUT_KERNELS } from './layout.js';

export const KERNEL_FAMILIES: ReadonlyArray<readonly KernelEntry[]> = [LAYOUT_KERNELS];

/** The TensorFlow op names the family tables implement. */
export const FAMILY_OPS: ReadonlySet<string> = new Set(KERNEL_FAMILIES.flatMap((f) => f.map((k) => k.op)));
