/**
 * Which captured variables TensorFlow's graph loader leaves uncreated (no TensorFlow needed:
 * this reads the SavedModels with tfs's own reader).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { capturedRestores } from '../../src/native/captured-variables.js';
import { readSavedModel } from '../../src/savedmodel/saved-model.js';
import { fixtures } from '../helpers/paths.js';

const zoo = (model: string): string => join(fixtures, 'zoo', 'models', model, '1');

test('Keras 3 through tf.saved_model.save: the handles the signatures capture, each with the checkpoint key of its Keras variable', () => {
  // The restore op writes Variable .. Variable_3; the signatures read these, which nothing restores.
  assert.deepEqual(capturedRestores(readSavedModel(zoo('k3_tf_save_mlp'))), [
    { handle: 'sequential/dense_1/kernel', key: '_layers/1/_kernel/.ATTRIBUTES/VARIABLE_VALUE' },
    { handle: 'sequential/dense_1/bias', key: '_layers/1/bias/.ATTRIBUTES/VARIABLE_VALUE' },
    { handle: 'sequential/dense_2/kernel', key: '_layers/2/_kernel/.ATTRIBUTES/VARIABLE_VALUE' },
    { handle: 'sequential/dense_2/bias', key: '_layers/2/bias/.ATTRIBUTES/VARIABLE_VALUE' },
  ]);
  const lstm = capturedRestores(readSavedModel(zoo('k3_tf_save_lstm')));
  assert.deepEqual(lstm.map((r) => r.handle), [
    'sequential_2/lstm/lstm_cell/kernel',
    'sequential_2/lstm/lstm_cell/recurrent_kernel',
    'sequential_2/lstm/lstm_cell/bias',
    'sequential_2/dense_4/kernel',
    'sequential_2/dense_4/bias',
  ]);
  assert.equal(lstm[1]!.key, '_layers/1/cell/recurrent_kernel/.ATTRIBUTES/VARIABLE_VALUE');
});

test('models whose restore op writes the captured variables (Keras 3 model.export), and TF1 graphs, need nothing restored', () => {
  for (const m of ['k3_dense_mlp', 'k3_lstm_seq', 'tf1_multi_input', 'tf1_estimator_feature_columns', 'str_lookup_assets']) {
    assert.deepEqual(capturedRestores(readSavedModel(zoo(m))), [], m);
  }
});
