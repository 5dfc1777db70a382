/**
 * A tensor's static channel count (its last dimension) where the SavedModel records it: a
 * function argument's `_output_shapes` arg attr (Keras layer functions), a node's
 * `_output_shapes`, or a `Placeholder`'s `shape`. Used where an op's meaning depends on it
 * (a grouped `Conv2D`: input depth a multiple of the filter's).
 */
import type { AttrValueObject, TensorShapeProtoObject } from '../../savedmodel/proto-types.js';
import type { Scope } from './scope.js';

function dimAt(shape: TensorShapeProtoObject | undefined, axis: number): number | undefined {
  if (!shape || shape.unknown_rank || shape.dim.length === 0) return undefined;
  const d = Number(shape.dim.at(axis)?.size ?? -1);
  return d > 0 ? d : undefined;
}

const shapeAt = (a: AttrValueObject | undefined, i: number): TensorShapeProtoObject | undefined => a?.list?.shape?.[i];

/**
 * Dimension `axis` (negative: from the end; default the last) of the tensor `ref` (a data
 * input of a node in `scope`), when it is recorded.
 */
export function staticLastDim(scope: Scope, ref: string, axis = -1): number | undefined {
  const lastDim = (shape: TensorShapeProtoObject | undefined): number | undefined => dimAt(shape, axis);
  const argIndex = scope.fn?.signature.input_arg.findIndex((a) => a.name === ref) ?? -1;
  if (argIndex >= 0) return lastDim(shapeAt(scope.fn?.arg_attr?.[String(argIndex)]?.attr['_output_shapes'], 0));
  const parts = ref.split(':');
  const node = scope.nodes.get(parts[0]!);
  if (!node) return undefined;
  if (node.op === 'Placeholder') return lastDim(node.attr['shape']?.shape);
  // Only single-output nodes: a function body's `node:out_arg:k` does not give a flat index.
  const shapes = node.attr['_output_shapes']?.list?.shape;
  return shapes?.length === 1 ? lastDim(shapes[0]) : undefined;
}
