/**
 * The freezer's internal structures: normalized nodes and functions, the values a
 * reference resolves to (tensor, variable, table), the graph being built, and the scope
 * (outer graph or function body) a node is emitted in.
 */
import type { ArgDefObject, AttrValueObject, FunctionDefObject, NodeDefObject } from '../../savedmodel/proto-types.js';
import type { NodeJson } from '../graph-json.js';
import type { FrozenTable, FrozenVariable } from './types.js';

/** A NodeDef with its always-needed fields filled in (the reader omits proto3 defaults). */
export interface Node {
  readonly name: string;
  readonly op: string;
  readonly input: readonly string[];
  readonly attr: Readonly<Record<string, AttrValueObject>>;
}

export interface Arg {
  readonly name: string;
  readonly type: string | undefined;
}

/** A FunctionDef, normalized like {@link Node}. */
export interface Fn {
  readonly signature: { readonly name: string; readonly input_arg: readonly Arg[]; readonly output_arg: readonly Arg[] };
  readonly node_def: readonly Node[];
  readonly ret: Readonly<Record<string, string>>;
  /** Per input arg (by index): attrs such as `_output_shapes`, the arg's static shape. */
  readonly arg_attr?: FunctionDefObject['arg_attr'];
}

export const normNode = (n: NodeDefObject): Node => ({ name: n.name ?? '', op: n.op ?? '', input: n.input ?? [], attr: n.attr ?? {} });
export const normArg = (a: ArgDefObject): Arg => ({ name: a.name ?? '', type: a.type === undefined ? undefined : String(a.type) });
export const normFn = (f: FunctionDefObject): Fn => ({
  signature: {
    name: f.signature?.name ?? '',
    input_arg: (f.signature?.input_arg ?? []).map(normArg),
    output_arg: (f.signature?.output_arg ?? []).map(normArg),
  },
  node_def: (f.node_def ?? []).map(normNode),
  ret: f.ret ?? {},
  arg_attr: f.arg_attr,
});

export type Value =
  | { readonly kind: 'tensor'; readonly ref: string }
  | { readonly kind: 'var'; readonly v: VarState }
  | { readonly kind: 'table'; readonly t: FrozenTable }
  | { readonly kind: 'none' };

export interface VarState extends FrozenVariable {
  weightName: string;
}

export interface NodeResult {
  out(i: number): Value;
  /** A flat tensor that exists only once this node's side effects happened, or null. */
  readonly effect: string | null;
}

export class Builder {
  readonly nodes: NodeJson[] = [];
  readonly names = new Set<string>();
  /** Weight consts already present in this builder (function bodies need their own Const nodes). */
  readonly consts = new Set<string>();

  unique(name: string): string {
    let n = name;
    for (let k = 1; this.names.has(n); k++) n = `${name}/_${k}`;
    this.names.add(n);
    return n;
  }

  add(node: NodeJson): void {
    this.nodes.push(node);
  }
}

export interface Scope {
  readonly prefix: string;
  readonly nodes: Map<string, Node>;
  readonly fn: Fn | undefined;
  readonly args: Map<string, Value>;
  readonly memo: Map<string, NodeResult>;
  readonly out: Builder;
  /** Outer-graph tensor overrides (asset paths, non-placeholder feeds): `node:i` → value. */
  readonly overrides: Map<string, Value>;
  /** Call stack of function names, to refuse recursion. */
  readonly stack: readonly string[];
}

export const isCtrl = (s: string): boolean => s.startsWith('^');
export const dataInputs = (n: Node): string[] => (n.input ?? []).filter((i) => !isCtrl(i));
export const ctrlInputs = (n: Node): string[] => (n.input ?? []).filter(isCtrl).map((i) => i.slice(1));

/** A model problem the freezer records (per signature) instead of throwing to the caller. */
export class FreezeError extends Error {}
