/**
 * float16/bfloat16 never drift from TF (src/runtime/half-policy.ts): each op's result is
 * rounded to the type as TF rounds it, composite ops TF accumulates in the narrow type are
 * refused at load.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type ConcreteBackend } from '../../src/runtime/backend.js';
import { HALF_SIGMOID_OP, halfPlan, narrowUnaryOp } from '../../src/runtime/half-policy.js';
import { narrowSigmoid, narrowUnary, roundToNarrow } from '../../src/runtime/kernels/half.js';
import { floatToBfloat16, floatToHalf } from '../../src/tensor/tensor.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import { repoRoot } from '../helpers/paths.js';
import { mismatch, oracleFile } from './oracle-data.js';

const types = (t: Record<string, string>) => (a: string): string => t[a] ?? '';

test('float16/bfloat16 nodes: rounded, passed or refused', () => {
  assert.deepEqual(halfPlan('AddV2', types({ T: 'DT_HALF' })), { round: 'half' });
  assert.deepEqual(halfPlan('MatMul', types({ T: 'DT_BFLOAT16' })), { round: 'bfloat16' });
  assert.deepEqual(halfPlan('Cast', types({ SrcT: 'DT_FLOAT', DstT: 'DT_HALF' })), { round: 'half' });
  assert.equal(halfPlan('Cast', types({ SrcT: 'DT_HALF', DstT: 'DT_FLOAT' })), undefined);
  assert.equal(halfPlan('Reshape', types({ T: 'DT_HALF' })), undefined);
  assert.equal(halfPlan('AddV2', types({ T: 'DT_FLOAT' })), undefined);
  assert.deepEqual(halfPlan('Sum', types({ T: 'DT_HALF' })), { refuse: 'Sum on float16' });
  assert.deepEqual(halfPlan('Softmax', types({ T: 'DT_HALF' })), { refuse: 'Softmax on float16' });
  assert.deepEqual(halfPlan('Mean', types({ T: 'DT_BFLOAT16' })), { refuse: 'Mean on bfloat16' });
});

test('roundToNarrow rounds to nearest even, overflows to infinity', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  // np.float16([1 + 2**-11, 1 + 3 * 2**-11, 70000, 1e-8, -0.1]), bfloat16(1 + 2**-8)
  const h = roundToNarrow(tf.tensor1d([1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, 1e-8, -0.1]), 'half');
  assert.deepEqual(Array.from(h.dataSync()), [1, 1 + 2 ** -9, Infinity, 0, Math.fround(-0.0999755859375)]);
  assert.deepEqual(Array.from(roundToNarrow(tf.tensor1d([1 + 2 ** -8, 3]), 'bfloat16').dataSync()), [1, 3]);
});

for (const backend of ['wasm', 'cpu'] as ConcreteBackend[]) {
  test(`a Keras mixed_float16 model gives TF's float32 outputs (${backend})`, async () => {
    await initBackend('wasm');
    const zoo = join(repoRoot, 'fixtures', 'zoo');
    const lines = readFileSync(join(zoo, 'oracle.jsonl'), 'utf8').trim().split('\n').filter((l) => l.includes('"model": "k3_mixed_float16"'));
    const dir = mkdtempSync(join(tmpdir(), 'tfs-half-'));
    writeFileSync(join(dir, 'oracle.jsonl'), lines.join('\n'));
    const cases = oracleFile(join(dir, 'oracle.jsonl'), join(zoo, 'models'), 'fixtures/zoo/oracle.jsonl');
    rmSync(dir, { recursive: true, force: true });
    assert.equal(cases.length, 6);
    const s = await loadSavedModelServable('k3_mixed_float16', 1, cases[0]!.dir, { backend });
    try {
      for (const c of cases) {
        const out = await s.run(c.signature, c.inputs);
        for (const [alias, want] of Object.entries(c.outputs)) assert.equal(mismatch(out[alias], want), undefined, `${c.signature} ${alias}`);
      }
    } finally {
      await s.dispose();
    }
  });
}

test('float16/bfloat16 Sigmoid runs the narrow-type kernel; bfloat16 convs and float16 depthwise are refused', () => {
  assert.deepEqual(halfPlan('Sigmoid', types({ T: 'DT_HALF' })), { round: 'half', op: HALF_SIGMOID_OP });
  assert.deepEqual(halfPlan('Sigmoid', types({ T: 'DT_BFLOAT16' })), { round: 'bfloat16', op: HALF_SIGMOID_OP });
  assert.equal(halfPlan('Sigmoid', types({ T: 'DT_FLOAT' })), undefined);
  assert.deepEqual(halfPlan('Conv2D', types({ T: 'DT_BFLOAT16' })), { refuse: 'Conv2D on bfloat16' });
  assert.deepEqual(halfPlan('DepthwiseConv2dNative', types({ T: 'DT_BFLOAT16' })), { refuse: 'DepthwiseConv2dNative on bfloat16' });
  assert.deepEqual(halfPlan('BiasAdd', types({ T: 'DT_BFLOAT16' })), { refuse: 'BiasAdd on bfloat16' });
  assert.deepEqual(halfPlan('DepthwiseConv2dNative', types({ T: 'DT_HALF' })), { refuse: 'DepthwiseConv2dNative on float16' });
  assert.deepEqual(halfPlan('Conv2D', types({ T: 'DT_HALF' })), { round: 'half' });
  // TF's CPU Conv2D has no float16 NCHW kernel (it fails at run): refused at load.
  assert.deepEqual(halfPlan('Conv2D', types({ T: 'DT_HALF' }), 'NCHW'), { refuse: 'Conv2D on float16 with data_format NCHW' });
  assert.deepEqual(halfPlan('BiasAdd', types({ T: 'DT_HALF' })), { round: 'half' });
});

// [input, TF 2.21's result bits] (tf.sigmoid on CPU). The first six are inputs where float32
// sigmoid rounded once to the type gives the neighbouring value; -88 in bfloat16 is 0 in TF
// (exp flushed below FLT_MIN) where the rounded float32 sigmoid is 66 (6e-39).
const HALF_SIGMOID: [number, number][] = [[0.07293701171875, 14374], [-0.01342010498046875, 14323], [-1877 / 2 ** 22, 14335],
  [0.1676025390625, 14421], [697 / 2 ** 20, 14337], [-0.79833984375, 13560], [1, 14809], [-1, 13389], [0, 14336],
  [Infinity, 15360], [-Infinity, 0], [-17, 1]];
const BF16_SIGMOID: [number, number][] = [[0.2041015625, 16142], [-0.045166015625, 16123], [-0.0034332275390625, 16127],
  [0.3671875, 16152], [0.005035400390625, 16129], [-1.46875, 15935], [1, 16187], [-1, 16010], [0, 16128],
  [Infinity, 16256], [-Infinity, 0], [-88, 0]];

test('narrow Sigmoid gives TF\'s bits where float32 sigmoid rounded once does not', () => {
  for (const [x, bits] of HALF_SIGMOID) assert.equal(floatToHalf(narrowSigmoid(x, 'half')), bits, `float16 sigmoid(${x})`);
  for (const [x, bits] of BF16_SIGMOID) assert.equal(floatToBfloat16(narrowSigmoid(x, 'bfloat16')), bits, `bfloat16 sigmoid(${x})`);
  assert.ok(Number.isNaN(narrowSigmoid(NaN, 'half')));
});

// [input, TF 2.21's float16 result bits]: inputs where the float32 result rounded to float16
// (the rule before probe10) is one unit off (Softplus at 4.93 and -7.01: TF's thresholds
// are ±7.0078125; Elu: exp rounds to 1 first, so TF gives 0).
const HALF_UNARY: Record<string, [number, number][]> = {
  Softplus: [[0.00048828125, 14733], [4.93359375, 17649], [-7.01171875, 4962]],
  Softsign: [[0.00034546852111816406, 3497]],
  Elu: [[-5.960464477539063e-08, 0]],
  Selu: [[4.112720489501953e-06, 73]],
  Tanh: [[0.0283966064453125, 10053]],
  Log1p: [[26672.0, 18712]],
  Erf: [[0.0014820098876953125, 5849]],
};

test('narrow unary kernels give TF\'s float16/bfloat16 bits where the rounded float32 result does not', () => {
  for (const [op, cases] of Object.entries(HALF_UNARY)) {
    for (const [x, bits] of cases) assert.equal(floatToHalf(narrowUnary(op, x, 'half')), bits, `float16 ${op}(${x})`);
  }
  // bfloat16 Softplus: x above 2.84375 is x itself; 2.84375 is computed (TF 16441, x is 16438)
  assert.equal(floatToBfloat16(narrowUnary('Softplus', 2.859375, 'bfloat16')), 16439);
  assert.equal(floatToBfloat16(narrowUnary('Softplus', 2.84375, 'bfloat16')), 16441);
  assert.equal(floatToBfloat16(narrowUnary('Softplus', 0.00390625, 'bfloat16')), 16178);
  // a bfloat16 subnormal reads as zero (denormals off): tanh 0, Elu passes it through
  assert.equal(narrowUnary('Tanh', 2 ** -130, 'bfloat16'), 0);
  assert.equal(narrowUnary('Elu', -(2 ** -130), 'bfloat16'), -(2 ** -130));
  assert.deepEqual(halfPlan('Softplus', types({ T: 'DT_HALF' })), { round: 'half', op: narrowUnaryOp('Softplus') });
  assert.deepEqual(halfPlan('Reciprocal', types({ T: 'DT_BFLOAT16' })), { refuse: 'Reciprocal on bfloat16' });
  assert.deepEqual(halfPlan('Einsum', types({ T: 'DT_HALF' }), '', 'abc,cde->abde'), { round: 'half' });
  assert.deepEqual(halfPlan('Einsum', types({ T: 'DT_HALF' }), '', 'abc,cd->ad'), { refuse: 'Einsum on float16' });
});
