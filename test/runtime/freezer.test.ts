/**
 * The freezer and runtime on the models of test/runtime/fixtures (written by TensorFlow,
 * see fixtures/generate.py): control flow with captured variables, hash tables (TF2
 * constants and asset vocabulary, TF1 asset fed at load), ops tfs adds or rewrites, the
 * single load error for unsupported ops, complex kernels on cpu, int64 beyond int32, and
 * the shared rust_regression model's stateful training signature.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { Code, TfsError } from '../../src/errors.js';
import { initBackend, type ConcreteBackend } from '../../src/runtime/backend.js';
import { freezeSavedModel } from '../../src/runtime/freeze/index.js';
import { isExecutableOp, ModelRuntime } from '../../src/runtime/model-runtime.js';
import { freezeSourceOf } from '../../src/runtime/source.js';
import { readSavedModel } from '../../src/savedmodel/saved-model.js';
import { TensorBundle } from '../../src/savedmodel/tensor-bundle.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import { fixtures, repoRoot, sharedOrSkip } from '../helpers/paths.js';
import { mismatch, oracleFile } from './oracle-data.js';

const FIXTURES = join(repoRoot, 'test', 'runtime', 'fixtures');
const model = (name: string): string => join(FIXTURES, 'models', name, '1');

function capturingLogger(): { logger: pino.Logger; lines: () => string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s).msg as string) });
  return { logger, lines: () => lines };
}

for (const backend of ['wasm', 'cpu'] as ConcreteBackend[]) {
  test(`runtime fixtures match TensorFlow on ${backend}`, async (t) => {
    await initBackend('wasm');
    const cases = oracleFile(join(FIXTURES, 'oracle.jsonl'), join(FIXTURES, 'models'));
    const failures: string[] = [];
    const loaded = new Map<string, Awaited<ReturnType<typeof loadSavedModelServable>>>();
    try {
      for (const c of cases) {
        let s = loaded.get(c.dir);
        if (!s) loaded.set(c.dir, (s = await loadSavedModelServable(c.model, c.version, c.dir, { backend })));
        const out = await s.run(c.signature, c.inputs);
        for (const [alias, want] of Object.entries(c.outputs)) {
          const m = mismatch(out[alias], want);
          if (m) failures.push(`${c.where} ${c.model}:${c.signature} ${alias}: ${m}`);
        }
      }
    } finally {
      for (const s of loaded.values()) await s.dispose();
    }
    t.diagnostic(`${backend}: ${cases.length - failures.length}/${cases.length} calls matched`);
    assert.deepEqual(failures, []);
  });
}

test('with refusePartialModels, one load error lists every unsupported op with the signatures that need it', async () => {
  await assert.rejects(loadSavedModelServable('unsupported', 1, model('unsupported'), { refusePartialModels: true }), (e: unknown) => {
    assert.ok(e instanceof TfsError);
    assert.equal(e.code, Code.UNIMPLEMENTED);
    assert.equal(
      e.message,
      // StringLower (signature a) is a kernels/strings.ts op now.
      'Model unsupported version 1: The model uses operations that tfs does not support: BesselK0e (needed by a, b)',
    );
    return true;
  });
});

test('an int64 variable beyond int32 is carried exactly (x + 2**40, wrapping at int64 as TF does)', async () => {
  const s = await loadSavedModelServable('big', 1, model('int64_big_variable'));
  try {
    const out = await s.run('serving_default', { x: { dtype: 'DT_INT64', shape: [3], data: BigInt64Array.of(1n, -(2n ** 40n), 2n ** 63n - 2n ** 40n) } });
    assert.equal(out['y']!.dtype, 'DT_INT64');
    assert.deepEqual([...(out['y']!.data as BigInt64Array)], [2n ** 40n + 1n, 0n, -(2n ** 63n)]);
  } finally {
    await s.dispose();
  }
});

test('int64 inputs, sums and outputs are exact over int64\'s range, never wrapped at int32', async () => {
  const s = await loadSavedModelServable('int64_add', 1, model('int64_add'));
  try {
    const ok = await s.run('serving_default', { x: { dtype: 'DT_INT64', shape: [2], data: BigInt64Array.of(-7n, 41n) } });
    assert.equal(ok['y']!.dtype, 'DT_INT64');
    assert.deepEqual([...(ok['y']!.data as BigInt64Array)], [-6n, 42n]);
    const big = await s.run('serving_default', { x: { dtype: 'DT_INT64', shape: [3], data: BigInt64Array.of(2n ** 31n - 1n, 2n ** 53n, 2n ** 63n - 1n) } });
    // TF: [2147483648, 9007199254740993, -9223372036854775808] (int64 addition wraps).
    assert.deepEqual([...(big['y']!.data as BigInt64Array)], [2n ** 31n, 2n ** 53n + 1n, -(2n ** 63n)]);
  } finally {
    await s.dispose();
  }
});

test('int64 multiplication beyond int32 is exact (tfjs_int64_multiply)', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const s = await loadSavedModelServable('m', 1, join(shared, 'savedmodels', 'tfjs_int64_multiply', '1'));
  try {
    const x = (a: bigint, b: bigint) => ({ x: { dtype: 'DT_INT64' as const, shape: [2], data: BigInt64Array.of(a, b) } });
    assert.deepEqual([...((await s.run('serving_default', x(3n, 4n)))['output_0']!.data as BigInt64Array)], [18n, 24n]);
    assert.deepEqual([...((await s.run('serving_default', x(-357913941n, 1n)))['output_0']!.data as BigInt64Array)], [-2147483646n, 6n]);
    assert.deepEqual([...((await s.run('serving_default', x(1000000000n, 1n)))['output_0']!.data as BigInt64Array)], [6000000000n, 6n]);
  } finally {
    await s.dispose();
  }
});

test('a model needing complex kernels runs on cpu when the backend is wasm, and says so', async () => {
  await initBackend('wasm');
  const { logger, lines } = capturingLogger();
  const rt = await ModelRuntime.load(freezeSourceOf(readSavedModel(model('fft'))), { backend: 'wasm', logger, name: 'fft' });
  try {
    assert.equal(rt.backend, 'cpu');
    assert.ok(lines().some((l) => /wasm backend has no complex-number kernels \(.*RFFT.*\); running this model on the cpu backend/.test(l)));
    const out = await rt.run('serving_default', { x: { dtype: 'DT_FLOAT', shape: [1, 8], data: Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0) } });
    assert.deepEqual([...(out['magnitude']!.data as Float32Array)], [1, 1, 1, 1, 1]);
  } finally {
    rt.dispose();
  }
});

test('kernels wasm lacks (Einsum) run through the cpu kernels, and the load log says so', async () => {
  await initBackend('wasm');
  const { logger, lines } = capturingLogger();
  const rt = await ModelRuntime.load(freezeSourceOf(readSavedModel(model('ops_mix'))), { backend: 'wasm', logger, name: 'ops_mix' });
  try {
    assert.equal(rt.backend, 'wasm');
    assert.ok(lines().some((l) => /lacks kernels Einsum; they run on the cpu backend's kernels/.test(l)), lines().join('\n'));
    assert.deepEqual(
      [...rt.opsOf('serving_default')].filter((op) => ['BatchMatMulV3', 'ResourceGather', 'Softsign', 'Xlogy', 'FusedBatchNormV3'].includes(op)),
      ['BatchMatMulV3', 'FusedBatchNormV3', 'ResourceGather', 'Softsign', 'Xlogy'],
    );
  } finally {
    rt.dispose();
  }
});

test('TF1 tables read the asset from the model directory, not the path recorded at export', async () => {
  const meta = readSavedModel(model('tables_tf1'));
  const recorded = meta.assetFileDefs[0];
  assert.ok(recorded);
  assert.ok(!existsSync(join(FIXTURES, '_vocab', 'vocab.txt')), 'the export-time vocab path must be gone');
  assert.equal(recorded.path, join(model('tables_tf1'), 'assets', 'vocab.txt'));
});

test('a training signature updates live variables the way TensorFlow does (rust_regression)', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const oracle = JSON.parse(readFileSync(join(FIXTURES, 'rust_train_oracle.json'), 'utf8')) as {
    steps: { inputs: { x: number[]; y: number[] }; loss: number; w: number[]; b: number[] }[];
  };
  const s = await loadSavedModelServable('rust', 1, join(shared, 'savedmodels', 'rust_regression_savedmodel', '1'));
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-5 * Math.abs(b) + 1e-6;
  try {
    for (const step of oracle.steps) {
      const f = (v: number[]) => ({ dtype: 'DT_FLOAT' as const, shape: [v.length], data: Float32Array.from(v) });
      const r = await s.run('train', { x: f(step.inputs.x), y: f(step.inputs.y) });
      const loss = (r['loss']!.data as Float32Array)[0]!;
      const w = (await s.run('w', {}))['output']!.data as Float32Array;
      const b = (await s.run('b', {}))['output']!.data as Float32Array;
      assert.ok(close(loss, step.loss), `loss ${loss} vs ${step.loss}`);
      assert.ok(close(w[0]!, step.w[0]!), `w ${w[0]} vs ${step.w[0]}`);
      assert.ok(close(b[0]!, step.b[0]!), `b ${b[0]} vs ${step.b[0]}`);
    }
  } finally {
    await s.dispose();
  }
});

test('dense layers are fused into _FusedMatMul (bias and activation inside the kernel)', () => {
  const src = freezeSourceOf(readSavedModel(join(fixtures, 'models', 'my_model', '1')));
  const fused = freezeSavedModel(src, { modelId: 0, isExecutable: isExecutableOp });
  const plain = freezeSavedModel(src, { modelId: 0, isExecutable: isExecutableOp, fuse: false });
  const ops = (g: typeof fused.graph) => g.node.map((n) => n.op).filter((op) => op !== 'Const' && op !== 'Placeholder');
  assert.deepEqual(ops(plain.graph).filter((op) => op === 'MatMul').length, 3);
  assert.deepEqual(ops(fused.graph), ['_FusedMatMul', '_FusedMatMul', '_FusedMatMul']);
  // The fused graph keeps the fetched tensor names.
  assert.deepEqual(fused.signatures.get('serving_default')!.outputs, plain.signatures.get('serving_default')!.outputs);
});

test('partitioned variables: each part is frozen to its slice of the checkpoint tensor', () => {
  const dir = join(fixtures, 'zoo', 'models', 'tf1_partitioned_vars', '1');
  const frozen = freezeSavedModel(freezeSourceOf(readSavedModel(dir)), { modelId: 0, isExecutable: isExecutableOp });
  assert.deepEqual(frozen.errors, []);
  const bundle = TensorBundle.open(join(dir, 'variables', 'variables'));
  const parts: [string, string, number, number][] = [
    ['dense/w/part_0', 'dense/w', 0, 8],
    ['dense/w/part_2', 'dense/w', 16, 24],
    ['emb/part_1', 'emb', 300, 600],
    ['big/part_1', 'big', 8200, 16400],
  ];
  for (const [node, key, from, to] of parts) {
    const w = frozen.weights.get(node);
    assert.ok(w, `${node} is a weight`);
    assert.deepEqual(w.data, (bundle.read(key).data as Float32Array).slice(from, to), node);
    assert.match(frozen.weightSources.get(node) ?? '', new RegExp(`checkpoint key ${key} slice "\\d+ \\d+ \\d+,\\d+:\\d+,\\d+"`));
  }
});
