/**
 * tfs's wasm GEMM (runtime/gemm/): products against a float64 reference within float32
 * rounding on shapes off the 4×8 tile grid (K = 1, M < 4, N < 8, transposes, bias, relu,
 * relu6), the kernel with and without relaxed SIMD, and outputs bit-identical between one and
 * two threads (split by column panels and by row blocks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gemm, type Activation } from '../../../src/runtime/gemm/index.js';
import { seeded as seededSource } from '../../reliability/seeded.js';

/** Seeded floats in [-1, 1) (the reliability suite's mulberry32), so a failure replays. */
function seeded(seed: number): () => number {
  const r = seededSource(seed);
  return () => r.next() * 2 - 1;
}

const rand = (next: () => number, n: number): Float32Array => Float32Array.from({ length: n }, next);

interface Case {
  m: number;
  k: number;
  n: number;
  ta?: boolean;
  tb?: boolean;
  bias?: 'n' | 'scalar';
  act?: Activation;
}

/** The float64 product, and per element the sum of |a||b| (the float32 error scale). */
function reference(a: Float32Array, b: Float32Array, c: Case, bias: Float32Array | undefined): { v: Float64Array; scale: Float64Array } {
  const { m, k, n } = c;
  const v = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[bias.length === 1 ? 0 : j]! : 0;
      let abs = Math.abs(s);
      for (let q = 0; q < k; q++) {
        const x = c.ta ? a[q * m + i]! : a[i * k + q]!;
        const y = c.tb ? b[j * k + q]! : b[q * n + j]!;
        s += x * y;
        abs += Math.abs(x * y);
      }
      if (c.act === 'relu' || c.act === 'relu6') s = Math.max(s, 0);
      if (c.act === 'relu6') s = Math.min(s, 6);
      v[i * n + j] = s;
      scale[i * n + j] = abs;
    }
  }
  return { v, scale };
}

function check(g: Gemm, c: Case, seed: number): void {
  const next = seeded(seed);
  const a = rand(next, c.m * c.k).map((x) => x * 3);
  const b = rand(next, c.k * c.n);
  const bias = c.bias === 'n' ? rand(next, c.n) : c.bias === 'scalar' ? rand(next, 1) : undefined;
  const packed = g.packB(b, c.k, c.n, c.tb ?? false);
  const got = g.matmul(a, c.m, c.k, packed, { transposeA: c.ta ?? false, ...(bias ? { bias } : {}), activation: c.act ?? 'linear' });
  g.releaseB(packed);
  const ref = reference(a, b, c, bias);
  assert.equal(got.length, c.m * c.n);
  for (let i = 0; i < got.length; i++) {
    // float32 accumulation over k terms: |error| ≤ k·2^-24·Σ|a||b| (plus the rounding of the result)
    const tol = (c.k + 2) * 2 ** -24 * ref.scale[i]! + 1e-30;
    assert.ok(Math.abs(got[i]! - ref.v[i]!) <= tol, `${JSON.stringify(c)}: element ${i} ${got[i]} vs ${ref.v[i]} (tol ${tol})`);
  }
}

const CASES: Case[] = [
  { m: 1, k: 1, n: 1 },
  { m: 3, k: 1, n: 5 },
  { m: 4, k: 4, n: 8 },
  { m: 5, k: 3, n: 9 },
  { m: 13, k: 17, n: 23 },
  { m: 9, k: 7, n: 16, ta: true },
  { m: 11, k: 6, n: 10, tb: true },
  { m: 6, k: 5, n: 7, ta: true, tb: true },
  { m: 7, k: 33, n: 12, bias: 'n', act: 'relu' },
  { m: 10, k: 8, n: 3, bias: 'scalar', act: 'relu6' },
  { m: 37, k: 130, n: 41, bias: 'n', act: 'relu6', tb: true },
  { m: 64, k: 100, n: 70 },
  { m: 2, k: 0, n: 3, bias: 'n' },
];

for (const relaxed of [true, false]) {
  test(`gemm (relaxed SIMD ${relaxed ? 'when available' : 'off'}) matches a float64 reference within float32 rounding`, () => {
    const g = Gemm.create({ relaxed });
    try {
      CASES.forEach((c, i) => check(g, c, i + 1));
    } finally {
      g.dispose();
    }
  });
}

test('gemm outputs are bit-identical on 1 and 2 threads (split by column panels and by row blocks)', async () => {
  const one = Gemm.create({ threads: 1 });
  const two = Gemm.create({ threads: 2 });
  try {
    assert.equal(await two.whenReady(), true);
    const next = seeded(7);
    // 96×300×200: 25 panels × 24 row blocks (chunks of panels); 201×256×16: 2 panels × 51 blocks (chunks of rows)
    for (const [m, k, n] of [[96, 300, 200], [201, 256, 16]] as const) {
      const a = rand(next, m * k);
      const b = rand(next, k * n);
      const bias = rand(next, n);
      const p1 = one.packB(b, k, n);
      const p2 = two.packB(b, k, n);
      const x = one.matmul(a, m, k, p1, { bias, activation: 'relu' });
      // Which thread claims which chunk varies; repeat until the helper has taken some.
      let helped = 0;
      for (let rep = 0; rep < 100 && helped === 0; rep++) {
        const y = two.matmul(a, m, k, p2, { bias, activation: 'relu' });
        helped = two.lastHelperChunks;
        assert.deepEqual(Buffer.from(y.buffer), Buffer.from(x.buffer));
      }
      assert.ok(helped > 0, 'the helper thread computed part of a product');
      assert.ok(x.some((v) => v > 0));
    }
  } finally {
    one.dispose();
    two.dispose();
  }
});
