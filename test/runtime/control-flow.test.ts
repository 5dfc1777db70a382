/**
 * Control flow that holds (issue 15 item 3): TensorList loops (Keras RNNs with
 * return_sequences, map_fn, tf.while_loop writing a TensorArray), TF1 while_loop writing a
 * TensorArrayV3, StatelessCase, on wasm and cpu, against TensorFlow's recorded outputs in
 * fixtures/zoo/oracle.jsonl; no tensor leaks over 1,000 calls; the dense-list kernels
 * (kernels/tensor-list.ts) on their own.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Code, TfsError } from '../../src/errors.js';
import { initBackend, type ConcreteBackend } from '../../src/runtime/backend.js';
import { branchIndex } from '../../src/runtime/kernels/case.js';
import { concatList, gather, getItem, reserve, setItem, splitList } from '../../src/runtime/kernels/tensor-list.js';
import { frozenOpName } from '../../src/runtime/kernels/control-names.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import { repoRoot } from '../helpers/paths.js';
import { mismatch, oracleFile, type OracleCase } from './oracle-data.js';

const ZOO = join(repoRoot, 'fixtures', 'zoo');
/** Zoo models whose every signature needs TensorList/TensorArray loops or Case. */
const MODELS = [
  'k3_lstm_seq',
  'k3_lstm_stacked',
  'k3_gru_seq',
  'k3_simplernn',
  'k3_bidirectional_lstm',
  'k3_masking_lstm',
  'cf_loops',
  'cf_functional',
  'cf_branches',
  'tf1_control_flow_v1',
];

/** The zoo oracle's calls for `models` (other lines use dtypes the shared parser does not read). */
function zooCases(models: readonly string[]): OracleCase[] {
  const lines = readFileSync(join(ZOO, 'oracle.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => models.includes((JSON.parse(l) as { model: string }).model));
  const dir = mkdtempSync(join(tmpdir(), 'tfs-control-flow-'));
  try {
    writeFileSync(join(dir, 'oracle.jsonl'), lines.join('\n'));
    return oracleFile(join(dir, 'oracle.jsonl'), join(ZOO, 'models'), 'fixtures/zoo/oracle.jsonl');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const backend of ['wasm', 'cpu'] as ConcreteBackend[]) {
  test(`control-flow zoo models match TensorFlow on ${backend}, without leaking tensors`, async (t) => {
    await initBackend('wasm');
    const cases = zooCases(MODELS);
    assert.ok(cases.length >= 3 * 25, `only ${cases.length} oracle calls for ${MODELS.join(', ')}`);
    const failures: string[] = [];
    const leaks: string[] = [];
    for (const name of MODELS) {
      const mine = cases.filter((c) => c.model === name);
      const s = await loadSavedModelServable(name, 1, mine[0]!.dir, { backend });
      try {
        for (const c of mine) {
          const before = tf.memory().numTensors;
          const out = await s.run(c.signature, c.inputs);
          const leaked = tf.memory().numTensors - before;
          if (leaked !== 0) leaks.push(`${name}:${c.signature} batch ${c.inputs[Object.keys(c.inputs)[0]!]?.shape[0]}: ${leaked}`);
          for (const [alias, want] of Object.entries(c.outputs)) {
            const m = mismatch(out[alias], want);
            if (m) failures.push(`${c.where} ${name}:${c.signature} ${alias}: ${m}`);
          }
        }
      } finally {
        await s.dispose();
      }
    }
    t.diagnostic(`${backend}: ${cases.length - failures.length}/${cases.length} calls matched`);
    assert.deepEqual(failures, []);
    assert.deepEqual(leaks, []);
  });
}

for (const backend of ['wasm', 'cpu'] as ConcreteBackend[]) {
  test(`a TensorArray loop leaves tf.memory() unchanged over 1,000 calls (${backend})`, async () => {
    await initBackend('wasm');
    const c = zooCases(['cf_loops']).find((x) => x.signature === 'fori_cumulative')!;
    const s = await loadSavedModelServable('cf_loops', 1, c.dir, { backend });
    try {
      await s.run(c.signature, c.inputs); // first call: anything cached per model is made here
      const before = tf.memory().numTensors;
      let last;
      for (let i = 0; i < 1000; i++) last = await s.run(c.signature, c.inputs);
      assert.equal(tf.memory().numTensors, before);
      assert.equal(mismatch(last!['y'], c.outputs['y']!), undefined);
    } finally {
      await s.dispose();
    }
  });
}

test('dense TensorList: unknown element dims take the first write, unset elements read as zeros', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    // TensorListReserve(element_shape=[-1, 2], num_elements=3), as Keras RNNs reserve.
    const empty = reserve(3, [-1, 2], 'float32');
    assert.deepEqual(empty.shape, [3, 0, 2]);
    const one = setItem(empty, 1, tf.tensor2d([[1, 2]]));
    assert.deepEqual(one.shape, [3, 1, 2]);
    assert.deepEqual(Array.from(one.dataSync()), [0, 0, 1, 2, 0, 0]);
    const two = setItem(one, 2, tf.tensor2d([[3, 4]]));
    assert.deepEqual(Array.from(getItem(two, 2, [-1, 2]).dataSync()), [3, 4]);
    // Value semantics: the earlier list is unchanged.
    assert.deepEqual(Array.from(one.dataSync()), [0, 0, 1, 2, 0, 0]);
    assert.deepEqual(Array.from(gather(two, tf.tensor1d([2, 0], 'int32'), null).dataSync()), [3, 4, 0, 0]);
    // A read of a never-written list with a known element shape gives zeros of that shape.
    assert.deepEqual(getItem(reserve(2, [-1], 'int32'), 0, [3]).shape, [3]);
    // resize_if_index_out_of_bounds grows the list.
    assert.deepEqual(setItem(two, 4, tf.tensor2d([[5, 6]]), true).shape, [5, 1, 2]);
  });
  assert.equal(tf.memory().numTensors, before);
});

test('dense TensorList: TF texts for bad indices, tfs error for mixed element shapes', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const list = tf.zeros([2, 3]);
  const invalid = (fn: () => unknown, message: string): void =>
    assert.throws(fn, (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && e.message === message);
  invalid(() => getItem(list, 2, null), 'Trying to access element 2 in a list with 2 elements.');
  invalid(() => setItem(list, -1, tf.zeros([3])), 'Trying to modify element -1 in a list with 2 elements.');
  invalid(() => gather(list, tf.tensor1d([0, 5], 'int32'), null), 'Trying to gather element 5 in a list with 2 elements.');
  assert.throws(
    () => setItem(list, 0, tf.zeros([4])),
    (e: unknown) => e instanceof TfsError && e.code === Code.UNIMPLEMENTED && /shape \[3\].*shape \[4\]/.test(e.message),
  );
  list.dispose();
});

test('dense TensorList: concat and split along the first element axis', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  tf.tidy(() => {
    const list = splitList(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]), tf.tensor1d([2, 2], 'int32'));
    assert.deepEqual(list.shape, [2, 2, 2]);
    const [joined, lengths] = concatList(list, null);
    assert.deepEqual(joined!.shape, [4, 2]);
    assert.deepEqual(Array.from(joined!.dataSync()), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(Array.from(lengths!.dataSync()), [2, 2]);
    // Unequal pieces cannot be one dense list: a clear UNIMPLEMENTED, not a wrong answer.
    assert.throws(() => splitList(tf.zeros([3, 2]), tf.tensor1d([1, 2], 'int32')), (e: unknown) => e instanceof TfsError && e.code === Code.UNIMPLEMENTED);
  });
});

test('every TensorList/TensorArray op is renamed, so tfjs-converter never sees tfs dense lists', () => {
  assert.equal(frozenOpName('TensorListSetItem'), '_TfsTensorListSetItem');
  assert.equal(frozenOpName('TensorArrayWriteV3'), '_TfsTensorArrayWriteV3');
  // No kernel: refused at load by its TF name instead of reaching tfjs's own TensorList code.
  assert.equal(frozenOpName('TensorListElementShape'), '_TfsTensorListElementShape');
  assert.equal(frozenOpName('MatMul'), 'MatMul');
});

test('Case picks the branch TF picks: out-of-range indices run the last branch', () => {
  assert.equal(branchIndex(0, 3), 0);
  assert.equal(branchIndex(2, 3), 2);
  assert.equal(branchIndex(3, 3), 2);
  assert.equal(branchIndex(-1, 3), 2);
});
