/**
 * TypeScript shapes of the SavedModel protos in the plain-object form tfs hands out
 * (see {@link toPlainObject} and the contract in saved-model.ts):
 *
 * - field names as in the .proto files (snake_case);
 * - enums as their names (`'DT_FLOAT'`; a value our protos do not name stays a number);
 * - int64/uint64 as numbers when they are safe integers, as decimal strings otherwise
 *   (so no value is silently rounded; `Number(x)` and `BigInt(x)` both work);
 * - bytes as Uint8Array;
 * - repeated fields always present (possibly empty arrays), maps always present
 *   (possibly empty objects); other fields absent when they hold their default
 *   (proto3 `defaults: false`): **`0`, `''`, `false` and unset messages are omitted**, so
 *   read them as `x.field ?? 0`;
 * - each set oneof also gives its member's name under the oneof's name
 *   (`attr.value === 'type'`, `tensor_info.encoding === 'name'`, `saved_object.kind === 'variable'`).
 *
 * Only the fields of our protos/ transcription appear; unknown fields are dropped.
 */
import protobuf from 'protobufjs';
import type { DTypeName } from '../tensor/dtypes.js';

/** int64 fields: a number when exact, else the decimal string. */
export type Int64 = number | string;
/** DataType enum as its name (`'DT_FLOAT'`, `'DT_FLOAT_REF'`), or a number our protos do not name. */
export type DataTypeValue = DTypeName | `${DTypeName}_REF` | 'DT_INVALID' | string | number;

export interface TensorShapeProtoObject {
  dim: { size?: Int64; name?: string }[];
  unknown_rank?: boolean;
}

export interface TensorProtoObject {
  dtype?: DataTypeValue;
  tensor_shape?: TensorShapeProtoObject;
  version_number?: number;
  tensor_content?: Uint8Array;
  float_val: number[];
  double_val: number[];
  int_val: number[];
  string_val: Uint8Array[];
  scomplex_val: number[];
  int64_val: Int64[];
  bool_val: boolean[];
  dcomplex_val: number[];
  half_val: number[];
  resource_handle_val: Record<string, unknown>[];
  variant_val: Record<string, unknown>[];
  uint32_val: number[];
  uint64_val: Int64[];
}

export interface NameAttrListObject {
  name?: string;
  attr: Record<string, AttrValueObject>;
}

export interface AttrValueObject {
  /** Which member is set. */
  value?: 's' | 'i' | 'f' | 'b' | 'type' | 'shape' | 'tensor' | 'list' | 'func' | 'placeholder';
  s?: Uint8Array;
  i?: Int64;
  f?: number;
  b?: boolean;
  type?: DataTypeValue;
  shape?: TensorShapeProtoObject;
  tensor?: TensorProtoObject;
  list?: {
    s: Uint8Array[];
    i: Int64[];
    f: number[];
    b: boolean[];
    type: DataTypeValue[];
    shape: TensorShapeProtoObject[];
    tensor: TensorProtoObject[];
    func: NameAttrListObject[];
  };
  func?: NameAttrListObject;
  placeholder?: string;
}

export interface NodeDefObject {
  name?: string;
  op?: string;
  /** `node`, `node:2`, `^control_dep` (control inputs last); inside functions `node:out_arg:k`. */
  input: string[];
  device?: string;
  attr: Record<string, AttrValueObject>;
}

export interface ArgDefObject {
  name?: string;
  description?: string;
  type?: DataTypeValue;
  type_attr?: string;
  number_attr?: string;
  type_list_attr?: string;
  handle_data: { dtype?: DataTypeValue; shape?: TensorShapeProtoObject }[];
  is_ref?: boolean;
}

export interface OpDefObject {
  name?: string;
  input_arg: ArgDefObject[];
  output_arg: ArgDefObject[];
  control_output: string[];
  attr: { name?: string; type?: string; default_value?: AttrValueObject; has_minimum?: boolean; minimum?: Int64 }[];
  is_stateful?: boolean;
}

export interface FunctionDefObject {
  signature?: OpDefObject;
  attr: Record<string, AttrValueObject>;
  arg_attr: Record<string, { attr: Record<string, AttrValueObject> }>;
  resource_arg_unique_id: Record<string, number>;
  node_def: NodeDefObject[];
  /** Output arg name → internal tensor (`Identity:output:0`). */
  ret: Record<string, string>;
  control_ret: Record<string, string>;
}

export interface GraphDefObject {
  node: NodeDefObject[];
  versions?: { producer?: number; min_consumer?: number; bad_consumers: number[] };
  version?: number;
  library?: { function: FunctionDefObject[]; gradient: { function_name?: string; gradient_func?: string }[] };
}

export interface TensorInfoObject {
  encoding?: 'name' | 'coo_sparse' | 'composite_tensor';
  name?: string;
  coo_sparse?: { values_tensor_name?: string; indices_tensor_name?: string; dense_shape_tensor_name?: string };
  composite_tensor?: { type_spec?: Record<string, unknown>; components: TensorInfoObject[] };
  dtype?: DataTypeValue;
  tensor_shape?: TensorShapeProtoObject;
}

export interface SignatureDefObject {
  inputs: Record<string, TensorInfoObject>;
  outputs: Record<string, TensorInfoObject>;
  method_name?: string;
  defaults: Record<string, TensorProtoObject>;
}

export interface AssetFileDefObject {
  tensor_info?: TensorInfoObject;
  filename?: string;
}

export interface CollectionDefObject {
  kind?: 'node_list' | 'bytes_list' | 'int64_list' | 'float_list' | 'any_list';
  node_list?: { value: string[] };
  bytes_list?: { value: Uint8Array[] };
  int64_list?: { value: Int64[] };
  float_list?: { value: number[] };
  any_list?: { value: { type_url?: string; value?: Uint8Array }[] };
}

export interface ObjectReferenceObject {
  /** Absent for node 0 (proto3 default). */
  node_id?: number;
  local_name?: string;
}

export interface StructuredValueObject {
  kind?: string;
  [member: string]: unknown;
}

export interface SavedConcreteFunctionObject {
  /** SavedObject node ids of the captured inputs, in the order of the function's trailing args. */
  bound_inputs: number[];
  canonicalized_input_signature?: StructuredValueObject;
  output_signature?: StructuredValueObject;
}

export interface SavedObjectObject {
  children: ObjectReferenceObject[];
  dependencies: ObjectReferenceObject[];
  slot_variables: { original_variable_node_id?: number; slot_name?: string; slot_variable_node_id?: number }[];
  kind?:
    | 'user_object'
    | 'asset'
    | 'function'
    | 'variable'
    | 'bare_concrete_function'
    | 'constant'
    | 'resource'
    | 'captured_tensor';
  user_object?: { identifier?: string; version?: { producer?: number; min_consumer?: number }; metadata?: string };
  asset?: { asset_file_def_index?: number };
  function?: { concrete_functions: string[]; function_spec?: Record<string, unknown> };
  variable?: { dtype?: DataTypeValue; shape?: TensorShapeProtoObject; trainable?: boolean; name?: string; device?: string };
  bare_concrete_function?: {
    concrete_function_name?: string;
    argument_keywords: string[];
    allowed_positional_arguments?: Int64;
    function_spec?: Record<string, unknown>;
  };
  constant?: { operation?: string };
  resource?: { device?: string };
  captured_tensor?: { name?: string; concrete_function?: string };
  saveable_objects: Record<string, { save_function?: number; restore_function?: number }>;
  registered_name?: string;
  registered_saver?: string;
}

export interface SavedObjectGraphObject {
  /** Node id = position; 0 is the root. */
  nodes: SavedObjectObject[];
  concrete_functions: Record<string, SavedConcreteFunctionObject>;
}

export interface SaverDefObject {
  filename_tensor_name?: string;
  save_tensor_name?: string;
  restore_op_name?: string;
  max_to_keep?: number;
  sharded?: boolean;
  version?: 'LEGACY' | 'V1' | 'V2' | number;
}

export interface MetaGraphDefObject {
  meta_info_def?: {
    meta_graph_version?: string;
    stripped_op_list?: { op: OpDefObject[] };
    tags: string[];
    tensorflow_version?: string;
    tensorflow_git_version?: string;
    stripped_default_attrs?: boolean;
    function_aliases: Record<string, string>;
  };
  graph_def?: GraphDefObject;
  saver_def?: SaverDefObject;
  collection_def: Record<string, CollectionDefObject>;
  signature_def: Record<string, SignatureDefObject>;
  asset_file_def: AssetFileDefObject[];
  /** TF2 SavedModels only. */
  object_graph_def?: SavedObjectGraphObject;
}

const CONVERSION: protobuf.IConversionOptions = {
  // longs left unset: protobufjs keeps Long objects, which plainLongs() turns into exact values.
  enums: String,
  defaults: false,
  arrays: true,
  objects: true,
  oneofs: true,
};

/** protobufjs decodes int64 as long.js `Long` objects ({low, high, unsigned}). */
function isLong(v: object): v is { low: number; high: number; unsigned: boolean; toString(): string } {
  const l = v as { low?: unknown; high?: unknown; unsigned?: unknown };
  return typeof l.low === 'number' && typeof l.high === 'number' && typeof l.unsigned === 'boolean';
}

/** Replace Long values in a toObject tree by numbers (safe) or decimal strings (not safe), in place. */
function plainLongs(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return v;
  if (isLong(v)) {
    const s = v.toString();
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : s;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = plainLongs(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) o[k] = plainLongs(o[k]);
  return o;
}

/**
 * A decoded message as the plain object described in this module's comment (exact int64s,
 * enum names, Uint8Array bytes, arrays and maps always present, defaults omitted).
 */
export function toPlainObject<T = Record<string, unknown>>(type: protobuf.Type, message: protobuf.Message): T {
  return plainLongs(type.toObject(message, CONVERSION)) as T;
}
