/**
 * A failed run frees every tensor it made (src/runtime/run-tensors.ts): tfjs's asynchronous
 * executor keeps a failed run's intermediates, so bad input to a model with control flow
 * (here `DecodeImage` inside `map_fn`) would grow the server with every request.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { initBackend, type ConcreteBackend } from '../../src/runtime/backend.js';
import { freeingOnFailure } from '../../src/runtime/run-tensors.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { repoRoot } from '../helpers/paths.js';

const DIR = join(repoRoot, 'fixtures', 'zoo', 'models', 'image_decode', '1');

function png8x8(): Uint8Array {
  const p = new PNG({ width: 8, height: 8 });
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 37) & 255;
  return new Uint8Array(PNG.sync.write(p));
}

const images = (...data: Uint8Array[]): Record<string, Tensor> => ({ x: { dtype: 'DT_STRING', shape: [data.length], data } });

for (const backend of ['wasm', 'cpu'] as ConcreteBackend[]) {
  test(`requests that fail inside DecodeImage leave tf.memory() unchanged (${backend})`, async () => {
    await initBackend('wasm');
    const s = await loadSavedModelServable('image_decode', 1, DIR, { backend });
    try {
      const good = png8x8();
      const ok = await s.run('decode_image', images(good, good));
      assert.deepEqual(ok['pixels']!.shape, [2, 8, 8, 3]);
      const before = tf.memory().numTensors;
      // Good images first, so the failing element comes after intermediates were made.
      for (const bad of [images(good, good, good, Buffer.from('not an image')), images(Buffer.from([0xff, 0xd8, 0xff, 1]))]) {
        await assert.rejects(s.run('decode_image', bad), /Unknown image file format|JPEG/);
        assert.equal(tf.memory().numTensors, before);
      }
      // The model still answers.
      assert.deepEqual((await s.run('decode_image', images(good)))['pixels']!.shape, [1, 8, 8, 3]);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      await s.dispose();
    }
  });
}

test('freeingOnFailure frees what a failed run made, but not kept tensors, spared ones or another run\'s', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const spared = tf.scalar(1);
  const before = tf.memory().numTensors;
  let kept: tf.Tensor | undefined;
  let other: tf.Tensor[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  // Another run in flight at the same time, succeeding after the failed one.
  const concurrent = freeingOnFailure(new Set(), async () => {
    await gate;
    other = [tf.ones([3]), tf.zeros([2])];
    return other;
  });
  await assert.rejects(
    freeingOnFailure(new Set([spared.id]), async () => {
      tf.add(tf.ones([4]), 1);
      await Promise.resolve();
      kept = tf.keep(tf.zeros([2]));
      release();
      throw new Error('kernel failed');
    }),
    /kernel failed/,
  );
  await concurrent;
  assert.equal(kept!.isDisposed, false);
  assert.equal(spared.isDisposed, false);
  assert.ok(other.every((t) => !t.isDisposed));
  assert.equal(tf.memory().numTensors, before + 3);
  kept!.dispose();
  for (const t of other) t.dispose();
  spared.dispose();
});
