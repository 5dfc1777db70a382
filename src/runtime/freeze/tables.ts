/**
 * Hash tables. Tables become per-model tables of the runtime, filled by running the
 * model's init op once at load (their initializers are only emitted then); lookups and
 * sizes become tfs custom ops.
 */
import { wideKindOf } from '../wide-values.js';
import { dtypeInfo } from '../../tensor/dtypes.js';
import type { FrozenTable } from './types.js';
import { TABLE_INIT_OPS } from '../op-registry.js';
import { nodeWhat, tensorOut, type EmitterEntry, type FreezeContext } from './context.js';
import { dataInputs, FreezeError, type Node, type NodeResult, type Scope } from './scope.js';
import { TFS_OPS } from './types.js';

function tableOf(fz: FreezeContext, node: Node): FrozenTable {
  const id = `${node.op}:${node.name}`;
  let t = fz.tables.get(id);
  if (t) return t;
  const kd = dtypeInfo(node.attr?.['key_dtype']?.type ?? 'DT_STRING')?.name ?? 'DT_STRING';
  const vd = dtypeInfo(node.attr?.['value_dtype']?.type ?? 'DT_INT64')?.name ?? 'DT_INT64';
  t = { index: fz.tables.size, node: node.name, keyDtype: kd, valueDtype: vd };
  fz.tables.set(id, t);
  return t;
}

function inputTable(fz: FreezeContext, scope: Scope, node: Node, ref: string | undefined): FrozenTable {
  const table = fz.emitRef(scope, ref ?? '');
  if (table.kind !== 'table') throw new FreezeError(`${nodeWhat(scope, node)}: input is not a hash table`);
  return table.t;
}

function emitTable(fz: FreezeContext, _scope: Scope, node: Node): NodeResult {
  const t = tableOf(fz, node);
  return { out: () => ({ kind: 'table', t }), effect: null };
}

function emitLookup(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const what = nodeWhat(scope, node);
  const ins = dataInputs(node);
  const table = inputTable(fz, scope, node, ins[0]);
  const deps = fz.ctrlEffects(scope, node);
  const isFind = node.op.startsWith('LookupTableFind');
  // Table kernels read int64/uint64/float64 keys and values exactly (kernels/resources.ts).
  const args = isFind ? ins.slice(1, 3).map((i) => fz.asTensor(scope, fz.emitRef(scope, i), what, [], true)) : [];
  const ref = fz.custom(scope, node.name, isFind ? TFS_OPS.tableFind : TFS_OPS.tableSize, [...args, ...deps], {
    _tfs_res: { i: table.index },
  });
  fz.origin.set(ref.replace(/:0$/, ''), node.op);
  if (isFind && wideKindOf(table.valueDtype) !== undefined) fz.wideRefs.add(ref);
  return tensorOut(what, ref);
}

function emitTableInit(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const what = nodeWhat(scope, node);
  if (!fz.initMode) return { out: () => ({ kind: 'none' }), effect: null };
  const ins = dataInputs(node);
  const table = inputTable(fz, scope, node, ins[0]);
  const deps = fz.ctrlEffects(scope, node);
  const args = ins.slice(1).map((i) => fz.asTensor(scope, fz.emitRef(scope, i), what, [], true));
  let ref: string;
  if (node.op.startsWith('InitializeTableFromTextFile')) {
    const a = node.attr ?? {};
    const delim = a['delimiter']?.s ? new TextDecoder().decode(a['delimiter'].s) : '\t';
    ref = fz.custom(scope, node.name, TFS_OPS.tableInitFromFile, [...args, ...deps], {
      _tfs_res: { i: table.index },
      key_index: { i: Number(a['key_index']?.i ?? 0) },
      value_index: { i: Number(a['value_index']?.i ?? 0) },
      vocab_size: { i: Number(a['vocab_size']?.i ?? -1) },
      offset: { i: Number(a['offset']?.i ?? 0) },
      // Code points, not a string attr: tfjs lower-cases string attrs of custom ops.
      _tfs_delimiter: { list: { i: [...delim].map((c) => c.codePointAt(0) ?? 9) } },
    });
  } else {
    ref = fz.custom(scope, node.name, TFS_OPS.tableInit, [...args, ...deps], { _tfs_res: { i: table.index } });
  }
  fz.origin.set(ref.replace(/:0$/, ''), node.op);
  return { out: () => ({ kind: 'none' }), effect: ref };
}

export const TABLE_EMITTERS: readonly EmitterEntry[] = [
  { ops: ['HashTableV2', 'HashTable', 'MutableHashTableV2', 'MutableHashTable'], emit: emitTable },
  { ops: ['LookupTableFindV2', 'LookupTableFind', 'LookupTableSizeV2', 'LookupTableSize'], emit: emitLookup },
  { ops: [...TABLE_INIT_OPS], emit: emitTableInit },
];
