/** Typed reads of parsed `tfs serve` flag values (flags.ts parses and defaults them). */
import type { FlagValues } from './flags.js';

export const num = (f: FlagValues, k: string): number => Number(f[k]);
export const str = (f: FlagValues, k: string): string => String(f[k] ?? '');
export const bool = (f: FlagValues, k: string): boolean => f[k] === true;
