/**
 * `DrawBoundingBoxes` / `DrawBoundingBoxesV2` (tf.image.draw_bounding_boxes) on float32 images,
 * as TF's kernel (draw_bounding_boxes_op.cc) draws them: each box's edges are
 * trunc(coordinate · (size − 1)) in float32; an inverted box, or one wholly outside the image,
 * is skipped; each of the four one-pixel lines is drawn only when its own row or column is
 * inside the image, along the clamped extent of the other axis. Box k takes color k mod the
 * number of colors, from `colors` or (none given, and V1) TF's table of 10. Later boxes paint
 * over earlier ones. Checked against TF 2.21 in test/runtime/kernels/draw-boxes.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrType } from './util.js';

const DEFAULT_COLORS = [
  [1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1], [0.5, 0, 0.5, 1],
  [0.5, 0.5, 0, 1], [0.5, 0, 0, 1], [0, 0, 0.5, 1], [0, 1, 1, 1], [1, 0, 1, 1],
];

/** The edges of a box in pixels, or null when TF skips it. */
function edges(b: ArrayLike<number>, o: number, height: number, width: number): [number, number, number, number] | null {
  const px = (v: number, size: number): number => Math.trunc(Math.fround(v * (size - 1)));
  const [top, left, bottom, right] = [px(b[o]!, height), px(b[o + 1]!, width), px(b[o + 2]!, height), px(b[o + 3]!, width)];
  if (top > bottom || left > right) return null; // inverted
  if (top >= height || bottom < 0 || left >= width || right < 0) return null; // outside
  return [top, left, bottom, right];
}

function draw(node: GraphNode, v2: boolean): tf.Tensor {
  const t = attrType(node, 'T', 'DT_FLOAT');
  if (t !== 'DT_FLOAT') throw Errors.kernelUnsupported('DrawBoundingBoxes', `images of type ${t.replace(/^DT_/, '').toLowerCase()}`);
  const images = kernelInput(node, 0);
  const boxesT = kernelInput(node, 1);
  if (images.rank !== 4) throw Errors.kernelArgument(`The rank of the images should be 4`);
  const [batch, height, width, depth] = images.shape as [number, number, number, number];
  if (boxesT.rank !== 3 || boxesT.shape[0] !== batch || boxesT.shape[2] !== 4) {
    throw Errors.kernelArgument(`boxes must be [batch, num_boxes, 4], got [${boxesT.shape.join(',')}]`);
  }
  const colorsT = v2 ? kernelInput(node, 2) : undefined;
  const given = colorsT && colorsT.size > 0 ? colorsT : undefined;
  const colorLen = given ? given.shape[1]! : 4;
  if (given && (given.rank !== 2 || colorLen < depth)) throw Errors.kernelArgument(`colors must be [num_colors, >= ${depth}], got [${given.shape.join(',')}]`);
  const colorData = given ? (given.dataSync() as Float32Array) : undefined;
  const colors = colorData ? Array.from({ length: given!.shape[0]! }, (_, i) => Array.from(colorData.subarray(i * colorLen, (i + 1) * colorLen))) : DEFAULT_COLORS;
  const out = Float32Array.from(images.dataSync() as Float32Array);
  const boxes = boxesT.dataSync() as Float32Array;
  const nBoxes = boxesT.shape[1]!;
  const paint = (b: number, y: number, x: number, color: readonly number[]): void => {
    for (let c = 0; c < depth; c++) out[((b * height + y) * width + x) * depth + c] = color[c]!;
  };
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < nBoxes; k++) {
      const e = edges(boxes, (b * nBoxes + k) * 4, height, width);
      if (!e) continue;
      const [top, left, bottom, right] = e;
      const color = colors[k % colors.length]!;
      const [y0, y1, x0, x1] = [Math.max(top, 0), Math.min(bottom, height - 1), Math.max(left, 0), Math.min(right, width - 1)];
      for (let x = x0; x <= x1; x++) {
        if (top >= 0) paint(b, top, x, color);
        if (bottom < height) paint(b, bottom, x, color);
      }
      for (let y = y0; y <= y1; y++) {
        if (left >= 0) paint(b, y, left, color);
        if (right < width) paint(b, y, right, color);
      }
    }
  }
  return tf.tensor(out, images.shape, 'float32');
}

export const DRAW_BOXES_KERNELS: readonly KernelEntry[] = [
  { op: 'DrawBoundingBoxes', kernel: (node) => draw(node, false) },
  { op: 'DrawBoundingBoxesV2', kernel: (node) => draw(node, true) },
];
