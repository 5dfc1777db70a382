import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRestPath } from '../../../src/server/rest/path.js';

test('a POST route parsed again from the table equals a fresh parse, and is read-only', () => {
  const first = parseRestPath('POST', '/v1/models/m%20x/versions/3:predict');
  assert.deepEqual(first, { kind: 'predict', name: 'm x', version: 3 });
  const again = parseRestPath('POST', '/v1/models/m%20x/versions/3:predict');
  assert.deepEqual(again, first);
  assert.ok(Object.isFrozen(again));
  assert.deepEqual(parseRestPath('POST', '/v1/models/m/labels/canary:classify'), { kind: 'classify', name: 'm', label: 'canary' });
});

test('the table stays bounded and correct past its size; failures are never kept', () => {
  for (let i = 0; i < 600; i++) assert.deepEqual(parseRestPath('POST', `/v1/models/m${i}:regress`), { kind: 'regress', name: `m${i}` });
  assert.deepEqual(parseRestPath('POST', '/v1/models/m0:regress'), { kind: 'regress', name: 'm0' });
  for (let i = 0; i < 2; i++) assert.throws(() => parseRestPath('POST', '/v1/models/m:nope'), /Malformed request: POST \/v1\/models\/m:nope/);
  assert.throws(() => parseRestPath('POST', '/v1/models/m/versions/99999999999999999999999:predict'), /Failed to convert version/);
  assert.throws(() => parseRestPath('POST', '/v1/models/m/versions/99999999999999999999999:predict'), /Failed to convert version/);
});
