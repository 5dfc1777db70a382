/**
 * SavedModel reader: `saved_model.pb` (or `saved_model.pbtxt`), meta-graph selection by
 * tag set, SignatureDefs, assets, `assets.extra`, the variables prefix, and version
 * directories of a model base path.
 *
 * ## The `metaGraph` contract (what the freezer and runtime rely on)
 *
 * {@link LoadedSavedModel.metaGraph} is the selected `tensorflow.MetaGraphDef` as a plain
 * object, produced by protobufjs `toObject` with
 * `{ longs: Number, enums: String, defaults: false, arrays: true, objects: true, oneofs: true }`
 * and bytes left as Uint8Array (see {@link MetaGraphDefObject} for the typed shape):
 *
 * - snake_case field names as in the .proto files: `metaGraph.graph_def.node[i].attr`,
 *   `graph_def.library.function[j].node_def`, `object_graph_def.concrete_functions[name].bound_inputs`;
 * - enums by name: `node.attr.dtype.type === 'DT_FLOAT'`, `tensor_info.dtype === 'DT_FLOAT_REF'`;
 * - bytes as Uint8Array: `node.attr.value.tensor.tensor_content`, `attr.s`, `string_val[k]`;
 * - int64 fields as numbers. One refinement over plain `longs: Number`: an int64 that is
 *   not a safe integer (|v| > 2^53) is given as its exact decimal string instead of a
 *   rounded number, so use `Number(x)` or `BigInt(x)` on int64 fields;
 * - repeated fields and maps are always present (possibly empty);
 * - scalar fields equal to their proto3 default are ABSENT (`defaults: false`): a
 *   `shard_id`, `node_id` or `i` of 0, an empty string and `false` are omitted, so read
 *   them with `?? 0`, `?? ''`, `?? false`;
 * - oneofs also name their set member: `attr.value === 'tensor'`, `tensor_info.encoding === 'name'`,
 *   `object_graph_def.nodes[k].kind === 'variable'`.
 *
 * Errors are TfsErrors with upstream's texts where upstream has one: a directory without
 * `saved_model.pb`/`.pbtxt` is NOT_FOUND `Could not find SavedModel .pb or .pbtxt at
 * supplied export directory path: …` (reader.cc), an unmatched tag set is NOT_FOUND
 * `Could not find meta graph def matching supplied tags: { serve }. …` (reader.cc). An
 * undecodable file is DATA_LOSS naming the file.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type protobuf from 'protobufjs';
import { parseTextFormat } from '../proto/text-format.js';
import { Errors } from '../errors.js';
import { lookupType } from '../proto/root.js';
import type { SignatureSpec } from '../core/servable.js';
import type { TensorSpec } from '../tensor/tensor.js';
import { dtypeInfo } from '../tensor/dtypes.js';
import type { Tensor } from '../tensor/tensor.js';
import type {
  AssetFileDefObject,
  MetaGraphDefObject,
  SavedObjectGraphObject,
  SignatureDefObject,
  TensorInfoObject,
} from './proto-types.js';
import { toPlainObject } from './proto-types.js';
import { TensorBundle } from './tensor-bundle.js';
import { shapeFromProto, tensorFromProto } from './tensor-proto.js';

export type * from './proto-types.js';

/** tag_constants.SERVING: the tag set tensorflow_model_server loads by default. */
export const DEFAULT_TAGS: readonly string[] = Object.freeze(['serve']);
/** The signature TF2 writes for its init op; not a serving signature. */
export const INIT_OP_SIGNATURE_KEY = '__saved_model_init_op';
export const SAVED_MODEL_PB = 'saved_model.pb';
export const SAVED_MODEL_PBTXT = 'saved_model.pbtxt';
/** Collection holding TF1 AssetFileDefs (constants.ASSETS_KEY). */
export const ASSETS_COLLECTION = 'saved_model_assets';

export interface ReadSavedModelOptions {
  /** The tag set of the MetaGraphDef to load (set equality, order ignored). Default `['serve']`. */
  tags?: readonly string[];
}

/** One asset the graph refers to (TF2 `asset_file_def`, TF1 collection `saved_model_assets`). */
export interface AssetFile {
  /** The graph tensor that must be fed (TF1) or holds (TF2) the asset's path, e.g. `Const:0`. */
  readonly tensorName: string;
  /** The file name inside `assets/`. */
  readonly filename: string;
  /** Absolute or dir-relative path of the file under this export's `assets/`. */
  readonly path: string;
  readonly exists: boolean;
}

/** A signature the reader could not turn into a {@link SignatureSpec}, and why. */
export interface SkippedSignature {
  readonly key: string;
  readonly reason: string;
}

/** A parsed SavedModel with one MetaGraphDef selected. */
export interface LoadedSavedModel {
  /** The export directory as given. */
  readonly dir: string;
  /** The file read: `<dir>/saved_model.pb` or `<dir>/saved_model.pbtxt`. */
  readonly file: string;
  readonly format: 'pb' | 'pbtxt';
  /** The tags of the selected MetaGraphDef, as stored. */
  readonly tags: readonly string[];
  /** The tag set of every MetaGraphDef in the file, in file order. */
  readonly tagSets: readonly (readonly string[])[];
  /** The selected MetaGraphDef (see the module comment for the exact form). */
  readonly metaGraph: MetaGraphDefObject;
  /** Serving signatures by key, sorted by key; `__saved_model_init_op` excluded. */
  readonly signatures: ReadonlyMap<string, SignatureSpec>;
  /** Signatures present in the file but not representable (e.g. DT_INVALID tensors). */
  readonly skippedSignatures: readonly SkippedSignature[];
  /** Every SignatureDef of the MetaGraph as stored (init op included), for GetModelMetadata. */
  readonly signatureDefMap: Readonly<Record<string, SignatureDefObject>>;
  /** `meta_info_def.tensorflow_version` ('' when the writer did not record it). */
  readonly tensorflowVersion: string;
  readonly tensorflowGitVersion: string;
  /** TF2 object graph, or null for TF1 graphs. */
  readonly objectGraph: SavedObjectGraphObject | null;
  /** `<dir>/variables/variables` when `variables/variables.index` exists, else null. */
  readonly variablesPrefix: string | null;
  /** `<dir>/assets` when it is a directory, else null. */
  readonly assetsDir: string | null;
  /** Files under `assets/`, relative to it, sorted. */
  readonly assetFiles: readonly string[];
  /** The assets the graph refers to. */
  readonly assetFileDefs: readonly AssetFile[];
  /** `<dir>/assets.extra` when it is a directory, else null. */
  readonly assetsExtraDir: string | null;
  /** Files under `assets.extra/`, relative to it, sorted (e.g. `tf_serving_warmup_requests`). */
  readonly assetsExtraFiles: readonly string[];
  /** Open the checkpoint (TensorBundle.open on {@link variablesPrefix}), or null without variables. */
  openVariables(): TensorBundle | null;
}

/** The whole SavedModel file, every MetaGraphDef converted (for `tfs inspect`). */
export interface SavedModelFile {
  readonly dir: string;
  readonly file: string;
  readonly format: 'pb' | 'pbtxt';
  readonly schemaVersion: number;
  readonly metaGraphs: readonly MetaGraphDefObject[];
}

interface DecodedFile {
  file: string;
  format: 'pb' | 'pbtxt';
  message: protobuf.Message & { saved_model_schema_version?: unknown; meta_graphs?: protobuf.Message[] };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function decodeFile(dir: string): DecodedFile {
  const T = lookupType('tensorflow.SavedModel');
  const pb = join(dir, SAVED_MODEL_PB);
  if (isFile(pb)) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(pb);
    } catch (err) {
      throw Errors.corruptModelFile(pb, `cannot be read (${(err as Error).message})`);
    }
    try {
      return { file: pb, format: 'pb', message: T.decode(bytes) };
    } catch (err) {
      throw Errors.corruptModelFile(pb, `can't parse as binary proto tensorflow.SavedModel (${(err as Error).message})`);
    }
  }
  const pbtxt = join(dir, SAVED_MODEL_PBTXT);
  if (isFile(pbtxt)) {
    // Syntax errors are TextFormatErrors (INVALID_ARGUMENT) with file:line:column.
    const obj = parseTextFormat(T, readFileSync(pbtxt, 'utf8'), pbtxt);
    let message: protobuf.Message;
    try {
      message = T.fromObject(obj);
    } catch (err) {
      throw Errors.corruptModelFile(pbtxt, `not a valid tensorflow.SavedModel (${(err as Error).message})`);
    }
    return { file: pbtxt, format: 'pbtxt', message };
  }
  throw Errors.savedModelNotFound(dir, legacyHint(dir));
}

/** A hint for directories that hold something other than a SavedModel. */
function legacyHint(dir: string): string | undefined {
  if (!isDir(dir)) return `${dir} does not exist or is not a directory.`;
  const names = readdirSync(dir);
  if (names.includes('export.meta')) {
    return 'This directory holds a legacy SessionBundle export (export.meta + export checkpoint), which TensorFlow Serving no longer loads; re-export the model with tf.saved_model.save (or SavedModelBuilder).';
  }
  if (names.some((n) => /^\d+$/.test(n) && isDir(join(dir, n)))) {
    return `This looks like a model base path with version subdirectories (${names.filter((n) => /^\d+$/.test(n)).join(', ')}); point at one version directory.`;
  }
  if (names.some((n) => n.endsWith('.h5') || n.endsWith('.keras'))) {
    return 'Keras .h5/.keras files are not SavedModels; export with model.export(dir) (Keras 3) or tf.saved_model.save.';
  }
  return undefined;
}

function tagsOf(mg: protobuf.Message): string[] {
  const info = (mg as unknown as { meta_info_def?: { tags?: string[] } }).meta_info_def;
  return [...(info?.tags ?? [])];
}

function sameTagSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((t) => sb.has(t));
}

/** Read the whole SavedModel file with every MetaGraphDef converted (see the module comment). */
export function readSavedModelFile(dir: string): SavedModelFile {
  const d = decodeFile(dir);
  const MG = lookupType('tensorflow.MetaGraphDef');
  const metaGraphs = (d.message.meta_graphs ?? []).map((m) => toPlainObject<MetaGraphDefObject>(MG, m));
  return { dir, file: d.file, format: d.format, schemaVersion: Number(d.message.saved_model_schema_version ?? 0), metaGraphs };
}

/** The tag set of every MetaGraphDef in the SavedModel at `dir`, in file order. */
export function readTagSets(dir: string): string[][] {
  return (decodeFile(dir).message.meta_graphs ?? []).map(tagsOf);
}

/**
 * Read the SavedModel in `dir` and select the MetaGraphDef whose tag set equals
 * `opts.tags` (default `['serve']`). See the module comment for the errors.
 */
export function readSavedModel(dir: string, opts: ReadSavedModelOptions = {}): LoadedSavedModel {
  const tags = opts.tags ?? DEFAULT_TAGS;
  const d = decodeFile(dir);
  const all = d.message.meta_graphs ?? [];
  const tagSets = all.map(tagsOf);
  const index = tagSets.findIndex((ts) => sameTagSet(ts, tags));
  if (index < 0) {
    const err = Errors.metaGraphNotFound([...new Set(tags)]);
    const available = tagSets.map((ts) => `'${ts.join(', ')}'`).join(', ');
    throw err.withHint(`${d.file} has the tag sets: ${available || '(none)'}`);
  }
  const metaGraph = toPlainObject<MetaGraphDefObject>(lookupType('tensorflow.MetaGraphDef'), all[index]!);
  return buildLoaded(dir, d, tagSets, metaGraph);
}

function buildLoaded(dir: string, d: DecodedFile, tagSets: string[][], metaGraph: MetaGraphDefObject): LoadedSavedModel {
  const signatureDefMap = metaGraph.signature_def ?? {};
  const signatures = new Map<string, SignatureSpec>();
  const skippedSignatures: SkippedSignature[] = [];
  for (const key of Object.keys(signatureDefMap).sort()) {
    if (key === INIT_OP_SIGNATURE_KEY) continue;
    const r = signatureSpec(key, signatureDefMap[key]!, d.file);
    if ('reason' in r) skippedSignatures.push(r);
    else signatures.set(key, r);
  }
  const variablesIndex = join(dir, 'variables', 'variables.index');
  const variablesPrefix = isFile(variablesIndex) ? join(dir, 'variables', 'variables') : null;
  const assetsDir = isDir(join(dir, 'assets')) ? join(dir, 'assets') : null;
  const assetsExtraDir = isDir(join(dir, 'assets.extra')) ? join(dir, 'assets.extra') : null;
  return {
    dir,
    file: d.file,
    format: d.format,
    tags: metaGraph.meta_info_def?.tags ?? [],
    tagSets,
    metaGraph,
    signatures,
    skippedSignatures,
    signatureDefMap,
    tensorflowVersion: metaGraph.meta_info_def?.tensorflow_version ?? '',
    tensorflowGitVersion: metaGraph.meta_info_def?.tensorflow_git_version ?? '',
    objectGraph: metaGraph.object_graph_def ?? null,
    variablesPrefix,
    assetsDir,
    assetFiles: assetsDir ? listFiles(assetsDir) : [],
    assetFileDefs: assetFileDefs(dir, metaGraph, d.file),
    assetsExtraDir,
    assetsExtraFiles: assetsExtraDir ? listFiles(assetsExtraDir) : [],
    openVariables: () => (variablesPrefix ? TensorBundle.open(variablesPrefix) : null),
  };
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    for (const name of readdirSync(p)) {
      const full = join(p, name);
      if (isDir(full)) walk(full);
      else out.push(relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

function tensorSpec(info: TensorInfoObject): TensorSpec | string {
  const dt = info.dtype === undefined ? undefined : dtypeInfo(info.dtype as string | number);
  if (!dt) return `dtype ${String(info.dtype ?? 'DT_INVALID')} is not a tensor dtype tfs knows`;
  const name =
    info.encoding === 'coo_sparse' ? (info.coo_sparse?.values_tensor_name ?? '') : info.encoding === 'composite_tensor' ? '' : (info.name ?? '');
  return { name, dtype: dt.name, shape: shapeFromProto(info.tensor_shape) };
}

/** The {@link SignatureSpec} of one SignatureDef, or why it cannot have one. */
export function signatureSpec(key: string, def: SignatureDefObject, file: string): SignatureSpec | SkippedSignature {
  const side = (m: Record<string, TensorInfoObject> | undefined, what: string): Record<string, TensorSpec> | string => {
    const out: Record<string, TensorSpec> = {};
    for (const alias of Object.keys(m ?? {}).sort()) {
      const s = tensorSpec(m![alias]!);
      if (typeof s === 'string') return `${what} '${alias}': ${s}`;
      out[alias] = s;
    }
    return out;
  };
  const inputs = side(def.inputs, 'input');
  if (typeof inputs === 'string') return { key, reason: inputs };
  const outputs = side(def.outputs, 'output');
  if (typeof outputs === 'string') return { key, reason: outputs };
  const defaults: Record<string, Tensor> = {};
  for (const [alias, proto] of Object.entries(def.defaults ?? {})) {
    defaults[alias] = tensorFromProto(proto, `${file}: signature "${key}" default value of input "${alias}"`);
  }
  return { key, methodName: def.method_name ?? '', inputs, outputs, defaults };
}

function assetFileDefs(dir: string, mg: MetaGraphDefObject, file: string): AssetFile[] {
  const defs: AssetFileDefObject[] = [...(mg.asset_file_def ?? [])];
  const coll = mg.collection_def?.[ASSETS_COLLECTION];
  if (coll?.any_list) {
    const T = lookupType('tensorflow.AssetFileDef');
    for (const any of coll.any_list.value) {
      try {
        defs.push(toPlainObject<AssetFileDefObject>(T, T.decode(any.value ?? new Uint8Array(0))));
      } catch (err) {
        throw Errors.corruptModelFile(file, `collection ${ASSETS_COLLECTION} holds an undecodable AssetFileDef (${(err as Error).message})`);
      }
    }
  }
  const seen = new Set<string>();
  const out: AssetFile[] = [];
  for (const def of defs) {
    const tensorName = def.tensor_info?.name ?? '';
    const filename = def.filename ?? '';
    const k = `${tensorName}\u0000${filename}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const path = join(dir, 'assets', filename);
    out.push({ tensorName, filename, path, exists: isFile(path) });
  }
  return out;
}

/** A version directory of a model base path. */
export interface VersionDir {
  readonly version: number;
  readonly path: string;
}

/**
 * The version subdirectories of a model base path, as TF Serving's file-system source
 * sees them: directories whose whole name is a decimal number (`1`, `00000123`), sorted by
 * version. When two names give the same number (`1`, `01`) the first in name order is used.
 * Throws NOT_FOUND when `basePath` is not a directory.
 */
export function listVersionDirs(basePath: string): VersionDir[] {
  if (!isDir(basePath)) throw Errors.missingModelFile(basePath, 'Model base path not found or not a directory');
  const byVersion = new Map<number, string>();
  for (const name of readdirSync(basePath).sort()) {
    if (!/^\d+$/.test(name)) continue;
    const v = Number(name);
    if (!Number.isSafeInteger(v) || byVersion.has(v)) continue;
    const path = join(basePath, name);
    if (isDir(path)) byVersion.set(v, path);
  }
  return [...byVersion.entries()].sort((a, b) => a[0] - b[0]).map(([version, path]) => ({ version, path }));
}

/** The version numbers under a model base path, ascending (see {@link listVersionDirs}). */
export function listVersions(basePath: string): number[] {
  return listVersionDirs(basePath).map((v) => v.version);
}

/** True when `dir` holds a `saved_model.pb` or `saved_model.pbtxt`. */
export function isSavedModelDir(dir: string): boolean {
  return existsSync(join(dir, SAVED_MODEL_PB)) || existsSync(join(dir, SAVED_MODEL_PBTXT));
}
