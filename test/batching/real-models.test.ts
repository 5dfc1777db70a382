/**
 * Batching over real SavedModels on the embedded runtime: concurrent callers with different
 * row counts, batched with the tutorial's batching_config.pbtxt, get what an unbatched call
 * gives and what TensorFlow computed (oracle files). Covers float inputs (the tutorial's MLP,
 * zoo models), string inputs (serialized tf.Examples into half_plus_two's regress signature)
 * and execution on worker threads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Batcher } from '../../src/batching/batching-servable.js';
import { savedModelWorkerSource } from '../../src/batching/worker-source.js';
import { loadBatchingParameters } from '../../src/config/batching.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import type { ModelServable } from '../../src/core/servable.js';
import type { DTypeName } from '../../src/tensor/dtypes.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { fixtures, sharedOrSkip } from '../helpers/paths.js';

interface OracleTensor {
  dtype: DTypeName;
  shape: number[];
  values: unknown;
  encoding?: 'utf8' | 'base64';
}
interface OracleCase {
  model: string;
  version: number;
  signature: string;
  inputs: Record<string, OracleTensor>;
  outputs: Record<string, OracleTensor>;
}

function readOracle(file: string): OracleCase[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as OracleCase);
}

function toTensor(o: OracleTensor): Tensor {
  const flat = (o.values as unknown[]).flat(Infinity);
  if (o.dtype === 'DT_STRING') {
    const data = flat.map((v) => (o.encoding === 'base64' ? new Uint8Array(Buffer.from(v as string, 'base64')) : new TextEncoder().encode(v as string)));
    return { dtype: 'DT_STRING', shape: o.shape, data };
  }
  if (o.dtype !== 'DT_FLOAT') throw new Error(`unexpected oracle dtype ${o.dtype}`);
  return { dtype: 'DT_FLOAT', shape: o.shape, data: Float32Array.from(flat as number[]) };
}

/** Rows [start, start+count) of an oracle tensor, as a new tensor. */
function rows(t: Tensor, start: number, count: number): Tensor {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = Array.isArray(t.data) ? t.data.slice(start * per, (start + count) * per) : (t.data as Float32Array).slice(start * per, (start + count) * per);
  return { dtype: t.dtype, shape: [count, ...t.shape.slice(1)], data };
}

function close(got: Tensor, want: Tensor, what: string, tol = 1e-5): void {
  assert.deepEqual([...got.shape], [...want.shape], `${what}: shape`);
  const g = got.data as Float32Array;
  const w = want.data as Float32Array;
  for (let i = 0; i < w.length; i++) {
    assert.ok(Math.abs(g[i]! - w[i]!) <= tol * Math.max(1, Math.abs(w[i]!)), `${what}[${i}]: ${g[i]} vs ${w[i]}`);
  }
}

const tutorialParams = () => loadBatchingParameters(join(fixtures, 'configs', 'tutorial', 'batching_config.pbtxt'));

/**
 * Every oracle case of `model`, cut into pieces of 1..3 rows, all sent at once through the
 * batching servable; each piece must match the oracle rows and the unbatched servable.
 */
async function checkConcurrent(batched: ModelServable, plain: ModelServable, cases: OracleCase[]): Promise<void> {
  const calls: { sig: string; inputs: Record<string, Tensor>; want: Record<string, Tensor> }[] = [];
  for (const c of cases) {
    const ins = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, toTensor(v)]));
    const outs = Object.fromEntries(Object.entries(c.outputs).map(([k, v]) => [k, toTensor(v)]));
    const n = Object.values(ins)[0]!.shape[0]!;
    for (let start = 0, size = 1; start < n; start += size, size = (size % 3) + 1) {
      const count = Math.min(size, n - start);
      calls.push({
        sig: c.signature,
        inputs: Object.fromEntries(Object.entries(ins).map(([k, v]) => [k, rows(v, start, count)])),
        want: Object.fromEntries(Object.entries(outs).map(([k, v]) => [k, rows(v, start, count)])),
      });
    }
  }
  const got = await Promise.all(calls.map((c) => batched.run(c.sig, c.inputs)));
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    const unbatched = await plain.run(c.sig, c.inputs);
    for (const [alias, want] of Object.entries(c.want)) {
      close(got[i]![alias]!, want, `${c.sig} call ${i} ${alias} vs TF`);
      close(got[i]![alias]!, unbatched[alias]!, `${c.sig} call ${i} ${alias} vs unbatched`, 1e-6);
    }
  }
}

test("the tutorial's batching_config.pbtxt batches the tutorial's Keras model and half_plus_two (string tf.Example inputs)", async () => {
  const oracle = readOracle(join(fixtures, 'models', 'oracle.jsonl'));
  const observed: number[] = [];
  const batcher = new Batcher(tutorialParams(), {
    execution: 'in-thread',
    observer: { inputBatchSize() {}, queuingDelay() {}, processedBatch: (_m, size) => observed.push(size), queued() {} },
  });
  for (const [model, version, dir] of [
    ['my_model', 1, join(fixtures, 'models', 'my_model', '1')],
    ['half_plus_two', 123, join(fixtures, 'models', 'half_plus_two', '00000123')],
  ] as const) {
    const cases = oracle.filter((c) => c.model === model && c.version === version && !c.signature.startsWith('classify'));
    assert.ok(cases.length > 0, `oracle cases for ${model}`);
    const plain = await loadSavedModelServable(model, version, dir);
    const batched = batcher.wrap(await loadSavedModelServable(model, version, dir));
    await checkConcurrent(batched, plain, cases);
    await batched.dispose();
    await plain.dispose();
  }
  assert.ok(observed.some((n) => n > 3), `requests were merged (batch sizes ${observed.join(',')})`);
});

test('zoo models (seed_mlp, small_cnn) batched concurrently match TensorFlow', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const oracle = readOracle(join(shared, 'zoo', 'oracle.jsonl'));
  const batcher = new Batcher(tutorialParams(), { execution: 'in-thread' });
  for (const model of ['seed_mlp', 'small_cnn']) {
    const dir = join(shared, 'zoo', model, '1');
    const plain = await loadSavedModelServable(model, 1, dir);
    const batched = batcher.wrap(await loadSavedModelServable(model, 1, dir));
    await checkConcurrent(
      batched,
      plain,
      oracle.filter((c) => c.model === model && c.version === 1),
    );
    await batched.dispose();
    await plain.dispose();
  }
});

test('worker threads load their own copy of a SavedModel and serve the same answers', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const oracle = readOracle(join(shared, 'zoo', 'oracle.jsonl'));
  const dir = join(shared, 'zoo', 'seed_mlp', '1');
  const batcher = new Batcher({ ...tutorialParams(), numBatchThreads: 2 }, { execution: 'workers', maxWorkers: 2 });
  const inner = await loadSavedModelServable('seed_mlp', 1, dir);
  let inThreadRuns = 0;
  const counting: ModelServable = {
    name: inner.name,
    version: inner.version,
    signatures: inner.signatures,
    signatureDefMap: inner.signatureDefMap,
    run: (s, i, o) => {
      inThreadRuns++;
      return inner.run(s, i, o);
    },
    dispose: () => inner.dispose(),
  };
  const batched = batcher.wrap(counting, { workerSource: savedModelWorkerSource('seed_mlp', 1, dir) });
  await batched.executionSettled();
  assert.equal(batched.describeExecution().mode, 'workers', batched.describeExecution().reason);
  const plain = await loadSavedModelServable('seed_mlp', 1, dir);
  await checkConcurrent(
    batched,
    plain,
    oracle.filter((c) => c.model === 'seed_mlp' && c.version === 1),
  );
  assert.equal(inThreadRuns, 0, 'every batch ran on a worker thread');
  await batched.dispose();
  await plain.dispose();
});
