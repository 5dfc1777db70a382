/**
 * `CombinedNonMaxSuppression` (tf.image.combined_non_max_suppression, the detection-model
 * post-processing op) as TF's CPU kernel computes it (non_max_suppression_op.cc): per batch
 * and class, greedy hard NMS over the boxes scoring above `score_threshold` (float32 IoU as
 * kernels/nms.ts), at most min(max_output_size_per_class, num_boxes) per class; then every
 * class's selections sorted by score and the first `valid_detections` kept, boxes clipped to
 * [0, 1] with `clip_boxes`, padded with zeros. (Older TF sources sort the unfilled per-class
 * slots, score -1, in with them; TF 2.21 does not: all-negative scores below -1 checked.)
 *
 * TF orders equal scores with std::priority_queue and std::sort, neither stable, so where two
 * different candidates with the same score meet (inside a class, or among the kept results and
 * at the cut), the order TF picks is not defined by the inputs: such calls are refused
 * (UNIMPLEMENTED) rather than guessed. NaN box coordinates are refused too (TF's min/max and
 * JS's treat NaN differently).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool } from './util.js';
import { iou } from './nms.js';

const OP = 'CombinedNonMaxSuppression';
const f = Math.fround;

interface Result {
  score: number;
  cls: number;
  box: number[];
}

interface Args {
  /** One batch's boxes, [num_boxes, q, 4] flat. */
  boxes: Float32Array;
  /** One batch's scores, [num_boxes, num_classes] flat. */
  scores: Float32Array;
  numBoxes: number;
  q: number;
  numClasses: number;
  sizePerClass: number;
  iouThreshold: number;
  scoreThreshold: number;
}

const tie = (): Error => Errors.kernelUnsupported(OP, 'equal scores whose order TensorFlow leaves to an unstable sort');

/** TF's DoNMSPerClass for class `c`: the selected boxes, best first. */
function nmsPerClass(a: Args, c: number): Result[] {
  const cb = a.q > 1 ? c : 0;
  const cand: { i: number; s: number }[] = [];
  for (let i = 0; i < a.numBoxes; i++) {
    const s = a.scores[i * a.numClasses + c]!;
    if (s > a.scoreThreshold) cand.push({ i, s });
  }
  cand.sort((x, y) => y.s - x.s);
  const selected: number[] = [];
  const out: Result[] = [];
  for (let k = 0; k < cand.length && selected.length < a.sizePerClass; k++) {
    const { i, s } = cand[k]!;
    if (cand[k + 1]?.s === s || cand[k - 1]?.s === s) throw tie();
    const at = i * a.q + cb;
    if (selected.some((j) => iou(a.boxes, at, j * a.q + cb) > a.iouThreshold)) continue;
    selected.push(i);
    out.push({ score: s, cls: c, box: Array.from(a.boxes.subarray(4 * at, 4 * at + 4)) });
  }
  return out;
}

const same = (x: Result, y: Result): boolean => x.cls === y.cls && x.box.every((v, k) => Object.is(v, y.box[k]));

/** TF's SelectResultPerBatch: the kept results in order, and how many are valid. */
function selectPerBatch(a: Args, perBatch: number, total: number, padPerClass: boolean): { kept: Result[]; valid: number } {
  const real: Result[] = [];
  for (let c = 0; c < a.numClasses; c++) real.push(...nmsPerClass(a, c));
  const all = real.sort((x, y) => y.score - x.score);
  const valid = Math.min(real.length, padPerClass ? perBatch : total);
  // Equal scores of different results within the kept ones or across the cut: TF's order is undefined.
  for (let k = 0; k < valid; k++) {
    const next = all[k + 1];
    if (next && next.score === all[k]!.score && !same(next, all[k]!)) throw tie();
  }
  return { kept: all.slice(0, valid), valid };
}

const clip = (v: number): number => Math.max(Math.min(v, 1), 0);

function scalarInput(node: GraphNode, i: number, name: string): number {
  const t = kernelInput(node, i);
  if (t.rank !== 0) throw Errors.kernelArgument(`${name} must be 0-D, got shape [${t.shape.join(',')}]`);
  return (t.dataSync() as ArrayLike<number>)[0]!;
}

/** TF's argument checks, in its order; the sizes the kernel needs. */
function checked(node: GraphNode, boxesT: tf.Tensor, scoresT: tf.Tensor): { maxPerClass: number; total: number; iouT: number; scoreT: number } {
  if (boxesT.shape[0] !== scoresT.shape[0]) throw Errors.kernelArgument('boxes and scores must have same batch size');
  const maxPerClass = scalarInput(node, 2, 'max_size_per_class');
  if (!(maxPerClass > 0)) throw Errors.kernelArgument('max_size_per_class must be positive');
  const total = scalarInput(node, 3, 'max_total_size');
  if (!(total > 0)) throw Errors.kernelArgument('max_total_size must be > 0');
  const iouT = f(scalarInput(node, 4, 'iou_threshold'));
  const scoreT = f(scalarInput(node, 5, 'score_threshold'));
  if (!(iouT >= 0 && iouT <= 1)) throw Errors.kernelArgument('iou_threshold must be in [0, 1]');
  const numClasses = scoresT.shape[2] ?? 0;
  if (boxesT.rank !== 4) throw Errors.kernelArgument(`boxes must be 4-D[${boxesT.shape.join(',')}]`);
  if (boxesT.shape[2] !== 1 && boxesT.shape[2] !== numClasses) throw Errors.kernelArgument('third dimension of boxes must be either 1 or num classes');
  if (boxesT.shape[3] !== 4) throw Errors.kernelArgument('boxes must have 4 columns');
  if (scoresT.rank !== 3) throw Errors.kernelArgument(`scores must be 3-D[${scoresT.shape.join(',')}]`);
  if (scoresT.shape[1] !== boxesT.shape[1]) throw Errors.kernelArgument('scores has incompatible shape');
  return { maxPerClass, total, iouT, scoreT };
}

function combinedNms(node: GraphNode): tf.Tensor[] {
  const boxesT = kernelInput(node, 0);
  const scoresT = kernelInput(node, 1);
  const { maxPerClass, total, iouT, scoreT } = checked(node, boxesT, scoresT);
  const [batches, numBoxes, q] = boxesT.shape as [number, number, number];
  const numClasses = scoresT.shape[2]!;
  const boxes = Float32Array.from(boxesT.dataSync() as ArrayLike<number>);
  if (boxes.some(Number.isNaN)) throw Errors.kernelUnsupported(OP, 'NaN box coordinates');
  const scores = Float32Array.from(scoresT.dataSync() as ArrayLike<number>);
  const padPerClass = attrBool(node, 'pad_per_class', false);
  const clipBoxes = attrBool(node, 'clip_boxes', true);
  const perBatch = padPerClass ? Math.min(total, maxPerClass * numClasses) : total;
  const outBoxes = new Float32Array(batches * perBatch * 4);
  const outScores = new Float32Array(batches * perBatch);
  const outClasses = new Float32Array(batches * perBatch);
  const valid = new Int32Array(batches);
  for (let b = 0; b < batches; b++) {
    const a: Args = {
      boxes: boxes.subarray(b * numBoxes * q * 4, (b + 1) * numBoxes * q * 4),
      scores: scores.subarray(b * numBoxes * numClasses, (b + 1) * numBoxes * numClasses),
      numBoxes, q, numClasses, sizePerClass: Math.min(maxPerClass, numBoxes), iouThreshold: iouT, scoreThreshold: scoreT,
    };
    const r = selectPerBatch(a, perBatch, total, padPerClass);
    valid[b] = r.valid;
    r.kept.forEach((res, k) => {
      const at = b * perBatch + k;
      outBoxes.set(clipBoxes ? res.box.map(clip) : res.box, 4 * at);
      outScores[at] = res.score;
      outClasses[at] = res.cls;
    });
  }
  return [
    tf.tensor(outBoxes, [batches, perBatch, 4], 'float32'),
    tf.tensor(outScores, [batches, perBatch], 'float32'),
    tf.tensor(outClasses, [batches, perBatch], 'float32'),
    tf.tensor(valid, [batches], 'int32'),
  ];
}

export const COMBINED_NMS_KERNELS: readonly KernelEntry[] = [{ op: OP, kernel: (node) => combinedNms(node) }];
