/**
 * The GEMM's convolution (Gemm.conv2d through wasm-conv.ts's geometry): NHWC outputs against a
 * float64 reference within float32 rounding on odd shapes (VALID and SAME padding, strides 2,
 * dilations in height and width, batch 1 and 3, channels not a multiple of 4, bias, relu,
 * relu6), and bit-identical outputs on 1 and 2 threads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gemm, type Activation } from '../../../src/runtime/gemm/index.js';
import { convGeometry } from '../../../src/runtime/wasm-conv.js';
import { seeded as seededSource } from '../../reliability/seeded.js';

/** Seeded floats in [-1, 1) (the reliability suite's mulberry32), so a failure replays. */
function seeded(seed: number): () => number {
  const r = seededSource(seed);
  return () => r.next() * 2 - 1;
}
const rand = (next: () => number, n: number): Float32Array => Float32Array.from({ length: n }, next);

interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: [number, number];
  dilations: [number, number];
  pad: 'valid' | 'same';
  bias?: boolean;
  act?: Activation;
}

/** TF's output size and leading padding for one dimension (written out here, not taken from tfjs). */
function tfPad(size: number, k: number, s: number, d: number, pad: 'valid' | 'same'): { out: number; before: number } {
  const eff = (k - 1) * d + 1;
  if (pad === 'valid') return { out: Math.floor((size - eff) / s) + 1, before: 0 };
  const out = Math.ceil(size / s);
  return { out, before: Math.floor(Math.max(0, (out - 1) * s + eff - size) / 2) };
}

/** The float64 convolution and, per element, the sum of |x||w| (the float32 error scale). */
function reference(x: Float32Array, w: Float32Array, bias: Float32Array | undefined, c: Case): { v: Float64Array; scale: Float64Array; shape: number[] } {
  const [n, h, wd, ci] = c.x;
  const [kh, kw, , co] = c.f;
  const ph = tfPad(h, kh, c.strides[0], c.dilations[0], c.pad);
  const pw = tfPad(wd, kw, c.strides[1], c.dilations[1], c.pad);
  const v = new Float64Array(n * ph.out * pw.out * co);
  const scale = new Float64Array(v.length);
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ph.out; oy++)
      for (let ox = 0; ox < pw.out; ox++)
        for (let q = 0; q < co; q++, o++) {
          let s = bias ? bias[q]! : 0;
          let abs = Math.abs(s);
          for (let dy = 0; dy < kh; dy++) {
            const y = oy * c.strides[0] + dy * c.dilations[0] - ph.before;
            if (y < 0 || y >= h) continue;
            for (let dx = 0; dx < kw; dx++) {
              const xx = ox * c.strides[1] + dx * c.dilations[1] - pw.before;
              if (xx < 0 || xx >= wd) continue;
              for (let i = 0; i < ci; i++) {
                const p = x[((b * h + y) * wd + xx) * ci + i]! * w[((dy * kw + dx) * ci + i) * co + q]!;
                s += p;
                abs += Math.abs(p);
              }
            }
          }
          if (c.act === 'relu' || c.act === 'relu6') s = Math.max(s, 0);
          if (c.act === 'relu6') s = Math.min(s, 6);
          v[o] = s;
          scale[o] = abs;
        }
  return { v, scale, shape: [n, ph.out, pw.out, co] };
}

function run(g: Gemm, c: Case, seed: number): { got: Float32Array; ref: ReturnType<typeof reference>; k: number } {
  const next = seeded(seed);
  const x = rand(next, c.x.reduce((a, b) => a * b, 1)).map((v) => v * 3);
  const w = rand(next, c.f.reduce((a, b) => a * b, 1));
  const bias = c.bias ? rand(next, c.f[3]) : undefined;
  const geo = convGeometry(c.x, c.f, { strides: c.strides, dilations: c.dilations, pad: c.pad });
  assert.ok(geo, JSON.stringify(c));
  const k = c.f[0] * c.f[1] * c.f[2];
  const packed = g.packB(w, k, c.f[3]);
  const got = g.conv2d(x, geo, packed, { ...(bias ? { bias } : {}), activation: c.act ?? 'linear' });
  g.releaseB(packed);
  const ref = reference(x, w, bias, c);
  assert.deepEqual([geo.batch, geo.outH, geo.outW, c.f[3]], ref.shape, JSON.stringify(c));
  return { got, ref, k };
}

const CASES: Case[] = [
  { x: [1, 7, 6, 3], f: [3, 2, 3, 4], strides: [3, 3], dilations: [1, 1], pad: 'same' },
  { x: [3, 9, 8, 5], f: [3, 3, 5, 7], strides: [1, 1], dilations: [1, 1], pad: 'valid', bias: true, act: 'relu' },
  { x: [3, 9, 8, 5], f: [3, 3, 5, 7], strides: [1, 1], dilations: [1, 1], pad: 'same', bias: true },
  { x: [1, 11, 10, 6], f: [3, 3, 6, 13], strides: [2, 2], dilations: [1, 1], pad: 'same', act: 'relu6' },
  { x: [3, 10, 11, 2], f: [2, 3, 2, 9], strides: [2, 1], dilations: [1, 1], pad: 'valid' },
  { x: [1, 12, 12, 3], f: [3, 3, 3, 8], strides: [1, 1], dilations: [2, 2], pad: 'same', bias: true, act: 'relu' },
  { x: [3, 9, 13, 1], f: [2, 3, 1, 5], strides: [1, 2], dilations: [2, 3], pad: 'valid' },
  { x: [1, 8, 8, 4], f: [1, 1, 4, 17], strides: [1, 1], dilations: [1, 1], pad: 'valid', bias: true },
  { x: [3, 5, 5, 7], f: [5, 5, 7, 3], strides: [1, 1], dilations: [1, 1], pad: 'same' },
];

for (const relaxed of [true, false]) {
  test(`gemm conv2d (relaxed SIMD ${relaxed ? 'when available' : 'off'}) matches a float64 reference within float32 rounding`, () => {
    const g = Gemm.create({ relaxed });
    try {
      CASES.forEach((c, ci) => {
        const { got, ref, k } = run(g, c, ci + 1);
        assert.equal(got.length, ref.v.length);
        for (let i = 0; i < got.length; i++) {
          const tol = (k + 2) * 2 ** -24 * ref.scale[i]! + 1e-30;
          assert.ok(Math.abs(got[i]! - ref.v[i]!) <= tol, `${JSON.stringify(c)}: element ${i} ${got[i]} vs ${ref.v[i]} (tol ${tol})`);
        }
      });
    } finally {
      g.dispose();
    }
  });
}

test('gemm conv2d outputs are bit-identical on 1 and 2 threads', async () => {
  const one = Gemm.create({ threads: 1 });
  const two = Gemm.create({ threads: 2 });
  try {
    assert.equal(await two.whenReady(), true);
    // 3×20×20×16 ⊛ 3×3×16×24 SAME stride 1 (1200 pixels, 1.0M multiply-adds) and a strided, dilated one
    const cases: Case[] = [
      { x: [3, 20, 20, 16], f: [3, 3, 16, 24], strides: [1, 1], dilations: [1, 1], pad: 'same', bias: true, act: 'relu' },
      { x: [3, 31, 29, 10], f: [3, 3, 10, 20], strides: [2, 1], dilations: [1, 2], pad: 'same', bias: true },
    ];
    cases.forEach((c, ci) => {
      const x = run(one, c, 40 + ci).got;
      let helped = 0;
      for (let rep = 0; rep < 100 && helped === 0; rep++) {
        const y = run(two, c, 40 + ci).got;
        helped = two.lastHelperChunks;
        assert.deepEqual(Buffer.from(y.buffer), Buffer.from(x.buffer));
      }
      assert.ok(helped > 0, 'the helper thread computed part of a convolution');
      assert.ok(x.some((v) => v > 0));
    });
  } finally {
    one.dispose();
    two.dispose();
  }
});
