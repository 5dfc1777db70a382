/**
 * CombinedNonMaxSuppression (src/runtime/kernels/combined-nms.ts) against TensorFlow 2.21's
 * outputs in test/runtime/fixtures/combined-nms-cases.json, written by
 *   /work/venv-tf/bin/python test/runtime/fixtures/combined_nms_cases.py
 * (tf.image.combined_non_max_suppression on random boxes with distinct scores: shared and
 * per-class boxes, pad_per_class, clip_boxes=False, all-negative scores (below -1, with unfilled
 * per-class slots), iou_threshold 1, and TF's argument errors).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Code, TfsError } from '../../../src/errors.js';
import { COMBINED_NMS_KERNELS } from '../../../src/runtime/kernels/combined-nms.js';
import { repoRoot } from '../../helpers/paths.js';
import { run as runIn, values } from './helpers.js';

interface Case {
  name: string;
  boxes: number[];
  bshape: number[];
  scores: number[];
  sshape: number[];
  /** max_output_size_per_class, max_total_size, iou_threshold, score_threshold (null: -inf), pad_per_class, clip_boxes */
  args: [number, number, number, number | null, boolean, boolean];
  error?: string;
  out_boxes: number[];
  out_scores: number[];
  out_classes: number[];
  valid: number[];
  shape: number[];
}
const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'combined-nms-cases.json'), 'utf8')) as Case[];

function nms(boxes: tf.Tensor, scores: tf.Tensor, args: Case['args']): tf.Tensor[] {
  const [mpc, mt, iou, st, pad, clip] = args;
  const inputs = [boxes, scores, tf.scalar(mpc, 'int32'), tf.scalar(mt, 'int32'), tf.scalar(iou), tf.scalar(st ?? -Infinity)];
  return runIn(COMBINED_NMS_KERNELS, 'CombinedNonMaxSuppression', inputs, { pad_per_class: { b: pad }, clip_boxes: { b: clip } });
}

for (const c of CASES) {
  test(`CombinedNonMaxSuppression as TF: ${c.name}`, () => {
    const run = (): tf.Tensor[] => nms(tf.tensor(c.boxes, c.bshape), tf.tensor(c.scores, c.sshape), c.args);
    if (c.error !== undefined) {
      assert.throws(run, (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && e.message === c.error);
      return;
    }
    const [b, sc, cl, v] = run();
    assert.deepEqual(b!.shape, c.shape);
    assert.deepEqual(values(v!), c.valid);
    assert.deepEqual(values(cl!), c.out_classes);
    assert.deepEqual(values(sc!), c.out_scores);
    assert.deepEqual(values(b!), c.out_boxes);
  });
}

test('CombinedNonMaxSuppression refuses equal scores whose order TF leaves to an unstable sort', () => {
  const boxes = tf.tensor([0, 0, 0.1, 0.1, 0.5, 0.5, 0.6, 0.6, 0.2, 0.2, 0.3, 0.3], [1, 3, 1, 4]);
  const tie = (scores: number[], args: Case['args']): tf.Tensor[] => nms(boxes, tf.tensor(scores, [1, 3, 1]), args);
  const unstable = (e: unknown): boolean => e instanceof TfsError && e.code === Code.UNIMPLEMENTED && /equal scores/.test(e.message);
  // two boxes with score 0.5 in one class, one of them must be picked first
  assert.throws(() => tie([0.9, 0.5, 0.5], [3, 3, 0.5, null, false, true]), unstable);
  // equal scores across classes among the kept results
  const two = nms(boxes, tf.tensor([0.9, 0.4, 0.5, 0.3, 0.2, 0.1], [1, 3, 2]), [1, 2, 0.5, null, false, true]);
  assert.deepEqual(values(two[1]!), [0.9, 0.4].map(Math.fround));
  assert.deepEqual(values(two[2]!), [0, 1]);
  assert.throws(() => nms(boxes, tf.tensor([0.5, 0.5, 0.4, 0.3, 0.2, 0.1], [1, 3, 2]), [1, 2, 0.5, null, false, true]), unstable);
  // a tie below what is picked does not matter: max_output_size_per_class 1 stops before it
  const r = tie([0.9, 0.5, 0.5], [1, 1, 0.5, null, false, true]);
  assert.deepEqual(values(r[1]!), [Math.fround(0.9)]);
  assert.deepEqual(values(r[3]!), [1]);
});
