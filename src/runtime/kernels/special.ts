import type { KernelEntry } from './types.js';
export const SPECIAL_KERNELS: readonly KernelEntry[] = [];
