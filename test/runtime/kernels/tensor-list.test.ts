/**
 * TensorListElementShape on tfs's dense lists: the element shape of a list (while-loop gradients of
 * Keras LSTM/GRU reserve their gradient lists with it, probe12).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { CONTROL_OP_NAMES, frozenOpName } from '../../../src/runtime/kernels/control-names.js';
import { TENSOR_LIST_KERNELS } from '../../../src/runtime/kernels/tensor-list.js';
import { run, values } from './helpers.js';

await tf.setBackend('cpu');

test('TensorListElementShape answers the shape of the elements as int32', () => {
  const [shape] = run(TENSOR_LIST_KERNELS, CONTROL_OP_NAMES.TensorListElementShape, [tf.zeros([5, 3, 4])]);
  assert.equal(shape!.dtype, 'int32');
  assert.deepEqual(values(shape!), [3, 4]);
  const [scalarElems] = run(TENSOR_LIST_KERNELS, CONTROL_OP_NAMES.TensorListElementShape, [tf.zeros([2])]);
  assert.deepEqual(scalarElems!.shape, [0]);
});

test('the freezer renames TensorListElementShape to the dense-list kernel', () => {
  assert.equal(frozenOpName('TensorListElementShape'), '_TfsTensorListElementShape');
});
