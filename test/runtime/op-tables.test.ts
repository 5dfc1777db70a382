/**
 * The op family tables: the freezer's op → emitter table (freeze/emitters.ts) and the
 * custom-kernel tables (kernels/). An op is declared in exactly one entry of one table.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMITTER_FAMILIES, EMITTERS } from '../../src/runtime/freeze/emitters.js';
import { TFS_OPS } from '../../src/runtime/freeze/index.js';
import { FAMILY_OPS, KERNEL_FAMILIES } from '../../src/runtime/kernels/index.js';
import { CALL_OPS, CUSTOM_TF_OPS, TABLE_INIT_OPS, VARIABLE_WRITE_OPS } from '../../src/runtime/op-registry.js';

test('every custom kernel op has one entry in one family table', () => {
  const ops = KERNEL_FAMILIES.flatMap((f) => f.map((k) => k.op));
  const twice = ops.filter((op, i) => ops.indexOf(op) !== i);
  assert.deepEqual(twice, [], 'a later registration would silently replace an earlier kernel');
  assert.equal(FAMILY_OPS.size, ops.length);
});

test('CUSTOM_TF_OPS is derived from the kernel tables: TF ops only, none lost in the move to kernels/', () => {
  for (const op of Object.values(TFS_OPS)) {
    assert.ok(FAMILY_OPS.has(op), `${op} has a kernel`);
    assert.ok(!CUSTOM_TF_OPS.has(op), `${op} is tfs's own op, not a TF op`);
  }
  const before = ['ParseExample', 'ParseExampleV2', 'Softsign', 'Xlogy', 'Xdivy', 'Erfc', 'Inv', 'Rint', 'TruncateDiv',
    'TruncateMod', 'BroadcastGradientArgs', 'Bucketize', 'UnsortedSegmentSum', 'SegmentSum'];
  for (const op of before) assert.ok(CUSTOM_TF_OPS.has(op), op);
  assert.deepEqual([...CUSTOM_TF_OPS].filter((op) => op.startsWith('_Tfs')), []);
});

test('the op → emitter table: one emitter per op, families cover state and control flow, calls dispatch by function', () => {
  const ops = EMITTER_FAMILIES.flatMap((f) => f.flatMap((e) => e.ops));
  assert.equal(EMITTERS.size, ops.length, 'an op listed in two families');
  for (const op of [...VARIABLE_WRITE_OPS, ...TABLE_INIT_OPS, 'VarHandleOp', 'ReadVariableOp', 'HashTableV2', 'If', 'While', 'Const']) {
    assert.ok(EMITTERS.has(op), op);
  }
  for (const op of CALL_OPS) assert.ok(!EMITTERS.has(op), `${op} is dispatched by the function it calls`);
  // Ops without an entry (MatMul, Switch, ...) go through the generic emitter.
  assert.ok(!EMITTERS.has('MatMul'));
});
