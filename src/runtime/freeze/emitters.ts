/**
 * The op → emitter table. Each op family keeps its emitters in one `EmitterEntry[]` table
 * (variables.ts, tables.ts, control-flow.ts, basic.ts); they are listed here. Calls
 * (`StatefulPartitionedCall`, `PartitionedCall`, ops named after a library function) are
 * recognised by the called function, not by op name (calls.ts); ops in no table go
 * through the generic emitter. Handling a new op means adding one entry to one table.
 */
import { BASIC_EMITTERS, emitGeneric } from './basic.js';
import { emitCall } from './calls.js';
import type { Emitter, EmitterEntry, FreezeContext } from './context.js';
import { CONTROL_FLOW_EMITTERS } from './control-flow.js';
import { DIV_CONST_EMITTERS } from './div-const.js';
import type { Node, NodeResult, Scope } from './scope.js';
import { TABLE_EMITTERS } from './tables.js';
import { VARIABLE_EMITTERS } from './variables.js';

export const EMITTER_FAMILIES: ReadonlyArray<readonly EmitterEntry[]> = [
  BASIC_EMITTERS,
  VARIABLE_EMITTERS,
  TABLE_EMITTERS,
  CONTROL_FLOW_EMITTERS,
  DIV_CONST_EMITTERS,
];

function buildTable(): ReadonlyMap<string, Emitter> {
  const table = new Map<string, Emitter>();
  for (const entry of EMITTER_FAMILIES.flat()) {
    for (const op of entry.ops) {
      // An op in two families would make the order of this list matter: refuse it.
      if (table.has(op)) throw new Error(`freeze/emitters: op ${op} has two emitters`);
      table.set(op, entry.emit);
    }
  }
  return table;
}

/** TF op → its emitter. */
export const EMITTERS: ReadonlyMap<string, Emitter> = buildTable();

/** Emit `node` with the emitter its op (or the function it calls) selects. */
export function emitWithTable(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const fname = fz.calledFunction(node);
  if (fname) return emitCall(fz, scope, node, fname);
  return (EMITTERS.get(node.op) ?? emitGeneric)(fz, scope, node);
}
