/**
 * float64 never gives a different answer (src/runtime/float64-policy.ts, FINDINGS W1/W5):
 * computing ops are refused at load with op, dtype and signatures; exact ops, casts and
 * float32-exact values pass.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Code, TfsError } from '../../src/errors.js';
import { castOnlyFloat64Feeds, checkFloat64Input, float64Refusal, refuseInexactFloat64Consts } from '../../src/runtime/float64-policy.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import { fixtures } from '../helpers/paths.js';

const types = (t: Record<string, string>) => (a: string): string => t[a] ?? '';

test('nodes computing in float64 are refused, exact ones pass', () => {
  assert.equal(float64Refusal('AddV2', types({ T: 'DT_DOUBLE' })), 'AddV2 on float64');
  assert.equal(float64Refusal('MatMul', types({ T: 'DT_DOUBLE' })), 'MatMul on float64');
  assert.equal(float64Refusal('AddV2', types({ T: 'DT_FLOAT' })), undefined);
  for (const op of ['Identity', 'Reshape', 'ConcatV2', 'Greater', 'Maximum', 'Neg', 'GatherV2']) {
    assert.equal(float64Refusal(op, types({ T: 'DT_DOUBLE' })), undefined, op);
  }
  assert.equal(float64Refusal('Cast', types({ SrcT: 'DT_UINT16', DstT: 'DT_DOUBLE' })), undefined);
  assert.equal(float64Refusal('Cast', types({ SrcT: 'DT_UINT32', DstT: 'DT_DOUBLE' })), 'Cast uint32 to float64');
  assert.equal(float64Refusal('Cast', types({ SrcT: 'DT_INT64', DstT: 'DT_DOUBLE' })), 'Cast int64 to float64');
  assert.equal(float64Refusal('Cast', types({ SrcT: 'DT_DOUBLE', DstT: 'DT_FLOAT' })), undefined);
});

test('float64 constants float32 cannot hold are refused unless only a Cast to float32 reads them', () => {
  const w = (v: number[]) => ({ dtype: 'DT_DOUBLE' as const, shape: [v.length], data: Float64Array.from(v) });
  const weights = new Map([['a', w([1.00000000005])], ['b', w([0.5, 2])], ['c', w([0.1])]]);
  const nodes = [
    { name: 'a', op: 'Const', input: [], attr: {} },
    { name: 'b', op: 'Const', input: [], attr: {} },
    { name: 'c', op: 'Const', input: [], attr: {} },
    { name: 'gt', op: 'Greater', input: ['x:0', 'a:0'], attr: {} },
    { name: 'id', op: 'Identity', input: ['b:0'], attr: {} },
    { name: 'f', op: 'Cast', input: ['c:0'], attr: { DstT: { type: 'DT_FLOAT' } } },
  ];
  refuseInexactFloat64Consts(nodes, weights);
  assert.deepEqual(nodes.slice(0, 3).map((n) => n.op), ['Const float64 not exact in float32', 'Const', 'Const']);
});

test('float64 inputs float32 cannot hold are refused per request', () => {
  const t = (v: number[]) => ({ dtype: 'DT_DOUBLE' as const, shape: [v.length], data: Float64Array.from(v) });
  checkFloat64Input(t([1, 0.5, 1024]), 'input x');
  assert.throws(() => checkFloat64Input(t([1, 1.000000000001]), 'input x'), (e: unknown) =>
    e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && /^input x: double value 1\.000000000001 is not exactly representable in float32/.test(e.message));
});

test('a TF model computing in float64 fails at load naming op, dtype and signatures', async () => {
  const dir = join(fixtures, 'zoo', 'models', 'dtype_float64', '1');
  await assert.rejects(loadSavedModelServable('f64', 1, dir, { backend: 'cpu' }), (e: unknown) => {
    assert.ok(e instanceof TfsError, String(e));
    assert.equal(e.code, Code.UNIMPLEMENTED);
    assert.match(e.message, /AddV2 on float64 \(needed by big_plus_small, math\)/);
    assert.match(e.message, /MatMul on float64 \(needed by matmul\)/);
    assert.match(e.message, /Const float64 not exact in float32 \(needed by [a-z_, ]*tiny_diff/);
    return true;
  });
});

test('float64 feeds read only by a Cast to float32 need no exactness check (Keras float64 inputs)', () => {
  const ph = (name: string) => ({ name, op: 'Placeholder', input: [], attr: { dtype: { type: 'DT_DOUBLE' } } });
  const nodes = [
    ph('a'),
    ph('b'),
    { name: 'a_id', op: 'Identity', input: ['a:0'], attr: {} },
    { name: 'a_f', op: 'Cast', input: ['a_id:0'], attr: { DstT: { type: 'DT_FLOAT' } } },
    { name: 'b_f', op: 'Cast', input: ['b:0'], attr: { DstT: { type: 'DT_FLOAT' } } },
    { name: 'b_out', op: 'Identity', input: ['b:0'], attr: {} },
    ph('c'),
    { name: 'c_f', op: 'Cast', input: ['c:0'], attr: { DstT: { type: 'DT_FLOAT' } } },
  ];
  // c is also fetched as it is (an identity signature), so its values must be exact.
  assert.deepEqual([...castOnlyFloat64Feeds(nodes, new Set(['a_f', 'b_f', 'b_out', 'c', 'c_f']))], ['a']);
});
