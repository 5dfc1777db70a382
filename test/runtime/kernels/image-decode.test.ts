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
import { run as runIn, values } from './helpers.js';

interface Case {
  src: number;
  channels: number;
  png: string;
  shape: number[] | null;
  pixels: number[] | null;
}
const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'png-decode-cases.json'), 'utf8')) as Case[];
const bytes = (b: Uint8Array | Buffer): tf.Tensor => tf.tensor([new Uint8Array(b)], [], 'string');
const run = (op: string, b: Uint8Array | Buffer, channels: number): tf.Tensor =>
  runIn(IMAGE_DECODE_KERNELS, op, [bytes(b)], { channels: { i: channels } })[0]!;

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

test('DecodeImage: JPEG bytes refused (no decoder reproduces TF), unknown bytes as TF says', () => {
  assert.throws(() => run('DecodeImage', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]), 3), /JPEG images/);
  assert.throws(() => run('DecodeImage', Buffer.from('hello'), 3), /Unknown image file format. One of JPEG, PNG, GIF, BMP required./);
  assert.throws(() => run('DecodePng', Buffer.from('\x89PNG\r\n\x1a\nbroken', 'latin1'), 0), /Invalid PNG data/);
});
