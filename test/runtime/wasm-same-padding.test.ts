/**
 * SAME padding on the wasm convolutions where TF pads nothing and the windows end before the
 * input does (src/runtime/wasm-same-padding.ts). Expected values are TF 2.21's:
 *   x = tf.reshape(tf.range(1., 13.), [1, 6, 2, 1]); k = tf.constant([1., 10., 100., 1000.], shape=[2, 2, 1, 1])
 *   tf.nn.conv2d(x, k, 3, 'SAME') = [4321, 10987]; tf.nn.depthwise_conv2d(x, k, [1, 3, 3, 1], 'SAME') = the same;
 *   tf.nn.conv2d(x, k, [1, 2], 'SAME') = [4321, 6543, 8765, 10987, 13209, 131]
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';
import { explicitSamePadding } from '../../src/runtime/wasm-same-padding.js';

test('explicitSamePadding: only where the unclamped SAME padding is negative', () => {
  assert.deepEqual(explicitSamePadding([1, 6, 2, 1], [2, 2, 1, 1], { strides: 3, pad: 'same' }), [[0, 0], [0, 0], [0, 0], [0, 0]]);
  // rows of 7 with stride 3 and a 3-row filter pad 1 above and 1 below; columns of 6 with a 2-wide filter are short
  assert.deepEqual(explicitSamePadding([1, 7, 6, 3], [3, 2, 3, 4], { strides: 3, pad: 'same' }), [[0, 0], [1, 1], [0, 0], [0, 0]]);
  assert.equal(explicitSamePadding([1, 6, 2, 1], [2, 2, 1, 1], { strides: [1, 2], pad: 'same' }), undefined);
  assert.equal(explicitSamePadding([1, 6, 2, 1], [2, 2, 1, 1], { strides: 3, pad: 'valid' }), undefined);
  assert.equal(explicitSamePadding([1, 1, 6, 2], [2, 2, 1, 1], { strides: 3, pad: 'same', dataFormat: 'NCHW' }), undefined);
});

test('wasm Conv2D/DepthwiseConv2dNative/FusedConv2D with SAME and a stride past the filter give TF\'s numbers', async () => {
  await initBackend('wasm');
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    const x = tf.reshape(tf.range(1, 13), [1, 6, 2, 1]);
    const k = tf.tensor4d([1, 10, 100, 1000], [2, 2, 1, 1]);
    assert.deepEqual(Array.from(tf.conv2d(x as tf.Tensor4D, k, 3, 'same').dataSync()), [4321, 10987], b);
    assert.deepEqual(Array.from(tf.depthwiseConv2d(x as tf.Tensor4D, k, 3, 'same').dataSync()), [4321, 10987], b);
    const fused = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: k, strides: 3, pad: 'same', bias: tf.tensor1d([-4321]) });
    assert.deepEqual(Array.from(fused.dataSync()), [0, 6666], b);
    assert.deepEqual(Array.from(tf.conv2d(x as tf.Tensor4D, k, [1, 2], 'same').dataSync()), [4321, 6543, 8765, 10987, 13209, 131], b);
  }
});
