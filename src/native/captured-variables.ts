/**
 * Variables that TensorFlow's graph loader leaves uncreated, and the checkpoint key each one
 * should hold.
 *
 * TF_LoadSessionFromSavedModel (like TensorFlow Serving's loader, and tf.compat.v1's) runs the
 * MetaGraph's restore op (`saver_def.restore_op_name`, fed `<dir>/variables/variables`) and its
 * init op, and nothing else. `tf.saved_model.save` of a Keras 3 model writes a graph in which
 * that is not enough: the restore op restores one VarHandleOp per variable (`Variable`,
 * `Variable_1`, ...), while the signature functions capture a second VarHandleOp per variable
 * (`sequential/dense/kernel`, ...) that no op of the graph restores or initializes. Every
 * signature then fails at run time with TensorFlow's "Could not find variable
 * sequential/dense/kernel" (tensorflow/serving#2226, #2250; keras-team/keras#19274):
 * tensorflow_model_server loads such a model and fails every Predict the same way.
 * `tf.saved_model.load` works because it ignores the graph's restore op: it rebuilds the
 * objects of the SavedObjectGraph, restores each from its checkpoint key, and binds each
 * function's captured inputs to those objects (SavedConcreteFunction.bound_inputs).
 *
 * {@link capturedRestores} finds the handles that second path would fill and the first does
 * not: the captured VarHandleOps of the outer graph's call nodes that no op the loader runs
 * reaches, each with the checkpoint key of the SavedObject bound to it (found by walking the
 * SavedObjectGraph and the checkpoint's TrackableObjectGraph together by child name, as
 * TensorFlow's object-graph loader matches them). The addon then restores exactly those with
 * TensorFlow's RestoreV2 (native/tfs_native.cc, RestoreCaptured). Models whose captured
 * handles are the ones the restore op writes (every other TF2 export) get an empty list.
 */
import type { LoadedSavedModel, MetaGraphDefObject, NodeDefObject, SavedObjectGraphObject } from '../savedmodel/saved-model.js';
import type { TrackableObjectGraph } from '../savedmodel/tensor-bundle.js';

/** One variable to restore after the load: the outer-graph VarHandleOp and its checkpoint key. */
export interface CapturedRestore {
  readonly handle: string;
  readonly key: string;
}

const CALL_OPS = new Set(['StatefulPartitionedCall', 'PartitionedCall']);

/** `^node`, `node:1` → `node`. */
const nodeName = (ref: string): string => (ref.startsWith('^') ? ref.slice(1) : ref).split(':')[0]!;

/** SavedObject id → the `VARIABLE_VALUE` checkpoint key of the matching checkpoint object. */
function checkpointKeys(saved: SavedObjectGraphObject, trackable: TrackableObjectGraph): Map<number, string> {
  const keys = new Map<number, string>();
  const visited = new Set<number>();
  // [saved id, trackable id]; both roots are node 0, children match by local_name.
  const todo: [number, number][] = [[0, 0]];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    const [sid, tid] = next;
    const s = saved.nodes[sid];
    const t = trackable.nodes[tid];
    if (s === undefined || t === undefined || visited.has(sid)) continue;
    visited.add(sid);
    const key = t.attributes.find((a) => a.name === 'VARIABLE_VALUE')?.checkpoint_key;
    if (key !== undefined && key !== '') keys.set(sid, key);
    const tChildren = new Map(t.children.map((c) => [c.local_name, c.node_id]));
    for (const c of s.children) {
      const tChild = tChildren.get(c.local_name ?? '');
      if (tChild !== undefined) todo.push([c.node_id ?? 0, tChild]);
    }
  }
  return keys;
}

/** The outer-graph nodes the loader runs: the restore op, the init / main ops, and all they depend on. */
function loaderReach(meta: MetaGraphDefObject, nodes: ReadonlyMap<string, NodeDefObject>): Set<string> {
  const roots: string[] = [];
  if (meta.saver_def?.restore_op_name) roots.push(meta.saver_def.restore_op_name);
  for (const c of ['saved_model_main_op', 'legacy_init_op']) roots.push(...(meta.collection_def[c]?.node_list?.value ?? []));
  for (const out of Object.values(meta.signature_def['__saved_model_init_op']?.outputs ?? {})) if (out.name) roots.push(out.name);
  const reached = new Set<string>();
  const todo = roots.map(nodeName);
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (reached.has(name)) continue;
    reached.add(name);
    for (const i of nodes.get(name)?.input ?? []) todo.push(nodeName(i));
  }
  return reached;
}

/**
 * The captured variables of `model`'s functions that TensorFlow's graph loader does not
 * restore, with the checkpoint key tf.saved_model.load would restore each from. Empty for
 * TF1 graphs and for every TF2 graph whose functions capture the variables its restore op writes.
 */
export function capturedRestores(model: LoadedSavedModel): CapturedRestore[] {
  const meta = model.metaGraph;
  const og = meta.object_graph_def;
  if (!og) return [];
  const nodes = new Map((meta.graph_def?.node ?? []).map((n) => [n.name ?? '', n]));
  const unrestored: [handle: string, objectId: number][] = [];
  let reached: Set<string> | undefined;
  for (const n of nodes.values()) {
    const bound = CALL_OPS.has(n.op ?? '') ? og.concrete_functions[n.attr?.['f']?.func?.name ?? '']?.bound_inputs : undefined;
    if (!bound || bound.length === 0) continue;
    // Captured inputs are the call's trailing data inputs, in bound_inputs order.
    const data = (n.input ?? []).filter((i) => !i.startsWith('^'));
    const first = data.length - bound.length;
    bound.forEach((objectId, k) => {
      const handle = data[first + k] === undefined ? undefined : nodeName(data[first + k]!);
      if (handle === undefined || nodes.get(handle)?.op !== 'VarHandleOp') return;
      reached ??= loaderReach(meta, nodes);
      if (!reached.has(handle) && !unrestored.some(([h]) => h === handle)) unrestored.push([handle, objectId]);
    });
  }
  if (unrestored.length === 0) return [];
  const bundle = model.openVariables();
  const trackable = bundle?.objectGraph();
  if (!bundle || !trackable) return [];
  const keys = checkpointKeys(og, trackable);
  const out: CapturedRestore[] = [];
  for (const [handle, objectId] of unrestored) {
    const key = keys.get(objectId);
    // A handle with no checkpoint value stays as TensorFlow leaves it (its signature fails as in TF).
    if (key !== undefined && bundle.has(key)) out.push({ handle, key });
  }
  return out;
}
