/** Conv2D / DepthwiseConv2dNative / MaxPool with padding="EXPLICIT" (kernels/explicit-padding.ts) against TF 2.21 on CPU (recorded as facts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EXPLICIT_PAD_OPS, EXPLICIT_PADDING_KERNELS } from '../../../src/runtime/kernels/explicit-padding.js';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { run, s, values } from './helpers.js';

const ints = (v: number[]) => ({ list: { i: v } });
const x = (): tf.Tensor => tf.tensor4d(Array.from({ length: 40 }, (_, i) => Math.fround(i / 7 - 2)), [1, 4, 5, 2]);
const close = (got: number[], want: number[]): void =>
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= 2e-6 * Math.max(1, Math.abs(want[i]!)), `${i}: ${g} vs ${want[i]}`));

test('explicit padding: the input is padded (zeros; -inf for max pool), then the op runs VALID, as TF', async () => {
  await tf.setBackend('cpu');
  const w = tf.tensor4d(Array.from({ length: 36 }, (_, i) => Math.fround(i / 11 - 1)), [3, 3, 2, 2]);
  const c = run(EXPLICIT_PADDING_KERNELS, EXPLICIT_PAD_OPS['Conv2D']!, [x(), w], {
    strides: ints([1, 2, 1, 1]), padding: s('EXPLICIT'), explicit_paddings: ints([0, 0, 1, 2, 0, 1, 0, 0]), dilations: ints([1, 1, 1, 1]),
  })[0]!;
  assert.deepEqual(c.shape, [1, 3, 4, 2]);
  close(values(c), [-6.571428298950195, -7.584415912628174, -2.8311688899993896, -3.5324671268463135, 0.9090906977653503, 0.5194804668426514, 1.8181816339492798, 1.6623376607894897,
    31.987010955810547, 33.97402572631836, 34.792205810546875, 37.24675369262695, 37.59740447998047, 40.51948165893555, 21.272727966308594, 23.376623153686523,
    -8.194804191589355, -6.753246307373047, -9.129870414733887, -7.532467842102051, -10.064935684204102, -8.311687469482422, -9.636363983154297, -8.415584564208984]);
  const dw = tf.tensor4d(Array.from({ length: 8 }, (_, i) => Math.fround(i / 5 - 0.5)), [2, 2, 2, 1]);
  const d = run(EXPLICIT_PADDING_KERNELS, EXPLICIT_PAD_OPS['DepthwiseConv2dNative']!, [x(), dw], {
    strides: ints([1, 1, 1, 1]), padding: s('EXPLICIT'), explicit_paddings: ints([0, 0, 1, 0, 1, 1, 0, 0]),
  })[0]!;
  assert.deepEqual(d.shape, [1, 4, 6, 2]);
  close(values(d).slice(0, 6), [-1.4000000953674316, -1.6714284420013428, -1.8000000715255737, -2.3428571224212646, -1.5142858028411865, -1.942857027053833]);
  close(values(d).slice(42), [2.171428680419922, 4.171428203582764, 2.2857143878936768, 4.514285564422607, 0.02857140824198723, 1.142857313156128]);
  // tf.nn.max_pool2d(-|x|, 3, 2, [[0,0],[1,1],[1,1],[0,0]]): the padded cells never win
  const m = run(EXPLICIT_PADDING_KERNELS, EXPLICIT_PAD_OPS['MaxPool']!, [tf.neg(tf.abs(x()))], {
    ksize: ints([1, 3, 3, 1]), strides: ints([1, 2, 2, 1]), padding: s('EXPLICIT'), explicit_paddings: ints([0, 0, 1, 1, 1, 1, 0, 0]),
  })[0]!;
  assert.deepEqual(m.shape, [1, 2, 3, 2]);
  close(values(m), [-0.2857142686843872, -0.14285719394683838, -0, -0.14285707473754883, -0.28571438789367676, -0.4285714626312256,
    -0.2857142686843872, -0.14285719394683838, -0, -0.14285707473754883, -0.28571438789367676, -0.4285714626312256]);
  // the freezer renames EXPLICIT nodes only (kernels/index.ts attrOverride)
  const padding = (p: string) => ({ padding: { s: new Uint8Array(Buffer.from(p)) } });
  for (const op of ['Conv2D', 'DepthwiseConv2dNative', 'MaxPool']) {
    assert.equal(familyNode(op, padding('EXPLICIT'), {}), EXPLICIT_PAD_OPS[op]);
    assert.equal(familyNode(op, padding('SAME'), {}), op);
  }
});
