/**
 * The freezer's public types: what it needs from a SavedModel ({@link FreezeSource}) and
 * what it returns ({@link FrozenModel}), plus the names of tfs's own custom ops it emits.
 */
import type { SignatureSpec } from '../../core/servable.js';
import type { DTypeName } from '../../tensor/dtypes.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { MetaGraphDefObject } from '../../savedmodel/proto-types.js';
import type { TrackableObjectGraph } from '../../savedmodel/tensor-bundle.js';
import type { GraphJson } from '../graph-json.js';

/** What the freezer needs from a loaded SavedModel (see source.ts for the adapter). */
export interface FreezeSource {
  /** The version directory (assets are under `<exportDir>/assets`). */
  readonly exportDir: string;
  /** The selected MetaGraphDef, protobufjs toObject form (graph-types.ts). */
  readonly metaGraph: MetaGraphDefObject;
  /** Whether the checkpoint holds `key`. */
  hasVariable(key: string): boolean;
  /**
   * A checkpoint tensor, or the slice of it that a RestoreV2 `shape_and_slices` element
   * names (`slice` empty or absent: the whole tensor); throws a TfsError when it cannot be read.
   */
  readVariable(key: string, slice?: string): Tensor;
  /** The checkpoint's TrackableObjectGraph (TF2 checkpoints), or null. */
  trackableObjectGraph(): TrackableObjectGraph | null;
  /** The serving signatures (the reader's SignatureSpecs; `__saved_model_init_op` excluded). */
  readonly signatures: ReadonlyMap<string, SignatureSpec>;
  /** Asset tensors the graph reads its file paths from, with the real path to feed. */
  readonly assets: readonly { readonly tensorName: string; readonly path: string }[];
}

/** tfs's internal custom ops emitted by the freezer (kernels in kernels/resources.ts and kernels/int64.ts). */
export const TFS_OPS = {
  varRead: '_TfsVarRead',
  varAssign: '_TfsVarAssign',
  varAssignAdd: '_TfsVarAssignAdd',
  varAssignSub: '_TfsVarAssignSub',
  applyGradientDescent: '_TfsApplyGradientDescent',
  after: '_TfsAfter',
  group: '_TfsGroup',
  tableFind: '_TfsTableFind',
  tableSize: '_TfsTableSize',
  tableInit: '_TfsTableInit',
  tableInitFromFile: '_TfsTableInitFromFile',
  int64Checked: '_TfsInt64Checked',
} as const;

/**
 * Integer ops that can overflow int32 when TF computes them in int64, by the code the
 * `_TfsInt64Checked` custom op dispatches on.
 */
export const INT64_CHECKED_OPS: ReadonlyMap<string, number> = new Map([
  ['Add', 1],
  ['AddV2', 1],
  ['Sub', 2],
  ['Mul', 3],
  ['Square', 4],
  ['Neg', 5],
  ['Abs', 6],
  ['Sum', 7],
  ['Prod', 8],
  ['Cumsum', 9],
  ['Pow', 10],
  ['AddN', 11],
]);

/** A variable the freezer met. */
export interface FrozenVariable {
  readonly index: number;
  /** Outer-graph node name (VarHandleOp / VariableV2). */
  readonly node: string;
  /** Checkpoint key, or undefined when the checkpoint has no value for it. */
  readonly key: string | undefined;
  /** The RestoreV2 `shape_and_slices` of a partitioned variable's part; undefined for a whole tensor. */
  readonly slice?: string | undefined;
  readonly dtype: DTypeName;
  readonly shape: readonly number[] | null;
}

export interface FrozenTable {
  readonly index: number;
  readonly node: string;
  readonly keyDtype: DTypeName;
  readonly valueDtype: DTypeName;
}

export interface FrozenInput {
  /** Flat graph tensor to feed (`node:index`). */
  readonly feed: string;
  /** The dtype of that graph tensor (what TF checks feeds against). */
  readonly graphDtype: DTypeName;
}

export interface FrozenSignature {
  readonly key: string;
  readonly inputs: Readonly<Record<string, FrozenInput>>;
  /** Output alias → flat graph tensor (`node:index`). */
  readonly outputs: Readonly<Record<string, string>>;
  /** TF op types the signature executes (after freezing), sorted. */
  readonly ops: readonly string[];
  /** Whether tfjs must run it with executeAsync (control flow, dynamic shapes). */
  readonly async: boolean;
  /** Whether it reads or writes live variables or tables (runs are then serialized). */
  readonly stateful: boolean;
}

export interface FrozenModel {
  readonly graph: GraphJson;
  /** Const weights by node name, in tfs Tensor form (converted for tfjs by weights.ts). */
  readonly weights: ReadonlyMap<string, Tensor>;
  /** What each weight is, for error messages (`variable dense/kernel (checkpoint key ...)`). */
  readonly weightSources: ReadonlyMap<string, string>;
  readonly signatures: ReadonlyMap<string, FrozenSignature>;
  /** Live (mutable) variables, by index. */
  readonly variables: readonly FrozenVariable[];
  readonly tables: readonly FrozenTable[];
  /** Flat tensors to evaluate once at load (init op effects); empty when none. */
  readonly initFetches: readonly string[];
  /** Whether the init fetches need executeAsync. */
  readonly initAsync: boolean;
  /** Problems that prevent serving: unsupported op → signatures (or "init op") needing it. */
  readonly unsupported: ReadonlyMap<string, ReadonlySet<string>>;
  /** Other fatal problems, per signature (`<sig>: <message>`). */
  readonly errors: readonly string[];
  /** Non-fatal notes for the load log (float64 computed as float32, ...). */
  readonly warnings: readonly string[];
}

export interface FreezeOptions {
  /** Value of the `_tfs_model` attr on stateful custom ops (the runtime's model id). */
  readonly modelId: number;
  /** Signature keys to freeze (default: every key except `__saved_model_init_op`). */
  readonly signatureKeys?: readonly string[];
  /** Ops the runtime can execute (tfjs ops + registered custom ops). */
  readonly isExecutable: (op: string) => boolean;
  /** Fuse MatMul/Conv + bias + activation chains (default true; see fuse.ts). */
  readonly fuse?: boolean;
}

/** Signature key TF2 uses for the init op (not a serving signature). */
export const INIT_OP_SIGNATURE_KEY = '__saved_model_init_op';
