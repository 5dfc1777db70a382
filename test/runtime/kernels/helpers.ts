/**
 * Calling a family kernel directly: a node as tfjs-converter's executor passes it (inputs,
 * decoded attrs, and `node.rawAttrs` in the GraphDef JSON tfs writes: bytes as base64).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import type { KernelEntry } from '../../../src/runtime/kernels/types.js';
import type { AttrJson } from '../../../src/runtime/graph-json.js';

export const s = (text: string): AttrJson => ({ s: Buffer.from(text, 'utf8').toString('base64') });

export function run(table: readonly KernelEntry[], op: string, inputs: tf.Tensor[], raw: Record<string, AttrJson> = {}): tf.Tensor[] {
  const k = table.find((e) => e.op === op);
  if (!k) throw new Error(`no kernel ${op}`);
  const node = { inputs, attrs: {}, node: { rawAttrs: raw } } as unknown as GraphNode;
  const out = k.kernel(node) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out as tf.Tensor];
}

export const str = (vals: string[], shape: number[] = [vals.length]): tf.Tensor =>
  tf.tensor(vals.map((v) => new Uint8Array(Buffer.from(v, 'latin1'))), shape, 'string');
export const texts = (t: tf.Tensor): string[] =>
  (tf.engine().readSync(t.dataId) as Uint8Array[]).map((b) => Buffer.from(b).toString('latin1'));
export const utf8s = (t: tf.Tensor): string[] => (tf.engine().readSync(t.dataId) as Uint8Array[]).map((b) => Buffer.from(b).toString('utf8'));
export const values = (t: tf.Tensor): number[] => Array.from(t.dataSync() as ArrayLike<number>);
