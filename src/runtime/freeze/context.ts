/**
 * What an emitter sees of the freezer: its inputs, the state it accumulates (weights,
 * variables, tables, rebuilt functions) and the shared steps every emitter uses (resolving
 * references, control-dependency effects, custom-op nodes). `Freezer` (freezer.ts)
 * implements it; the op families (variables.ts, tables.ts, ...) only import this type, so
 * the emitter table can be imported by the freezer without an import circle.
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { AttrJson, FunctionJson } from '../graph-json.js';
import { FreezeError, type Builder, type Fn, type Node, type NodeResult, type Scope, type Value, type VarState } from './scope.js';
import type { FreezeOptions, FreezeSource, FrozenTable } from './types.js';

export interface FreezeContext {
  readonly src: FreezeSource;
  readonly opts: FreezeOptions;
  /** Variables (outer node names) that stay live in this pass. */
  readonly live: ReadonlySet<string>;
  /** Variable node → checkpoint key (bind.ts). */
  readonly varKeys: ReadonlyMap<string, string>;
  /** Variable node → RestoreV2 `shape_and_slices` (partitioned variables restore a slice of their key). */
  readonly varSlices: ReadonlyMap<string, string>;
  readonly fnByName: ReadonlyMap<string, Fn>;
  /** Whether the init op is being emitted (table initializers only run then). */
  readonly initMode: boolean;

  readonly weights: Map<string, Tensor>;
  readonly weightSources: Map<string, string>;
  readonly vars: Map<string, VarState>;
  readonly tables: Map<string, FrozenTable>;
  /** Names of variables written by some reachable op (they become live on the next pass). */
  readonly written: Set<string>;
  /** Rebuilt If/While branch functions. */
  readonly library: FunctionJson[];
  /** Flat node name → original TF op, for nodes tfs emits under another name. */
  readonly origin: Map<string, string>;

  emitNode(scope: Scope, name: string): NodeResult;
  /** Resolve an input reference in a scope to a Value (emitting what it needs). */
  emitRef(scope: Scope, ref: string): Value;
  /** A value used as a tensor input (variables are read). */
  /** `keepWide`: the reader is a wide kernel (or a fetch), so values with exact wide entries pass unchecked. */
  asTensor(scope: Scope, v: Value, what: string, deps?: string[], keepWide?: boolean): string;
  /** Refs whose tensors may carry exact wide values (wide-values.ts). */
  readonly wideRefs: Set<string> & { addNode(name: string): void };
  /** Effects of a node's control inputs (only the effectful ones are emitted). */
  ctrlEffects(scope: Scope, node: Node): string[];
  isEffectful(scope: Scope, name: string): boolean;
  fnHasEffects(fname: string): boolean;
  /** The library function a node calls (call ops, or an op named after a function). */
  calledFunction(node: Node): string | undefined;
  /** Ensure a Const node for weight `name` exists in `b` (registering the tensor once). */
  constRef(b: Builder, name: string, tensor?: Tensor): string;
  /** Add a tfs custom-op node (with the `_tfs_model` attr); returns its `name:0`. */
  custom(scope: Scope, baseName: string, op: string, inputs: string[], attr?: Record<string, AttrJson>): string;
  /** One ref standing for all `effects` (a `_TfsGroup` when there are several). */
  group(scope: Scope, base: string, effects: string[]): string | null;
  /** Node attrs as tfjs JSON, with TF's defaults for attrs stripped from the export. */
  convertAttrs(node: Node): Record<string, AttrJson>;
}

/** Emits one node of an op family into its scope's graph. */
export type Emitter = (fz: FreezeContext, scope: Scope, node: Node) => NodeResult;

/** One row of an op family's emitter table: the TF ops it handles and how. */
export interface EmitterEntry {
  readonly ops: readonly string[];
  readonly emit: Emitter;
}

/** `node <flat name> (<op>)`, how errors name a node. */
export const nodeWhat = (scope: Scope, node: Node): string => `node ${scope.prefix}${node.name} (${node.op})`;

/** A NodeResult with a single tensor output. */
export function tensorOut(what: string, ref: string, effect: string | null = null): NodeResult {
  return {
    out: (i) => {
      if (i !== 0) throw new FreezeError(`${what} has a single output, index ${i} was requested`);
      return { kind: 'tensor', ref };
    },
    effect,
  };
}
