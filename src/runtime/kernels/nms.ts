/**
 * `NonMaxSuppressionV5` (`tf.image.non_max_suppression_with_scores`, and `_padded` with a
 * soft_nms_sigma) as TF's CPU kernel computes it. tfjs's version hard-suppresses a box whose IoU
 * with a selected one reaches `iou_threshold` even in soft-NMS mode; TF ignores the threshold when
 * `soft_nms_sigma > 0` and only decays scores by exp(−IoU² / (2σ)), so tfjs selected other boxes
 * (a wrong answer, probe4 `r_images:nms`). Float32 steps as TF's: IoU, the decay, the priority
 * queue (higher score first, a tie to the lower index) and a candidate re-queued when its score
 * changed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, numbersOf } from './util.js';

export const NMS_V5_OP = '_TfsNonMaxSuppressionV5';
const f = Math.fround;

/** TF's IOU of boxes i and j (corners in either order; an empty box has IoU 0). */
export function iou(b: Float32Array, i: number, j: number): number {
  const [ya, xa, yb, xb] = [b[4 * i]!, b[4 * i + 1]!, b[4 * i + 2]!, b[4 * i + 3]!];
  const [yc, xc, yd, xd] = [b[4 * j]!, b[4 * j + 1]!, b[4 * j + 2]!, b[4 * j + 3]!];
  const [y0i, y1i, x0i, x1i] = [Math.min(ya, yb), Math.max(ya, yb), Math.min(xa, xb), Math.max(xa, xb)];
  const [y0j, y1j, x0j, x1j] = [Math.min(yc, yd), Math.max(yc, yd), Math.min(xc, xd), Math.max(xc, xd)];
  const areaI = f(f(y1i - y0i) * f(x1i - x0i));
  const areaJ = f(f(y1j - y0j) * f(x1j - x0j));
  if (areaI <= 0 || areaJ <= 0) return 0;
  const ih = Math.max(f(Math.min(y1i, y1j) - Math.max(y0i, y0j)), 0);
  const iw = Math.max(f(Math.min(x1i, x1j) - Math.max(x0i, x0j)), 0);
  const inter = f(ih * iw);
  return f(inter / f(f(areaI + areaJ) - inter));
}

interface Candidate {
  box: number;
  score: number;
  begin: number;
}

/** Pops the best candidate: the highest score, a tie to the lower box index (TF's comparator). */
function popBest(queue: Candidate[]): Candidate {
  let best = 0;
  for (let k = 1; k < queue.length; k++) {
    const c = queue[k]!;
    const b = queue[best]!;
    if (c.score > b.score || (c.score === b.score && c.box < b.box)) best = k;
  }
  return queue.splice(best, 1)[0]!;
}

interface NmsArgs {
  boxes: Float32Array;
  scores: number[];
  maxOut: number;
  iouThreshold: number;
  scoreThreshold: number;
  sigma: number;
}

/** TF's DoNonMaxSuppressionOp loop: selected box indices and their (decayed) scores. */
export function nonMaxSuppression(a: NmsArgs): { indices: number[]; scores: number[] } {
  const soft = a.sigma > 0;
  const scale = soft ? f(-0.5 / a.sigma) : 0;
  const weight = (sim: number): number => (soft || sim <= a.iouThreshold ? f(Math.exp(f(f(scale * sim) * sim))) : 0);
  const queue: Candidate[] = [];
  a.scores.forEach((s, i) => {
    if (s > a.scoreThreshold) queue.push({ box: i, score: s, begin: 0 });
  });
  const indices: number[] = [];
  const scores: number[] = [];
  const size = Math.min(a.maxOut, a.scores.length);
  while (indices.length < size && queue.length > 0) {
    const c = popBest(queue);
    const original = c.score;
    let hard = false;
    for (let j = indices.length - 1; j >= c.begin; j--) {
      const sim = iou(a.boxes, c.box, indices[j]!);
      c.score = f(c.score * weight(sim));
      if (!soft && sim > a.iouThreshold) {
        hard = true;
        break;
      }
      if (c.score <= a.scoreThreshold) break;
    }
    c.begin = indices.length;
    if (hard) continue;
    if (c.score === original) {
      indices.push(c.box);
      scores.push(c.score);
    } else if (c.score > a.scoreThreshold) queue.push(c);
  }
  return { indices, scores };
}

function scalarOf(node: GraphNode, i: number): number {
  return f(numbersOf(kernelInput(node, i))[0] ?? NaN);
}

function nmsV5(node: GraphNode): tf.Tensor[] {
  const boxesT = kernelInput(node, 0);
  const scoresT = kernelInput(node, 1);
  if (boxesT.rank !== 2 || boxesT.shape[1] !== 4) throw Errors.kernelArgument(`boxes must be 2-D with 4 columns: [${boxesT.shape.join(',')}]`);
  if (scoresT.rank !== 1 || scoresT.shape[0] !== boxesT.shape[0]) throw Errors.kernelArgument('scores has incompatible shape');
  const maxOut = Math.trunc(numbersOf(kernelInput(node, 2))[0] ?? 0);
  const iouThreshold = scalarOf(node, 3);
  const sigma = scalarOf(node, 5);
  if (maxOut < 0) throw Errors.kernelArgument('max_output_size must be non-negative');
  if (!(iouThreshold >= 0 && iouThreshold <= 1)) throw Errors.kernelArgument('iou_threshold must be in [0, 1]');
  if (!(sigma >= 0)) throw Errors.kernelArgument('soft_nms_sigma must be non-negative');
  const r = nonMaxSuppression({
    boxes: Float32Array.from(boxesT.dataSync() as ArrayLike<number>),
    scores: numbersOf(scoresT).map(f),
    maxOut,
    iouThreshold,
    scoreThreshold: scalarOf(node, 4),
    sigma,
  });
  const valid = r.indices.length;
  const n = attrBool(node, 'pad_to_max_output_size', false) ? Math.max(maxOut, valid) : valid;
  const pad = (v: number[]): number[] => [...v, ...new Array<number>(n - valid).fill(0)];
  return [tf.tensor1d(pad(r.indices), 'int32'), tf.tensor1d(pad(r.scores), 'float32'), tf.scalar(valid, 'int32')];
}

export const NMS_KERNELS: readonly KernelEntry[] = [{ op: NMS_V5_OP, kernel: (node) => nmsV5(node) }];
