/**
 * tfs's JPEG decoder (kernels/jpeg/) against TensorFlow: every JPEG of fixtures/jpeg/oracle.json
 * (TF's encoder: 4:4:4, 4:2:0, grey, progressive, optimised Huffman tables, quality 10..100,
 * 1×1 up to 149×227; fixtures/jpeg/tiny_jpeg.py: 4:2:2, 4:4:0, mixed factors, restart
 * intervals) decoded with the fast and the accurate IDCT, fancy upsampling on and off, as 1
 * and 3 channels, must give TF's uint8 samples exactly (stored whole, or as the first 64 bits
 * of their SHA-256 for the larger images). Files TF decodes but tfs does not implement must
 * be refused as unsupported, never answered differently.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Code, TfsError } from '../../../../src/errors.js';
import { IMAGE_JPEG_KERNELS } from '../../../../src/runtime/kernels/image-jpeg.js';
import { AAN_SCALES } from '../../../../src/runtime/kernels/jpeg/idct.js';
import { decodeJpegPixels, JpegError } from '../../../../src/runtime/kernels/jpeg/decode.js';
import { repoRoot } from '../../../helpers/paths.js';
import { run, s as text, values } from '../helpers.js';

interface Expect {
  z?: string;
  sha256?: string;
  same?: string;
}
interface Case {
  name: string;
  jpeg: string;
  shape: number[];
  components: number;
  refuse?: string;
  /** Refused with the accurate IDCT only (its expectations hold the fast decodes). */
  refuse_accurate?: string;
  expect: Record<string, Expect>;
}

interface Crop {
  name: string;
  window: number[];
  channels: number;
  dct_method: string;
  fancy: boolean;
  shape: number[];
  pixels: string | null;
}
const oracle = JSON.parse(readFileSync(join(repoRoot, 'fixtures', 'jpeg', 'oracle.json'), 'utf8')) as { cases: Case[]; crop_jpegs: Record<string, string>; crops: Crop[] };
await tf.setBackend('cpu');

/** Does our decode (uint8 samples) equal the oracle entry `key` of case `c`? */
function matches(c: Case, key: string, got: Uint8Array): boolean {
  let e = c.expect[key]!;
  while (e.same) e = c.expect[e.same]!;
  if (e.z) return Buffer.compare(inflateSync(Buffer.from(e.z, 'base64')), Buffer.from(got)) === 0;
  return createHash('sha256').update(got).digest('hex').startsWith(e.sha256!);
}

function decode(c: Case, key: string): Uint8Array {
  const [dct, fancy, ch] = key.split('/');
  const p = decodeJpegPixels(new Uint8Array(Buffer.from(c.jpeg, 'base64')), { channels: Number(ch), fast: dct === 'fast', fancy: fancy === 'fancy' });
  assert.deepEqual([p.height, p.width, p.channels], [c.shape[0], c.shape[1], Number(ch)], `${c.name} ${key} shape`);
  return Uint8Array.from(p.data);
}

test('the AAN scale table has libjpeg’s published values', () => {
  assert.deepEqual([AAN_SCALES[0], AAN_SCALES[1], AAN_SCALES[9], AAN_SCALES[63], AAN_SCALES[7], AAN_SCALES[54]], [16384, 22725, 31521, 1247, 4520, 4799]);
});

test('the oracle covers every kind of JPEG the decoder claims', () => {
  const names = oracle.cases.map((c) => c.name).join(' ');
  for (const kind of ['_420', '_444', '_422_', '_440_', '_y22_c12_', '_y22_c21_', 'progressive', 'grey', 'optimized', '_rst1', '_rst2', '_rst3', '_1x1_']) assert.ok(names.includes(kind), kind);
  assert.ok(oracle.cases.length >= 150, `${oracle.cases.length} cases`);
});

for (const dct of ['fast', 'accurate']) {
  test(`every oracle JPEG decodes to TF's samples exactly with the ${dct} IDCT (fancy and plain, 1 and 3 channels)`, () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const c of oracle.cases.filter((x) => !x.refuse)) {
      for (const key of Object.keys(c.expect).filter((k) => k.startsWith(dct))) {
        checked++;
        if (!matches(c, key, decode(c, key))) wrong.push(`${c.name} ${key}`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(checked >= 600, `${checked} decodes`);
  });
}

test('JPEGs TF decodes but tfs does not implement are refused as unsupported, naming what', () => {
  const refused = oracle.cases.flatMap((c) => [
    ...(c.refuse ? ['fast/fancy/3', 'accurate/plain/3'].map((k) => [c, k, c.refuse!] as const) : []),
    ...(c.refuse_accurate ? [[c, 'accurate/fancy/3', c.refuse_accurate] as const] : []),
  ]);
  assert.ok(refused.length >= 7, `${refused.length} refusals`);
  for (const [c, key, what] of refused) {
    assert.throws(
      () => decode(c, key),
      (e: unknown) => e instanceof JpegError && e.kind === 'unsupported' && e.message.includes(what),
      `${c.name} ${key}`,
    );
  }
});

test('samples far beyond 0..255 saturate as in TF (libjpeg-turbo SIMD), not wrap as libjpeg C', () => {
  const c = oracle.cases.find((x) => x.name.startsWith('own_overshoot_'))!;
  for (const key of Object.keys(c.expect)) assert.ok(matches(c, key, decode(c, key)), key);
  assert.ok(decode(c, 'fast/fancy/3').every((v) => v === 255 || v === 0), 'a flat 250 image overstated 5× saturates');
});

test('DecodeAndCropJpeg gives TF\'s window, and refuses windows libjpeg-turbo upsamples on their own', () => {
  let exact = 0;
  for (const c of oracle.crops) {
    const bytes = tf.tensor([new Uint8Array(Buffer.from(oracle.crop_jpegs[c.name]!, 'base64'))], [], 'string');
    const attrs = { channels: { i: c.channels }, dct_method: text(c.dct_method), fancy_upscaling: { b: c.fancy } };
    const go = () => run(IMAGE_JPEG_KERNELS, 'DecodeAndCropJpeg', [bytes, tf.tensor1d(c.window, 'int32')], attrs)[0]!;
    const what = `${c.name} ${c.window.join(',')} channels ${c.channels} ${c.dct_method} fancy ${c.fancy}`;
    if (c.pixels === null) {
      assert.throws(go, (e: unknown) => e instanceof TfsError && e.code === Code.UNIMPLEMENTED && /fancy chroma upsampling/.test(e.message), what);
      continue;
    }
    const t = go();
    assert.deepEqual(t.shape, c.shape, what);
    assert.deepEqual(values(t), [...Buffer.from(c.pixels, 'base64')], what);
    exact++;
  }
  assert.ok(exact >= 20, `${exact} exact crops`);
  const bytes = tf.tensor([new Uint8Array(Buffer.from(oracle.crop_jpegs['444']!, 'base64'))], [], 'string');
  const crop = (w: number[]) => () => run(IMAGE_JPEG_KERNELS, 'DecodeAndCropJpeg', [bytes, tf.tensor1d(w, 'int32')], {});
  assert.throws(crop([0, 0, 22, 30]), /jpeg::Uncompress failed\. Invalid JPEG data or crop window\./);
  assert.throws(crop([0, 0, 1]), /crop_size must have four elements \[3\]/);
});

test('TF\'s size limit: 2^29 output samples or more are invalid; so are frames the data cannot cover', () => {
  const c = oracle.cases.find((x) => x.name === 'tf_photo_7x9_q25_420')!;
  const b = new Uint8Array(Buffer.from(c.jpeg, 'base64'));
  const sof = b.findIndex((v, i) => v === 0xff && b[i + 1] === 0xc0);
  b.set([0x5a, 0x82, 0x5a, 0x82], sof + 5); // 23170 × 23170: 536,848,900 grey samples, 3× that in RGB
  const invalid = (e: unknown) => e instanceof JpegError && e.kind === 'invalid' && /too large/.test(e.message);
  assert.throws(() => decodeJpegPixels(b, { channels: 3, fast: true, fancy: true }), invalid);
  assert.throws(() => decodeJpegPixels(b, { channels: 0, fast: true, fancy: true }), invalid);
  // below the limit, a frame its bytes cannot cover (≥ 1 bit per block) is refused before allocating
  b.set([0x3a, 0x98, 0x3a, 0x98], sof + 5); // 15000 × 15000
  assert.throws(
    () => decodeJpegPixels(b, { channels: 1, fast: true, fancy: true }),
    (e: unknown) => e instanceof JpegError && e.kind === 'invalid' && /too short/.test(e.message),
  );
});
