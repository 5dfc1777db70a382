/** gRPC ModelSpec versions are int64: never rounded through a double. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TfsError } from '../../src/errors.js';
import { exactVersion, modelSpecFromProto } from '../../src/servables/model-spec.js';

test('ModelSpec.version beyond 2^53 is NOT_FOUND with its exact digits; safe versions pass through', () => {
  assert.equal(modelSpecFromProto({ name: 'm', version: { value: '123' } })?.version, 123);
  assert.equal(exactVersion('m', '9007199254740991'), 9007199254740991);
  for (const digits of ['9007199254740993', '9223372036854775807']) {
    assert.throws(
      () => modelSpecFromProto({ name: 'm', version: { value: digits } }),
      (e: unknown) => e instanceof TfsError && e.code === 5 && e.message === `Could not find version ${digits} of model m`,
    );
  }
});
