/**
 * The shared request limits (src/tensor/limits.ts): rank <= 254 checked while a JSON body
 * is decoded (no recursion: 30,000 levels are refused as cheaply as 255), and the
 * per-request element and byte limits on both the REST JSON and the gRPC TensorProto paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TfsError } from '../../src/errors.js';
import { parseRequestBody, predictInputsFromJson } from '../../src/tensor/json-tensor.js';
import { DEFAULT_REQUEST_LIMITS, MAX_TENSOR_RANK, setRequestLimits } from '../../src/tensor/limits.js';
import { requestTensorFromProto } from '../../src/tensor/tensor-proto.js';
import { RequestBudget } from '../../src/tensor/limits.js';
import type { TensorSpec } from '../../src/tensor/tensor.js';

const X: Record<string, TensorSpec> = { x: { dtype: 'DT_FLOAT', shape: null } as unknown as TensorSpec };
const S: Record<string, TensorSpec> = { s: { dtype: 'DT_STRING', shape: null } as unknown as TensorSpec };

const nested = (depth: number): string => '['.repeat(depth) + '1' + ']'.repeat(depth);
const decode = (body: string, specs = X) => predictInputsFromJson(parseRequestBody(body), specs);

const failsWith = (fn: () => unknown, id: string, text: RegExp): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TfsError, String(e));
    // instances wrap the error in upstream's "Failed to process element" text.
    assert.ok(e.id === id || e.id === 'TFS_ERR_JSON_INSTANCE_ELEMENT', `${e.id}: ${e.message}`);
    assert.match(e.message, text);
    assert.equal(e.code, 3, 'INVALID_ARGUMENT');
    return true;
  });
};

test('rank: 254 dimensions decode, 255 and 30,000 are refused naming the limit (instances and inputs)', () => {
  // instances: the list itself is the batch dimension.
  assert.equal(decode(`{"instances": ${nested(MAX_TENSOR_RANK)}}`).inputs['x']!.shape.length, MAX_TENSOR_RANK);
  assert.equal(decode(`{"inputs": ${nested(MAX_TENSOR_RANK)}}`).inputs['x']!.shape.length, MAX_TENSOR_RANK);
  for (const depth of [MAX_TENSOR_RANK + 1, 7_000, 30_000]) {
    failsWith(() => decode(`{"instances": ${nested(depth)}}`), 'TFS_ERR_REQUEST_RANK_LIMIT', /x: more than 254 dimensions/);
    failsWith(() => decode(`{"inputs": ${nested(depth)}}`), 'TFS_ERR_REQUEST_RANK_LIMIT', /x: more than 254 dimensions/);
  }
});

test('elements and bytes per request: JSON and TensorProto share the limits and name their flags', (t) => {
  t.after(() => setRequestLimits({}));
  setRequestLimits({ maxElements: 1000, maxTensorBytes: 64 });
  const rows = (n: number): string => `{"instances": [${Array.from({ length: n }, () => '[1, 2]').join(',')}]}`;
  assert.deepEqual(decode(rows(8)).inputs['x']!.shape, [8, 2]);
  failsWith(() => decode(rows(9)), 'TFS_ERR_REQUEST_BYTES_LIMIT', /need 72 bytes, more than the limit of 64 \(--max_request_tensor_bytes\)/);
  setRequestLimits({ maxElements: 10, maxTensorBytes: 1 << 20 });
  failsWith(() => decode(rows(6)), 'TFS_ERR_REQUEST_ELEMENTS_LIMIT', /hold 12 elements, more than the limit of 10 \(--max_request_elements\)/);
  failsWith(() => decode(`{"inputs": [${'1,'.repeat(10)}1]}`), 'TFS_ERR_REQUEST_ELEMENTS_LIMIT', /--max_request_elements/);
  // Strings count their bytes.
  setRequestLimits({ maxTensorBytes: 10 });
  assert.equal(decode('{"instances": ["abcde", "fghij"]}', S).inputs['s']!.shape[0], 2);
  failsWith(() => decode('{"instances": ["abcde", "fghijk"]}', S), 'TFS_ERR_REQUEST_BYTES_LIMIT', /--max_request_tensor_bytes/);

  // gRPC: one float broadcast to 2^40 elements is refused before anything is allocated.
  setRequestLimits({});
  const huge = { dtype: 1, tensor_shape: { dim: [{ size: 1 << 20 }, { size: 1 << 20 }] }, float_val: [1] };
  assert.throws(() => requestTensorFromProto(huge, 'x', new RequestBudget()), /x: the request's tensors hold 1099511627776 elements/);
  // The budget sums the tensors of one request.
  const budget = new RequestBudget({ maxElements: 100, maxTensorBytes: DEFAULT_REQUEST_LIMITS.maxTensorBytes });
  const sixty = { dtype: 1, tensor_shape: { dim: [{ size: 60 }] }, float_val: [1] };
  assert.equal(requestTensorFromProto(sixty, 'a', budget).shape[0], 60);
  assert.throws(() => requestTensorFromProto(sixty, 'b', budget), /b: the request's tensors hold 120 elements/);
  // Over TF's rank: upstream's own text for the gRPC path.
  const deep = { dtype: 1, tensor_shape: { dim: Array.from({ length: 255 }, () => ({ size: 1 })) }, float_val: [1] };
  assert.throws(() => requestTensorFromProto(deep, 'x', new RequestBudget()), /^Error: tensor parsing error: x$|tensor parsing error: x/);
});
