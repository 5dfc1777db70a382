/**
 * A seeded PRNG for the reliability suite: every generated case follows from one 32-bit
 * seed, so a failure reproduces exactly. The seed is `TFS_FUZZ_SEED` when set (decimal or
 * 0x hex), else the caller's fixed default; tests print it.
 */

/** A deterministic random source (mulberry32) with the helpers generators need. */
export interface Seeded {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  /** `n` random bytes. */
  bytes(n: number): Buffer;
}

export function seeded(seed: number): Seeded {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    seed: seed >>> 0,
    next,
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!,
    bytes: (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256))),
  };
}

/** `TFS_FUZZ_SEED` from the environment, else `fallback`. */
export function seedFromEnv(fallback: number): number {
  const raw = process.env['TFS_FUZZ_SEED'];
  if (raw === undefined || raw === '') return fallback >>> 0;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`TFS_FUZZ_SEED must be an integer, got ${raw}`);
  return n >>> 0;
}
