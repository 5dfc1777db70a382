import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupType, protoFiles, lookupEnum } from '../../src/proto/root.js';

test('every proto under protos/ loads and resolves', () => {
  const files = protoFiles();
  assert.ok(files.includes('tensorflow_serving/apis/prediction_service.proto'));
  assert.ok(files.includes('tensorflow/core/protobuf/saved_model.proto'));
  // Services resolve with their methods.
  const req = lookupType('tensorflow.serving.PredictRequest');
  assert.equal(req.fields['model_spec']?.id, 1);
  assert.equal(req.fields['output_filter']?.id, 3);
});

test('upstream field numbers of the messages clients depend on', () => {
  const t = lookupType('tensorflow.TensorProto');
  const ids = Object.fromEntries(Object.values(t.fields).map((f) => [f.name, f.id]));
  assert.deepEqual(
    { dtype: ids['dtype'], tensor_shape: ids['tensor_shape'], tensor_content: ids['tensor_content'], float_val: ids['float_val'], string_val: ids['string_val'], int64_val: ids['int64_val'], half_val: ids['half_val'], uint64_val: ids['uint64_val'] },
    { dtype: 1, tensor_shape: 2, tensor_content: 4, float_val: 5, string_val: 8, int64_val: 10, half_val: 13, uint64_val: 17 },
  );
  const spec = lookupType('tensorflow.serving.ModelSpec');
  assert.equal(spec.fields['version_label']?.id, 4);
  assert.equal(spec.fields['signature_name']?.id, 3);
  const st = lookupEnum('tensorflow.serving.ModelVersionStatus.State');
  assert.equal(st.values['AVAILABLE'], 30);
  const policy = lookupType('tensorflow.serving.FileSystemStoragePathSourceConfig.ServableVersionPolicy');
  assert.equal(policy.fields['specific']?.id, 102);
});

test('a PredictRequest round-trips through the wire format', () => {
  const T = lookupType('tensorflow.serving.PredictRequest');
  const msg = T.fromObject({
    model_spec: { name: 'half_plus_two', version: { value: 123 }, signature_name: 'serving_default' },
    inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 3 }] }, float_val: [1, 2, 3] } },
    output_filter: ['y'],
  });
  const bytes = T.encode(msg).finish();
  const back = T.toObject(T.decode(bytes), { longs: Number, enums: String }) as Record<string, any>;
  assert.equal(back['model_spec'].name, 'half_plus_two');
  assert.equal(back['model_spec'].version.value, 123);
  assert.deepEqual(back['inputs'].x.float_val, [1, 2, 3]);
  assert.equal(back['inputs'].x.dtype, 'DT_FLOAT');
});
