/**
 * `tfs inspect`: what `saved_model_cli show` prints, from our own reader (no TensorFlow).
 *
 * Text output mirrors saved_model_cli (TF 2.21) line for line:
 * - `--all` (the default): every MetaGraphDef sorted by tag list, each SignatureDef sorted
 *   by key (`__saved_model_init_op` included, as saved_model_cli shows it) with its inputs
 *   and outputs (dtype, shape as a tuple or `unknown_rank`, tensor name) and method name,
 *   the op types the graph uses, then for TF2 models the "Concrete Functions" section;
 * - `--tag_set T` alone: the SignatureDef keys of that MetaGraphDef;
 * - `--tag_set T --signature_def S` (or `--signature_def S`, tag set `serve`): one signature.
 *
 * Known differences from saved_model_cli, all deliberate:
 * - the op set is printed sorted (Python prints a `set`, whose order changes from run to run);
 * - Concrete Functions are listed from the SavedObjectGraph instead of by loading the model
 *   in Python, so models that saved_model_cli cannot load (it prints `N/A (could not be
 *   listed due to unknown reasons)`, e.g. Keras 2 models under TF 2.21) are listed too.
 *
 * Pointed at a model base path (no saved_model.pb, numeric version subdirectories), it
 * lists the versions and then shows the latest one.
 */
import { join } from 'node:path';
import { Errors } from '../errors.js';
import type {
  MetaGraphDefObject,
  NodeDefObject,
  SavedObjectGraphObject,
  SignatureDefObject,
  StructuredValueObject,
  TensorInfoObject,
  TensorShapeProtoObject,
} from './proto-types.js';
import { type SavedModelFile, isSavedModelDir, listVersionDirs, readSavedModelFile } from './saved-model.js';
import { shapeFromProto } from './tensor-proto.js';
import { dtypeInfo } from '../tensor/dtypes.js';

/** What to show; mirrors saved_model_cli's flags. */
export interface InspectOptions {
  /** Comma-separated tag set (`serve`, `serve,gpu`). */
  readonly tagSet?: string;
  /** One SignatureDef key; implies tag set `serve` when `tagSet` is not given. */
  readonly signatureDef?: string;
}

/** One input or output in the JSON report. */
export interface InspectTensorInfo {
  readonly dtype: string;
  /** Dims (-1 unknown), or null for unknown rank. */
  readonly shape: number[] | null;
  readonly name: string;
}

export interface InspectSignature {
  readonly key: string;
  readonly methodName: string;
  readonly inputs: Record<string, InspectTensorInfo>;
  readonly outputs: Record<string, InspectTensorInfo>;
}

export interface InspectArgument {
  /** `tensor_spec`, `list`, `tuple`, `dict`, or a Python-like scalar type (`bool`, `NoneType`...). */
  readonly kind: string;
  /** As saved_model_cli prints it (`x: TensorSpec(shape=(None, 1), dtype=tf.float32, name='x')`). */
  readonly text: string;
}

export interface InspectConcreteFunction {
  readonly name: string;
  readonly options: { readonly concreteFunction: string; readonly args: InspectArgument[]; readonly kwargs: string[] }[];
}

export interface InspectMetaGraph {
  readonly tags: string[];
  readonly tensorflowVersion: string;
  readonly signatures: InspectSignature[];
  /** Op types used by the graph and the functions it calls (sorted). */
  readonly ops: string[];
}

/** The `--json` document (schemas/cli/inspect.schema.json). */
export interface InspectReport {
  /** The path given. */
  readonly path: string;
  /** Present when `path` is a model base path: its versions, ascending. */
  readonly versions?: number[];
  /** Present when `path` is a model base path: the version shown (the latest). */
  readonly version?: number;
  /** The SavedModel directory shown. */
  readonly dir: string;
  readonly file: string;
  readonly format: 'pb' | 'pbtxt';
  readonly metaGraphs: InspectMetaGraph[];
  /** TF2 models: the callable functions of the root object; null for TF1 graphs. */
  readonly concreteFunctions: InspectConcreteFunction[] | null;
}

// ---------------------------------------------------------------------------------------
// Reading

interface Target {
  path: string;
  dir: string;
  versions?: number[];
  version?: number;
}

/** Resolve a path to a SavedModel dir: itself, or the latest version under a base path. */
function resolveTarget(path: string): Target {
  if (isSavedModelDir(path)) return { path, dir: path };
  let versions: { version: number; path: string }[] = [];
  try {
    versions = listVersionDirs(path);
  } catch {
    /* not a directory: fall through to the SavedModel reader's own error */
  }
  const latest = versions[versions.length - 1];
  if (!latest) return { path, dir: path };
  return { path, dir: latest.path, versions: versions.map((v) => v.version), version: latest.version };
}

function tagList(mg: MetaGraphDefObject): string[] {
  return mg.meta_info_def?.tags ?? [];
}

/** Python's list ordering, which saved_model_cli sorts meta graphs by. */
function compareLists(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

function parseTagSet(tagSet: string): string[] {
  const tags = tagSet
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (tags.length === 0) throw Errors.emptyTagSet();
  return tags;
}

function selectMetaGraph(file: SavedModelFile, tagSet: string): MetaGraphDefObject {
  const want = new Set(parseTagSet(tagSet));
  const mg = file.metaGraphs.find((m) => {
    const have = new Set(tagList(m));
    return have.size === want.size && [...want].every((t) => have.has(t));
  });
  if (!mg) {
    const err = Errors.metaGraphNotFound([...want]);
    const available = file.metaGraphs.map((m) => `'${tagList(m).join(', ')}'`).join(', ');
    throw err.withHint(`${file.file} has the tag sets: ${available || '(none)'}`);
  }
  return mg;
}

function signatureOf(mg: MetaGraphDefObject, key: string, file: string): SignatureDefObject {
  const sig = mg.signature_def[key];
  if (!sig) {
    throw Errors.signatureDefKeyNotFound(key, tagList(mg), file, Object.keys(mg.signature_def).sort());
  }
  return sig;
}

// ---------------------------------------------------------------------------------------
// Formatting helpers

function dtypeName(info: TensorInfoObject): string {
  const d = info.dtype;
  return d === undefined ? 'DT_INVALID' : String(d);
}

function shapeText(shape: TensorShapeProtoObject | undefined): string {
  const dims = shapeFromProto(shape);
  return dims === null ? 'unknown_rank' : `(${dims.join(', ')})`;
}

function tensorInfoJson(info: TensorInfoObject): InspectTensorInfo {
  return { dtype: dtypeName(info), shape: shapeFromProto(info.tensor_shape), name: info.name ?? '' };
}

/** Ops used by the graph, following PartitionedCall/StatefulPartitionedCall `f` (meta_graph.ops_used_by_graph_def). */
export function opsUsedByGraph(mg: MetaGraphDefObject): string[] {
  const fns = new Map((mg.graph_def?.library?.function ?? []).map((f) => [f.signature?.name ?? '', f]));
  const used = new Set<string>();
  const queue: NodeDefObject[][] = [];
  const mark = (op: string): void => {
    if (!used.has(op) && fns.has(op)) queue.push(fns.get(op)!.node_def);
    used.add(op);
  };
  const visit = (nodes: NodeDefObject[]): void => {
    for (const n of nodes) {
      mark(n.op ?? '');
      if (n.op === 'PartitionedCall' || n.op === 'StatefulPartitionedCall') mark(n.attr['f']?.func?.name ?? '');
    }
  };
  visit(mg.graph_def?.node ?? []);
  while (queue.length > 0) visit(queue.pop()!);
  return [...used].filter((op) => !fns.has(op)).sort();
}

/** Python `repr` of a str (single quotes unless the text holds one and no double quote). */
function pyRepr(s: string): string {
  if (s.includes("'") && !s.includes('"')) return `"${s}"`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/**
 * Python dtype name (`float32` as in `tf.float32`) of a DataType enum name: TF's short name from
 * the shared dtype table, except the floating types Python names by width. Undefined for
 * unknown names and `_REF` types (callers print those themselves).
 */
function pyDtype(dt: string): string | undefined {
  if (dt.endsWith('_REF')) return undefined;
  const info = dtypeInfo(dt);
  if (!info) return undefined;
  return PY_FLOAT_NAMES[info.name] ?? info.short;
}

const PY_FLOAT_NAMES: Partial<Record<string, string>> = { DT_FLOAT: 'float32', DT_DOUBLE: 'float64', DT_HALF: 'float16' };

function pyShape(shape: TensorShapeProtoObject | undefined): string {
  const dims = shapeFromProto(shape);
  if (dims === null) return '<unknown>';
  const d = dims.map((x) => (x < 0 ? 'None' : String(x)));
  return d.length === 1 ? `(${d[0]},)` : `(${d.join(', ')})`;
}

interface SpecLike {
  name?: string;
  shape?: TensorShapeProtoObject;
  dtype?: string | number;
}

function specRepr(kind: string, spec: SpecLike): string {
  const dt = spec.dtype === undefined ? 'DT_INVALID' : String(spec.dtype);
  const name = spec.name ? pyRepr(spec.name) : 'None';
  return `${kind}(shape=${pyShape(spec.shape)}, dtype=tf.${pyDtype(dt) ?? dt.replace(/^DT_/, '').toLowerCase()}, name=${name})`;
}

/** Python `str()` of a decoded StructuredValue. */
function pyStr(v: StructuredValueObject | undefined): string {
  const kind = v?.kind;
  switch (kind) {
    case 'tensor_spec_value':
      return specRepr('TensorSpec', (v!['tensor_spec_value'] ?? {}) as SpecLike);
    case 'bounded_tensor_spec_value':
      return specRepr('BoundedTensorSpec', (v!['bounded_tensor_spec_value'] ?? {}) as SpecLike);
    case 'list_value':
    case 'tuple_value': {
      const vals = ((v![kind] as { values?: StructuredValueObject[] } | undefined)?.values ?? []).map(pyValue);
      if (kind === 'list_value') return `[${vals.join(', ')}]`;
      return vals.length === 1 ? `(${vals[0]},)` : `(${vals.join(', ')})`;
    }
    case 'dict_value': {
      const fields = (v!['dict_value'] as { fields?: Record<string, StructuredValueObject> } | undefined)?.fields ?? {};
      return `{${Object.entries(fields)
        .map(([k, x]) => `${pyRepr(k)}: ${pyValue(x)}`)
        .join(', ')}}`;
    }
    case 'bool_value':
      return v!['bool_value'] ? 'True' : 'False';
    case 'int64_value':
      return String(v!['int64_value'] ?? 0);
    case 'float64_value': {
      const f = Number(v!['float64_value'] ?? 0);
      return Number.isInteger(f) ? `${f}.0` : String(f);
    }
    case 'string_value':
      return String(v!['string_value'] ?? '');
    case 'tensor_dtype_value':
      return `tf.${pyDtype(String(v!['tensor_dtype_value'])) ?? String(v!['tensor_dtype_value'])}`;
    case 'tensor_shape_value':
      return pyShape(v!['tensor_shape_value'] as TensorShapeProtoObject);
    case 'type_spec_value': {
      const ts = (v!['type_spec_value'] ?? {}) as { type_spec_class_name?: string; type_spec_class?: string | number };
      return `${ts.type_spec_class_name ?? String(ts.type_spec_class ?? 'TypeSpec')}(...)`;
    }
    case 'none_value':
    case undefined:
      return 'None';
    default:
      return `<${kind}>`;
  }
}

/** Python `repr()`-like form used inside containers (strings quoted). */
function pyValue(v: StructuredValueObject | undefined): string {
  return v?.kind === 'string_value' ? pyRepr(String(v['string_value'] ?? '')) : pyStr(v);
}

function pyTypeName(v: StructuredValueObject | undefined): string {
  switch (v?.kind) {
    case 'list_value':
      return 'list';
    case 'tuple_value':
      return 'tuple';
    case 'dict_value':
      return 'dict';
    case 'bool_value':
      return 'bool';
    case 'int64_value':
      return 'int';
    case 'float64_value':
      return 'float';
    case 'string_value':
      return 'str';
    case 'named_tuple_value':
      return String((v['named_tuple_value'] as { name?: string } | undefined)?.name ?? 'tuple');
    case 'tensor_dtype_value':
      return 'DType';
    case 'tensor_shape_value':
      return 'TensorShape';
    default:
      return 'NoneType';
  }
}

/** One positional argument, as saved_model_cli's `_print_args` prints it at indent 4. */
function describeArgument(v: StructuredValueObject | undefined): { arg: InspectArgument; lines: string[] } {
  const pad = '        ';
  const kind = v?.kind;
  if (kind === 'string_value') {
    const s = String(v!['string_value'] ?? '');
    return { arg: { kind: 'str', text: s }, lines: [`${pad}  ${s}`] };
  }
  if (kind === 'tensor_spec_value' || kind === 'bounded_tensor_spec_value') {
    const spec = (v![kind] ?? {}) as SpecLike;
    const text = `${spec.name ? spec.name : 'None'}: ${pyStr(v)}`;
    return { arg: { kind: 'tensor_spec', text }, lines: [`${pad}  ${text}`] };
  }
  if (kind === 'list_value' || kind === 'tuple_value' || kind === 'named_tuple_value') {
    const values =
      kind === 'named_tuple_value'
        ? ((v!['named_tuple_value'] as { values?: { value?: StructuredValueObject }[] } | undefined)?.values ?? []).map((p) => p.value)
        : ((v![kind] as { values?: StructuredValueObject[] } | undefined)?.values ?? []);
    // saved_model_cli prints each value then ", " and erases the last ", " with backspaces.
    const text = `[${values.map(pyValue).join(', ')}]`;
    return { arg: { kind: pyTypeName(v), text }, lines: [`${pad}  DType: ${pyTypeName(v)}`, `${pad}  Value: ${text}`] };
  }
  if (kind === 'dict_value') {
    const fields = (v!['dict_value'] as { fields?: Record<string, StructuredValueObject> } | undefined)?.fields ?? {};
    const text = `{${Object.entries(fields)
      .map(([k, x]) => `'${k}': ${pyValue(x)}`)
      .join(', ')}}`;
    return { arg: { kind: 'dict', text }, lines: [`${pad}  DType: dict`, `${pad}  Value: ${text}`] };
  }
  const text = pyStr(v);
  return { arg: { kind: pyTypeName(v), text }, lines: [`${pad}  DType: ${pyTypeName(v)}`, `${pad}  Value: ${text}`] };
}

interface FunctionListing {
  json: InspectConcreteFunction[];
  lines: string[];
}

/** The root object's functions and their concrete signatures (saved_model_cli's "Concrete Functions"). */
function concreteFunctions(og: SavedObjectGraphObject): FunctionListing {
  const root = og.nodes[0];
  const json: InspectConcreteFunction[] = [];
  const lines: string[] = [];
  if (!root) return { json, lines };
  const children = [...root.children].sort((a, b) => ((a.local_name ?? '') < (b.local_name ?? '') ? -1 : (a.local_name ?? '') > (b.local_name ?? '') ? 1 : 0));
  for (const child of children) {
    const node = og.nodes[child.node_id ?? 0];
    if (!node) continue;
    let names: string[];
    if (node.kind === 'function') names = [...(node.function?.concrete_functions ?? [])];
    else if (node.kind === 'bare_concrete_function') names = [node.bare_concrete_function?.concrete_function_name ?? ''];
    else continue;
    const name = child.local_name ?? '';
    lines.push('', `  Function Name: '${name}'`);
    const fn: InspectConcreteFunction = { name, options: [] };
    names.sort().forEach((cfName, i) => {
      const cf = og.concrete_functions[cfName];
      const sig = cf?.canonicalized_input_signature;
      let args: (StructuredValueObject | undefined)[] = [];
      let kwargs: string[] = [];
      if (sig?.kind === 'tuple_value') {
        const parts = (sig['tuple_value'] as { values?: StructuredValueObject[] } | undefined)?.values ?? [];
        const a = parts[0];
        args = a?.kind === 'tuple_value' || a?.kind === 'list_value' ? ((a[a.kind] as { values?: StructuredValueObject[] }).values ?? []) : [];
        const k = parts[1];
        kwargs = k?.kind === 'dict_value' ? Object.keys((k['dict_value'] as { fields?: Record<string, unknown> }).fields ?? {}) : [];
      } else if (node.kind === 'bare_concrete_function') {
        args = (node.bare_concrete_function?.argument_keywords ?? []).map((s) => ({ kind: 'string_value', string_value: s }));
      }
      const described = args.map(describeArgument);
      if (described.length > 0) {
        lines.push(`    Option #${i + 1}`, '      Callable with:');
        described.forEach((d, k) => lines.push(`        Argument #${k + 1}`, ...d.lines));
      }
      kwargs.forEach((k, j) => lines.push(`        Named Argument #${j + 1}`, `          ${k}`));
      fn.options.push({ concreteFunction: cfName, args: described.map((d) => d.arg), kwargs });
    });
    json.push(fn);
  }
  return { json, lines };
}

function signatureLines(mg: MetaGraphDefObject, key: string, file: string, indent: number): string[] {
  const sig = signatureOf(mg, key, file);
  const pad = '  '.repeat(indent);
  const out: string[] = [`${pad}The given SavedModel SignatureDef contains the following input(s):`];
  const info = (side: 'inputs' | 'outputs'): void => {
    for (const alias of Object.keys(sig[side]).sort()) {
      const t = sig[side][alias]!;
      out.push(
        `${pad}  ${side}['${alias}'] tensor_info:`,
        `${pad}      dtype: ${dtypeName(t)}`,
        `${pad}      shape: ${shapeText(t.tensor_shape)}`,
        `${pad}      name: ${t.name ?? ''}`,
      );
    }
  };
  info('inputs');
  out.push(`${pad}The given SavedModel SignatureDef contains the following output(s):`);
  info('outputs');
  out.push(`${pad}Method name is: ${sig.method_name ?? ''}`);
  return out;
}

function signatureJson(mg: MetaGraphDefObject, key: string, file: string): InspectSignature {
  const sig = signatureOf(mg, key, file);
  const side = (m: Record<string, TensorInfoObject>): Record<string, InspectTensorInfo> =>
    Object.fromEntries(
      Object.keys(m)
        .sort()
        .map((k) => [k, tensorInfoJson(m[k]!)]),
    );
  return { key, methodName: sig.method_name ?? '', inputs: side(sig.inputs), outputs: side(sig.outputs) };
}

/** The result of an inspection: the text saved_model_cli would print and the JSON report. */
export interface Inspection {
  readonly text: string;
  readonly report: InspectReport;
}

/**
 * Inspect a SavedModel directory or a model base path. Throws TfsError (NOT_FOUND for a
 * missing SavedModel, tag set or signature key; DATA_LOSS for an unreadable file).
 */
export function inspect(path: string, opts: InspectOptions = {}): Inspection {
  const target = resolveTarget(path);
  const file = readSavedModelFile(target.dir);
  const header: string[] = [];
  if (target.versions) {
    header.push(
      `The given base path contains the following versions: ${target.versions.join(', ')}`,
      `Showing the latest version, ${target.version} (${join(target.dir)}):`,
    );
  }
  const base = { path, dir: target.dir, file: file.file, format: file.format } as const;
  const versionInfo = target.versions ? { versions: target.versions, version: target.version! } : {};
  const tagSet = opts.tagSet ?? (opts.signatureDef !== undefined ? 'serve' : undefined);

  if (tagSet !== undefined) {
    const mg = selectMetaGraph(file, tagSet);
    const keys = opts.signatureDef !== undefined ? [opts.signatureDef] : Object.keys(mg.signature_def).sort();
    const signatures = keys.map((k) => signatureJson(mg, k, file.file));
    const lines =
      opts.signatureDef !== undefined
        ? signatureLines(mg, opts.signatureDef, file.file, 0)
        : [
            'The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:',
            ...keys.map((k) => `SignatureDef key: "${k}"`),
          ];
    const report: InspectReport = {
      ...base,
      ...versionInfo,
      metaGraphs: [{ tags: tagList(mg), tensorflowVersion: mg.meta_info_def?.tensorflow_version ?? '', signatures, ops: opsUsedByGraph(mg) }],
      concreteFunctions: null,
    };
    return { text: [...header, ...lines].join('\n') + '\n', report };
  }

  const lines: string[] = [...header];
  const metaGraphs: InspectMetaGraph[] = [];
  const sorted = [...file.metaGraphs].sort((a, b) => compareLists(tagList(a), tagList(b)));
  for (const mg of sorted) {
    const tags = tagList(mg);
    lines.push('', `MetaGraphDef with tag-set: '${tags.join(', ')}' contains the following SignatureDefs:`);
    const keys = Object.keys(mg.signature_def).sort();
    for (const key of keys) lines.push('', `signature_def['${key}']:`, ...signatureLines(mg, key, file.file, 1));
    const ops = opsUsedByGraph(mg);
    lines.push(`The MetaGraph with tag set [${tags.map(pyRepr).join(', ')}] contains the following ops: {${ops.map(pyRepr).join(', ')}}`);
    metaGraphs.push({
      tags,
      tensorflowVersion: mg.meta_info_def?.tensorflow_version ?? '',
      signatures: keys.map((k) => signatureJson(mg, k, file.file)),
      ops,
    });
  }
  let concrete: InspectConcreteFunction[] | null = null;
  let text = lines.join('\n') + '\n';
  const og = file.metaGraphs.find((m) => m.object_graph_def)?.object_graph_def;
  if (og) {
    const fns = concreteFunctions(og);
    concrete = fns.json;
    // saved_model_cli prints the title without a newline; each function starts with one.
    text += '\nConcrete Functions:' + fns.lines.join('\n') + (fns.lines.length > 0 ? '\n' : '');
  }
  return { text, report: { ...base, ...versionInfo, metaGraphs, concreteFunctions: concrete } };
}
