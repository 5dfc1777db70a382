/**
 * DecodePng / DecodeImage against TensorFlow 2.21: fixtures/png-decode-cases.json holds PNGs
 * written by tf.io.encode_png (grey, grey+alpha, RGB, RGBA; 2x3) and tf.io.decode_png's
 * pixels for channels 0-4 (null where TF refuses the channel count).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { IMAGE_DECODE_KERNELS } from '../../../src/runtime/kernels/image-decode.js';
import { repoRoot } from '../../helpers/paths.js';
import { inflateSync } from 'node:zlib';
import { Code, TfsError } from '../../../src/errors.js';
import type { AttrJson } from '../../../src/runtime/graph-json.js';
import { run as runIn, s as text, values } from './helpers.js';

interface Case {
  src: number;
  channels: number;
  png: string;
  shape: number[] | null;
  pixels: number[] | null;
}
const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'png-decode-cases.json'), 'utf8')) as Case[];
const bytes = (b: Uint8Array | Buffer): tf.Tensor => tf.tensor([new Uint8Array(b)], [], 'string');
const run = (op: string, b: Uint8Array | Buffer, channels: number, attrs: Record<string, AttrJson> = {}): tf.Tensor =>
  runIn(IMAGE_DECODE_KERNELS, op, [bytes(b)], { channels: { i: channels }, ...attrs })[0]!;

/** One small colour JPEG of fixtures/jpeg/oracle.json with TF's decodes stored whole. */
interface JpegCase {
  name: string;
  jpeg: string;
  expect: Record<string, { z?: string; same?: string }>;
}
const JPEG = (JSON.parse(readFileSync(join(repoRoot, 'fixtures', 'jpeg', 'oracle.json'), 'utf8')) as { cases: JpegCase[] }).cases.find(
  (c) => c.name === 'tf_photo_7x9_q25_420',
)!;
const tfPixels = (key: string): number[] => {
  let e = JPEG.expect[key]!;
  while (e.same) e = JPEG.expect[e.same]!;
  return [...inflateSync(Buffer.from(e.z!, 'base64'))];
};
const fails = (code: number, re: RegExp) => (e: unknown) => e instanceof TfsError && e.code === code && re.test(e.message);

await tf.setBackend('cpu');

test('DecodePng and DecodeImage give TF pixels; colour to grey is refused, not approximated', () => {
  for (const c of CASES) {
    const png = Buffer.from(c.png, 'base64');
    for (const op of ['DecodePng', 'DecodeImage']) {
      const what = `${op} of a ${c.src}-channel PNG, channels ${c.channels}`;
      if (c.pixels === null) {
        assert.throws(() => run(op, png, c.channels), /`channels` must be 0, 1, 3 or 4 but got 2/, what);
      } else if (c.src >= 3 && c.channels === 1) {
        assert.throws(() => run(op, png, c.channels), /cannot compute a colour PNG decoded to grey/, what);
      } else {
        const t = run(op, png, c.channels);
        assert.deepEqual(t.shape, c.shape, what);
        assert.deepEqual(values(t), c.pixels, what);
      }
    }
  }
});

test('DecodeImage and DecodeJpeg of JPEG bytes give TF pixels (fast IDCT, fancy upsampling by default)', () => {
  const jpeg = Buffer.from(JPEG.jpeg, 'base64');
  assert.deepEqual(values(run('DecodeImage', jpeg, 3)), tfPixels('fast/fancy/3'));
  assert.deepEqual(values(run('DecodeJpeg', jpeg, 0)), tfPixels('fast/fancy/3'));
  assert.deepEqual(values(run('DecodeJpeg', jpeg, 1, { dct_method: text('INTEGER_ACCURATE') })), tfPixels('accurate/fancy/1'));
  assert.deepEqual(values(run('DecodeJpeg', jpeg, 3, { dct_method: text('INTEGER_FAST'), fancy_upscaling: { b: false } })), tfPixels('fast/plain/3'));
  // TF's DecodeJpeg decodes PNG bytes as PNG
  const png = CASES.find((c) => c.src === 3 && c.channels === 3)!;
  assert.deepEqual(values(run('DecodeJpeg', Buffer.from(png.png, 'base64'), 3)), png.pixels);
});

test('DecodeJpeg: TF\'s errors for bad attrs and bytes; what tfs cannot reproduce is UNIMPLEMENTED', () => {
  const jpeg = Buffer.from(JPEG.jpeg, 'base64');
  const arg = Code.INVALID_ARGUMENT;
  assert.throws(() => run('DecodeJpeg', jpeg, 3, { dct_method: text('INTEGER_FLOAT') }), fails(arg, /dct_method must be one of \{'', 'INTEGER_FAST', 'INTEGER_ACCURATE'\}/));
  assert.throws(() => run('DecodeImage', jpeg, 4), fails(arg, /JPEG does not support 4 channels/));
  assert.throws(() => run('DecodeJpeg', jpeg, 2), fails(arg, /`channels` must be 0, 1, 3 or 4 but got 2/));
  assert.throws(() => run('DecodeJpeg', Buffer.alloc(0), 3), fails(arg, /^Input is empty\.$/));
  assert.throws(() => run('DecodeJpeg', jpeg.subarray(0, jpeg.length - 20), 3), fails(arg, /jpeg::Uncompress failed\. Invalid JPEG data or crop window\./));
  assert.throws(() => run('DecodeJpeg', jpeg, 3, { ratio: { i: 2 } }), fails(Code.UNIMPLEMENTED, /ratio 2/));
  // entropy data cut short by EOI: libjpeg pads with zeros and warns, TF answers pixels
  const cut = Buffer.concat([jpeg.subarray(0, jpeg.length - 12), Buffer.from([0xff, 0xd9])]);
  assert.throws(() => run('DecodeJpeg', cut, 3), fails(Code.UNIMPLEMENTED, /corrupt JPEG/));
});

test('DecodeImage: unknown bytes as TF says', () => {
  assert.throws(() => run('DecodeImage', Buffer.from('hello'), 3), /Unknown image file format. One of JPEG, PNG, GIF, BMP required./);
  assert.throws(() => run('DecodePng', Buffer.from('\x89PNG\r\n\x1a\nbroken', 'latin1'), 0), /Invalid PNG data/);
});
