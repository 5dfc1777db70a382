import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePlain, encodePredictResponse, modelSpecObject, servingTypes } from '../../../src/server/grpc/codec.js';
import { tensorToProto } from '../../../src/tensor/tensor-proto.js';
import type { Tensor } from '../../../src/tensor/tensor.js';

const out: Tensor = { dtype: 'DT_FLOAT', shape: [2, 1], data: new Float32Array([2.5, -1]) };

/** The reply as protobufjs writes it from a plain PredictResponse object. */
function generic(spec: { name: string; version: number; signatureName: string }): Buffer {
  return encodePlain(servingTypes().PredictResponse, { outputs: { y: tensorToProto(out) }, model_spec: modelSpecObject(spec) });
}

test('Predict replies are the bytes protobufjs writes, for every model spec and again from the cache', () => {
  const specs = [
    { name: 'half_plus_two', version: 123, signatureName: 'serving_default' },
    { name: 'm', version: 0, signatureName: '' },
    { name: '', version: 2 ** 40, signatureName: 'x' },
    // Same text split differently between signature and name: distinct cache entries.
    { name: 'bc', version: 1, signatureName: 'a' },
    { name: 'c', version: 1, signatureName: 'ab' },
  ];
  for (let round = 0; round < 2; round++) {
    for (const spec of specs) {
      const got = encodePredictResponse({ outputs: { y: out }, modelSpec: spec }, false);
      assert.deepEqual(got, generic(spec), `${JSON.stringify(spec)} round ${round}`);
    }
  }
});
