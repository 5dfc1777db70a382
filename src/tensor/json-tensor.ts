/**
 * The REST JSON codec: predict request bodies (row `instances` / columnar `inputs`) to
 * tensors, output tensors to `predictions`/`outputs`, classify/regress bodies to
 * tf.Example inputs and results to `results`, and `{"error": ...}` bodies — each with
 * upstream's rules, error texts and byte layout (spec §1.6–§1.9, json_tensor.cc).
 *
 * Parsing is {@link parseJson} (rapidjson-compatible); writing is
 * {@link RapidJsonPrettyWriter}. Nothing here recurses on JSON depth.
 */
import { Errors, TfsError } from '../errors.js';
import type { ClassificationResultObj, ExampleObj, InputObj, RegressionResultObj } from './inference-types.js';
import type { TensorSpec } from './tensor.js';
import { type DTypeName, mustDtype } from './dtypes.js';
import {
  JsonBytes,
  JsonInt,
  JsonObject,
  type JsonValue,
  isBase64Object,
  jsonTypeName,
  parseJson,
} from './json-parser.js';
import { type FastInstances, fastInstancesBody } from './json-fast.js';
import {
  RapidJsonPrettyWriter,
  WriterFull,
  formatDecimal,
  formatRapidJsonDouble,
} from './json-writer.js';
import { type Tensor, type TensorData, fromUtf8, numElements, shapeString } from './tensor.js';
import { MAX_TENSOR_RANK, RequestBudget, checkRank } from './limits.js';

/** Which request layout a predict body used; it decides the response layout. */
export type JsonPredictFormat = 'row' | 'columnar';

/** Upstream cuts `<dbg>` renderings of JSON values at this many bytes. */
export const DEBUG_STRING_LIMIT = 256;

// ---------------------------------------------------------------------------
// <dbg>: JSON values inside error messages

/**
 * A JSON value rendered as upstream does inside error messages: rapidjson's pretty
 * writer with single-line arrays, a top-level decimal written with WriteDecimal, cut
 * at 256 bytes (the result may be truncated JSON).
 */
export function jsonDebugString(v: JsonValue): string {
  if (typeof v === 'number') return formatDecimal(v, Math.fround(v) === v || Number.isNaN(v));
  const w = new RapidJsonPrettyWriter(DEBUG_STRING_LIMIT);
  w.singleLineArrays = true;
  try {
    writeJsonValue(w, v);
  } catch (e) {
    if (!(e instanceof WriterFull)) throw e;
  }
  const bytes = Buffer.from(w.out, 'utf8');
  return bytes.length > DEBUG_STRING_LIMIT ? bytes.subarray(0, DEBUG_STRING_LIMIT).toString('utf8') : w.out;
}

/** Write a parsed JSON value (iteratively: any depth). */
function writeJsonValue(w: RapidJsonPrettyWriter, root: JsonValue): void {
  type Step = { v: JsonValue; key?: string } | 'endArray' | 'endObject';
  const stack: Step[] = [{ v: root }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    if (step === 'endArray') {
      w.endArray();
      continue;
    }
    if (step === 'endObject') {
      w.endObject();
      continue;
    }
    if (step.key !== undefined) w.key(step.key);
    const v = step.v;
    if (Array.isArray(v)) {
      w.startArray();
      stack.push('endArray');
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i]! });
    } else if (v instanceof JsonObject) {
      w.startObject();
      stack.push('endObject');
      for (let i = v.size - 1; i >= 0; i--) stack.push({ v: v.values[i]!, key: v.keys[i]! });
    } else {
      w.raw(scalarText(v));
    }
  }
}

function scalarText(v: JsonValue): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') return formatRapidJsonDouble(v);
  if (v instanceof JsonInt) return v.big !== null ? v.big.toString() : String(v.value);
  if (typeof v === 'string') return quote(v);
  if (v instanceof JsonBytes) return quote(Buffer.from(v.bytes).toString('utf8'));
  return '';
}

function quote(s: string): string {
  const w = new RapidJsonPrettyWriter();
  w.string(s);
  return w.out;
}

// ---------------------------------------------------------------------------
// Request bodies

/** A parsed request body: the root object and its `signature_name` (steps 1–4 of §1.6). */
export interface ParsedRequestBody {
  doc: JsonObject;
  /** `signature_name` as given ('' when absent). */
  signatureName: string;
  /** The body read by json-fast.ts's predict-body scan, when it has the usual form. */
  readonly fast?: FastInstances | undefined;
}

/**
 * A body that json-fast.ts read whole: its numbers are already converted, and the document
 * tree is built only if something asks for it (another dtype, several inputs).
 */
class FastParsedBody implements ParsedRequestBody {
  private tree: JsonObject | undefined;
  constructor(
    private readonly body: Buffer,
    readonly fast: FastInstances,
  ) {}

  get signatureName(): string {
    return this.fast.signatureName;
  }

  get doc(): JsonObject {
    this.tree ??= parseJson(this.body) as JsonObject;
    return this.tree;
  }
}

/**
 * Parse a predict/classify/regress body and read `signature_name`: empty body, parse
 * errors, non-object root and non-string signature_name fail with upstream's texts.
 */
export function parseRequestBody(body: Uint8Array | string): ParsedRequestBody {
  if (typeof body !== 'string') {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const fast = fastInstancesBody(buf);
    if (fast) return new FastParsedBody(buf, fast);
  }
  const doc = parseJson(body);
  if (!(doc instanceof JsonObject)) throw Errors.jsonNotObject(jsonDebugString(doc));
  const sig = doc.get('signature_name');
  let signatureName = '';
  if (sig !== undefined) {
    if (typeof sig === 'string') signatureName = sig;
    else if (sig instanceof JsonBytes) signatureName = Buffer.from(sig.bytes).toString('utf8');
    else throw Errors.jsonSignatureNotString(jsonDebugString(doc));
  }
  return { doc, signatureName };
}

/** Standard-alphabet base64 (absl::Base64Unescape): optional padding, nothing else. */
const BASE64_RE = /^[A-Za-z0-9+/]*$/;

/** Decode `{"b64": "..."}` (the caller checked the shape) or fail with upstream's text. */
function decodeBase64Object(v: JsonValue): Uint8Array {
  if (!isBase64Object(v)) throw Errors.jsonBase64Format(jsonDebugString(v));
  const s = (v as JsonObject).values[0]!;
  let text = typeof s === 'string' ? s : Buffer.from((s as JsonBytes).bytes).toString('latin1');
  let pad = 0;
  while (text.endsWith('=') && pad < 2) {
    text = text.slice(0, -1);
    pad++;
  }
  if (!BASE64_RE.test(text) || text.length % 4 === 1 || (pad > 0 && (text.length + pad) % 4 !== 0)) {
    throw Errors.jsonBase64Decode();
  }
  const buf = Buffer.from(text, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function stringBytes(v: string | JsonBytes): Uint8Array {
  if (v instanceof JsonBytes) return v.bytes;
  return Buffer.from(v, 'utf8');
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const UINT32_MAX = 4294967295;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Accumulates one input tensor's values in row-major order (FillTensorProto's `*_val`
 * appends), then builds the typed storage once the shape is final.
 */
class ValueSink {
  readonly nums: number[] = [];
  readonly bigs: bigint[] = [];
  readonly strs: Uint8Array[] = [];
  /** DT_FLOAT or DT_DOUBLE: a JS number leaf is pushed as it is (what {@link add} does with it). */
  readonly floating: boolean;
  constructor(
    readonly dtype: DTypeName,
    /** The request's budget and this tensor's alias: string bytes are counted as they come. */
    private readonly budget?: RequestBudget,
    private readonly alias = '',
  ) {
    this.floating = dtype === 'DT_FLOAT' || dtype === 'DT_DOUBLE';
  }

  get count(): number {
    return this.nums.length + this.bigs.length + this.strs.length;
  }

  /** AddValueToTensor: convert one leaf or fail with upstream's text. */
  add(v: JsonValue): void {
    const dtype = this.dtype;
    switch (dtype) {
      case 'DT_FLOAT':
      case 'DT_DOUBLE':
        if (typeof v === 'number') this.nums.push(v);
        else if (v instanceof JsonInt) this.nums.push(v.big !== null ? Number(v.big) : v.value);
        else throw typeError(v, dtype);
        return;
      case 'DT_INT32':
      case 'DT_INT16':
      case 'DT_INT8':
      case 'DT_UINT8':
        if (v instanceof JsonInt && v.big === null && v.value >= INT32_MIN && v.value <= INT32_MAX) this.nums.push(v.value);
        else throw typeError(v, dtype);
        return;
      case 'DT_INT64':
        if (v instanceof JsonInt) {
          const b = v.toBigInt();
          if (b >= INT64_MIN && b <= INT64_MAX) {
            this.bigs.push(b);
            return;
          }
        }
        throw typeError(v, dtype);
      case 'DT_UINT32':
        if (v instanceof JsonInt && v.big === null && v.value >= 0 && v.value <= UINT32_MAX) this.nums.push(v.value);
        else throw typeError(v, dtype);
        return;
      case 'DT_UINT64':
        if (v instanceof JsonInt) {
          const b = v.toBigInt();
          if (b >= 0n && b <= UINT64_MAX) {
            this.bigs.push(b);
            return;
          }
        }
        throw typeError(v, dtype);
      case 'DT_BOOL':
        if (typeof v === 'boolean') this.nums.push(v ? 1 : 0);
        else throw typeError(v, dtype);
        return;
      case 'DT_STRING':
        if (typeof v === 'string' || v instanceof JsonBytes) this.pushString(stringBytes(v));
        else if (v instanceof JsonObject) this.pushString(decodeBase64Object(v));
        else throw typeError(v, dtype);
        return;
      default:
        throw Errors.jsonConversionUnsupported(jsonDebugString(v), mustDtype(dtype).short);
    }
  }

  private pushString(bytes: Uint8Array): void {
    this.budget?.addBytes(this.alias, bytes.length);
    this.strs.push(bytes);
  }

  /** Storage for the values, or null when their count does not fit the shape (TF's FromProto failure). */
  build(shape: readonly number[]): TensorData | null {
    if (this.count !== numElements(shape)) return null;
    switch (this.dtype) {
      case 'DT_FLOAT':
        return Float32Array.from(this.nums);
      case 'DT_DOUBLE':
        return Float64Array.from(this.nums);
      case 'DT_INT32':
        return Int32Array.from(this.nums);
      case 'DT_INT16':
        return Int16Array.from(this.nums);
      case 'DT_INT8':
        return Int8Array.from(this.nums);
      case 'DT_UINT8':
      case 'DT_BOOL':
        return Uint8Array.from(this.nums);
      case 'DT_UINT32':
        return Uint32Array.from(this.nums);
      case 'DT_INT64':
        return BigInt64Array.from(this.bigs);
      case 'DT_UINT64':
        return BigUint64Array.from(this.bigs);
      case 'DT_STRING':
        return this.strs;
      default:
        // Unsupported dtypes can only get here with zero values.
        return this.count === 0 ? emptyData(this.dtype) : null;
    }
  }
}

function emptyData(dtype: DTypeName): TensorData {
  const info = mustDtype(dtype);
  switch (info.storage) {
    case 'uint16':
      return new Uint16Array(0);
    case 'complex64':
      return new Float32Array(0);
    case 'complex128':
      return new Float64Array(0);
    default:
      return new Uint8Array(0);
  }
}

function typeError(v: JsonValue, dtype: DTypeName): TfsError {
  return Errors.jsonType(jsonDebugString(v), jsonTypeName(v), mustDtype(dtype).short);
}

/**
 * GetDenseTensorShape: follow the first element at every nesting level. Stops with the
 * rank error for `alias` once the shape has more than `maxRank` dimensions (before any
 * value is converted: deeper tensors never reach the runtime).
 */
export function denseShapeOf(v: JsonValue, alias = '', maxRank = MAX_TENSOR_RANK): number[] {
  const shape: number[] = [];
  let cur: JsonValue | undefined = v;
  while (Array.isArray(cur)) {
    if (shape.length >= maxRank) checkRank(alias, MAX_TENSOR_RANK + 1);
    shape.push(cur.length);
    cur = cur.length > 0 ? cur[0] : undefined;
  }
  return shape;
}

/**
 * FillTensorProto: check every list against `shape` and append the leaves to `sink`
 * in row-major order (explicit stack, same visiting order and errors as upstream).
 * Returns the number of leaves added.
 */
function fillTensor(v: JsonValue, shape: readonly number[], sink: ValueSink): number {
  const rank = shape.length;
  let added = 0;
  const values: JsonValue[] = [v];
  const levels: number[] = [0];
  while (values.length > 0) {
    const val = values.pop()!;
    const level = levels.pop()!;
    if (!Array.isArray(val)) {
      if (level !== rank) throw Errors.jsonValueLevel(jsonDebugString(val), level, rank);
      if (val instanceof JsonObject && sink.dtype !== 'DT_STRING') throw typeError(val, sink.dtype);
      sink.add(val);
      added++;
      continue;
    }
    if (level >= rank) throw Errors.jsonListLevel(level, rank);
    if (val.length !== shape[level]) throw Errors.jsonListSize(val.length, level, shape[level]!);
    if (level + 1 === rank) {
      // Innermost lists: convert leaves directly (the common case, no stack traffic).
      if (sink.floating) {
        // Float rows of plain numbers (json-fast.ts's usual result): no per-leaf dispatch.
        const nums = sink.nums;
        let i = 0;
        for (; i < val.length; i++) {
          const leaf = val[i];
          if (typeof leaf !== 'number') break;
          nums.push(leaf);
        }
        added += i;
        if (i === val.length) continue;
        for (; i < val.length; i++) {
          const leaf = val[i]!;
          if (Array.isArray(leaf)) throw Errors.jsonListLevel(level + 1, rank);
          if (leaf instanceof JsonObject) throw typeError(leaf, sink.dtype);
          sink.add(leaf);
          added++;
        }
        continue;
      }
      for (const leaf of val) {
        if (Array.isArray(leaf)) throw Errors.jsonListLevel(level + 1, rank);
        if (leaf instanceof JsonObject && sink.dtype !== 'DT_STRING') throw typeError(leaf, sink.dtype);
        sink.add(leaf);
        added++;
      }
      continue;
    }
    for (let i = val.length - 1; i >= 0; i--) {
      values.push(val[i]!);
      levels.push(level + 1);
    }
  }
  return added;
}

/** An object element of `instances` (an object that is not a `{"b64": ...}` value). */
function isElementObject(v: JsonValue): v is JsonObject {
  return v instanceof JsonObject && !isBase64Object(v);
}

/** The converted inputs of a predict body and the layout the response must use. */
export interface PredictJsonInputs {
  inputs: Record<string, Tensor>;
  format: JsonPredictFormat;
}

/**
 * Steps 6–9 of §1.6: build the input tensors from `instances` or `inputs`, driven by
 * the signature's input map (alias → TensorSpec; its dtype decides the conversion).
 */
export function predictInputsFromJson(
  parsed: ParsedRequestBody,
  signatureInputs: Readonly<Record<string, TensorSpec>>,
): PredictJsonInputs {
  const names = Object.keys(signatureInputs).sort();
  if (names.length === 0) throw Errors.jsonNoInputMap(parsed.signatureName);
  if (parsed.fast && names.length === 1) {
    const input = fastInput(parsed.fast, names[0]!, signatureInputs[names[0]!]!.dtype);
    if (input) return { inputs: input, format: 'row' };
  }
  const { doc } = parsed;
  const instances = doc.get('instances');
  const columns = doc.get('inputs');
  if (instances !== undefined) {
    if (columns !== undefined) throw Errors.jsonInputsAndInstances(jsonDebugString(doc));
    if (!Array.isArray(instances)) throw Errors.jsonInstancesNotArray(jsonDebugString(doc));
    if (instances.length === 0) throw Errors.jsonInstancesEmpty(jsonDebugString(doc));
    return { inputs: fromInstances(instances, names, signatureInputs), format: 'row' };
  }
  if (columns !== undefined) return { inputs: fromColumns(columns, names, signatureInputs), format: 'columnar' };
  throw Errors.jsonMissingInputsOrInstances();
}

/**
 * fromInstances's result for a body json-fast.ts read whole, for one DT_FLOAT or DT_DOUBLE
 * input; null where fromInstances must decide (other dtypes, request limits exceeded: its
 * errors carry the counts at the failing instance).
 */
function fastInput(fast: FastInstances, name: string, dtype: DTypeName): Record<string, Tensor> | null {
  if (dtype !== 'DT_FLOAT' && dtype !== 'DT_DOUBLE') return null;
  const inner = fast.shape.slice(1);
  const budget = new RequestBudget();
  const instance = [1, ...inner];
  try {
    for (let i = 0; i < fast.shape[0]!; i++) budget.addTensor(name, instance, dtype);
  } catch {
    return null;
  }
  // DT_DOUBLE needs the doubles: there only when each was a float32 already.
  if (dtype === 'DT_DOUBLE' && !fast.exact) return null;
  let data: Float32Array | Float64Array;
  if (dtype === 'DT_DOUBLE') data = Float64Array.from(fast.values);
  else {
    data = fast.taken ? fast.values.slice() : fast.values;
    fast.taken = true;
  }
  return { [name]: { dtype, shape: [...fast.shape], data } };
}

function fromInstances(
  list: JsonValue[],
  names: string[],
  specs: Readonly<Record<string, TensorSpec>>,
): Record<string, Tensor> {
  const first = list[0]!;
  if (!(first instanceof JsonObject) && names.length > 1) throw Errors.jsonInstancesPlainList();
  const objects = isElementObject(first);
  const budget = new RequestBudget();
  const sinks = new Map<string, ValueSink>();
  const elemShapes = new Map<string, number[]>();
  const elemSizes = new Map<string, number>();

  // AddInstanceItem: convert one element's value for `name` and check it against the first.
  const addItem = (item: JsonValue, name: string): void => {
    let sink = sinks.get(name);
    if (!sink) {
      sink = new ValueSink(specs[name]!.dtype, budget, name);
      sinks.set(name, sink);
    }
    // The batch dimension counts towards the rank: an element may have one dimension less.
    const shape = denseShapeOf(item, name, MAX_TENSOR_RANK - 1);
    budget.addTensor(name, [1, ...shape], sink.dtype);
    const size = fillTensor(item, shape, sink);
    const firstSize = elemSizes.get(name);
    if (firstSize === undefined) {
      elemSizes.set(name, size);
      elemShapes.set(name, shape);
    } else if (firstSize !== size) {
      throw Errors.jsonTensorSize(firstSize, size);
    } else {
      const firstShape = elemShapes.get(name)!;
      if (firstShape.length !== shape.length || firstShape.some((d, k) => d !== shape[k])) {
        throw Errors.jsonTensorShape(shapeString(firstShape), shapeString(shape));
      }
    }
  };

  list.forEach((elem, i) => {
    if (objects) {
      if (!isElementObject(elem)) throw Errors.jsonExpectingObjectAt(i);
      for (let k = 0; k < elem.size; k++) {
        const key = elem.keys[k]!;
        try {
          if (!Object.hasOwn(specs, key)) throw Errors.jsonNoNamedInput(key);
          addItem(elem.values[k]!, key);
        } catch (e) {
          if (e instanceof TfsError) throw Errors.jsonInstanceElement(i, key, e);
          throw e;
        }
      }
      const keys = new Set(elem.keys);
      if (keys.size !== names.length || names.some((n) => !keys.has(n))) {
        throw Errors.jsonInstanceKeys(i, jsonDebugString(elem), names);
      }
    } else {
      if (isElementObject(elem)) throw Errors.jsonExpectingValueAt(i);
      try {
        addItem(elem, names[0]!);
      } catch (e) {
        if (e instanceof TfsError) throw Errors.jsonInstanceElement(i, undefined, e);
        throw e;
      }
    }
  });

  const out: Record<string, Tensor> = {};
  for (const [name, sink] of sinks) {
    const shape = [list.length, ...elemShapes.get(name)!];
    const data = sink.build(shape);
    // Duplicate keys append values twice upstream; TF then fails to parse the tensor.
    if (!data) throw Errors.tensorParsingError(name);
    out[name] = { dtype: sink.dtype, shape, data };
  }
  return out;
}

function fromColumns(
  val: JsonValue,
  names: string[],
  specs: Readonly<Record<string, TensorSpec>>,
): Record<string, Tensor> {
  const budget = new RequestBudget();
  const toTensor = (v: JsonValue, name: string): Tensor => {
    const sink = new ValueSink(specs[name]!.dtype, budget, name);
    const shape = denseShapeOf(v, name);
    budget.addTensor(name, shape, sink.dtype);
    fillTensor(v, shape, sink);
    const data = sink.build(shape);
    if (!data) throw Errors.tensorParsingError(name);
    return { dtype: sink.dtype, shape, data };
  };
  if (!(val instanceof JsonObject) || isBase64Object(val)) {
    if (names.length > 1) throw Errors.jsonInputsPlainValue();
    return { [names[0]!]: toTensor(val, names[0]!) };
  }
  const out: Record<string, Tensor> = {};
  for (const name of names) {
    const item = val.get(name);
    if (item === undefined) throw Errors.jsonMissingNamedInput(name);
    out[name] = toTensor(item, name);
  }
  return out;
}

/** Parse a predict body and convert it for a signature (when the signature is already known). */
export function predictRequestFromJson(
  body: Uint8Array | string,
  signatureInputs: Readonly<Record<string, TensorSpec>>,
): PredictJsonInputs & { signatureName: string } {
  const parsed = parseRequestBody(body);
  return { ...predictInputsFromJson(parsed, signatureInputs), signatureName: parsed.signatureName };
}

// ---------------------------------------------------------------------------
// Classify / regress request bodies

type FeatureKind = 'bytes' | 'float' | 'int64';
interface FeatureObj {
  bytes_list?: { value: Uint8Array[] };
  float_list?: { value: number[] };
  int64_list?: { value: (number | string)[] };
}

/** MakeExampleFromJsonObject: a JSON object of features → a tf.Example plain object. */
export function exampleFromJson(v: JsonValue): ExampleObj {
  if (!(v instanceof JsonObject)) throw Errors.jsonExampleNotObject(jsonTypeName(v));
  const feature: Record<string, FeatureObj> = {};
  for (let i = 0; i < v.size; i++) {
    const name = v.keys[i]!;
    const content = v.values[i]!;
    let kind: FeatureKind | undefined;
    const f: FeatureObj = {};
    const add = (el: JsonValue): void => {
      const want = (k: FeatureKind): void => {
        if (kind !== undefined && kind !== k) throw Errors.jsonFeatureKind(name, kind);
        kind = k;
      };
      if (el === null || Array.isArray(el)) throw Errors.jsonFeatureType(name, jsonTypeName(el));
      if (typeof el === 'boolean') {
        want('int64');
        (f.int64_list ??= { value: [] }).value.push(el ? 1 : 0);
      } else if (el instanceof JsonObject) {
        if (!isBase64Object(el)) throw Errors.jsonFeatureType(name, 'Object');
        want('bytes');
        (f.bytes_list ??= { value: [] }).value.push(decodeBase64Object(el));
      } else if (typeof el === 'string' || el instanceof JsonBytes) {
        want('bytes');
        (f.bytes_list ??= { value: [] }).value.push(stringBytes(el));
      } else if (typeof el === 'number') {
        want('float');
        (f.float_list ??= { value: [] }).value.push(el);
      } else {
        want('int64');
        const b = el.toBigInt();
        if (b > INT64_MAX) throw Errors.jsonFeatureUint64(name);
        (f.int64_list ??= { value: [] }).value.push(el.big === null ? el.value : b.toString());
      }
    };
    if (Array.isArray(content)) for (const el of content) add(el);
    else add(content);
    // A repeated member replaces the earlier one (protobuf map assignment).
    feature[name] = f;
  }
  return { features: { feature } };
}

/** FillClassifyRegressRequestFromJson: a classify/regress body → signature name + Input. */
export function classifyRegressRequestFromJson(body: Uint8Array | string): { signatureName: string; input: InputObj } {
  const { doc, signatureName } = parseRequestBody(body);
  const ctx = doc.get('context');
  const context = ctx === undefined ? undefined : exampleFromJson(ctx);
  const list = doc.get('examples');
  if (list === undefined) throw Errors.jsonExamplesMissing(jsonDebugString(doc));
  if (!Array.isArray(list)) throw Errors.jsonExamplesNotArray(jsonDebugString(doc));
  if (list.length === 0) throw Errors.jsonExamplesEmpty(jsonDebugString(doc));
  const examples = list.map(exampleFromJson);
  const input: InputObj = context
    ? { example_list_with_context: { examples, context } }
    : { example_list: { examples } };
  return { signatureName, input };
}

// ---------------------------------------------------------------------------
// Response bodies

/** Write one output value (AddSingleValueAndAdvance). */
function writeValue(w: RapidJsonPrettyWriter, t: Tensor, i: number, asBytes: boolean): void {
  switch (t.dtype) {
    case 'DT_FLOAT':
      w.raw(formatDecimal((t.data as Float32Array)[i]!, true));
      return;
    case 'DT_DOUBLE':
      w.raw(formatDecimal((t.data as Float64Array)[i]!, false));
      return;
    case 'DT_INT32':
    case 'DT_INT16':
    case 'DT_INT8':
    case 'DT_UINT8':
    case 'DT_UINT32':
      w.raw(String((t.data as Int32Array)[i]!));
      return;
    case 'DT_INT64':
    case 'DT_UINT64':
      w.raw((t.data as BigInt64Array)[i]!.toString());
      return;
    case 'DT_BOOL':
      w.raw((t.data as Uint8Array)[i] ? 'true' : 'false');
      return;
    case 'DT_STRING': {
      const bytes = (t.data as Uint8Array[])[i]!;
      if (asBytes) {
        w.startObject();
        w.key('b64');
        w.string(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'));
        w.endObject();
      } else {
        w.string(fromUtf8(bytes));
      }
      return;
    }
    default:
      throw Errors.jsonWriteUnsupported(mustDtype(t.dtype).short);
  }
}

/** AddTensorValues from dimension `dim` on, starting at flat element `offset`; returns the next offset. */
function writeTensor(w: RapidJsonPrettyWriter, t: Tensor, asBytes: boolean, dim: number, offset: number): number {
  const rank = t.shape.length;
  if (dim > rank - 1) {
    writeValue(w, t, offset, asBytes);
    return offset + 1;
  }
  w.startArray();
  const n = t.shape[dim]!;
  if (dim === rank - 1) {
    for (let i = 0; i < n; i++) writeValue(w, t, offset + i, asBytes);
    offset += n;
  } else {
    for (let i = 0; i < n; i++) offset = writeTensor(w, t, asBytes, dim + 1, offset);
  }
  w.endArray();
  return offset;
}

const isBytesAlias = (name: string, t: Tensor): boolean => t.dtype === 'DT_STRING' && name.endsWith('_bytes');

/**
 * MakeJsonFromTensors: `{"predictions": ...}` for row requests, `{"outputs": ...}` for
 * columnar ones, in rapidjson's pretty layout. Outputs are written in alias order.
 */
export function predictResponseJson(outputs: Readonly<Record<string, Tensor>>, format: JsonPredictFormat): string {
  const names = Object.keys(outputs).sort();
  if (names.length === 0) throw Errors.jsonEmptyTensorMap();
  const w = new RapidJsonPrettyWriter();
  if (format === 'columnar') {
    w.startObject();
    w.key('outputs');
    const many = names.length > 1;
    if (many) w.startObject();
    for (const name of names) {
      const t = outputs[name]!;
      if (many) w.key(name);
      writeTensor(w, t, isBytesAlias(name, t), 0, 0);
    }
    if (many) w.endObject();
    w.endObject();
    return w.out;
  }
  let batch = -1;
  for (const name of names) {
    const t = outputs[name]!;
    if (t.shape.length === 0) throw Errors.jsonNoShape(name);
    const b = t.shape[0]!;
    if (batch >= 0 && b !== batch) throw Errors.jsonInconsistentBatch(name, b, batch);
    batch = b;
  }
  // Where each output (in `names` order) is up to: no Map per answer.
  const offsets = new Array<number>(names.length).fill(0);
  w.startObject();
  w.key('predictions');
  w.startArray();
  const many = names.length > 1;
  for (let item = 0; item < batch; item++) {
    if (many) w.startObject();
    w.singleLineArrays = true;
    for (let o = 0; o < names.length; o++) {
      const name = names[o]!;
      const t = outputs[name]!;
      if (many) w.key(name);
      offsets[o] = writeTensor(w, t, isBytesAlias(name, t), 1, offsets[o]!);
    }
    w.singleLineArrays = false;
    if (many) w.endObject();
  }
  w.endArray();
  w.endObject();
  return w.out;
}

/** MakeJsonFromClassificationResult: `{"results": [[[label, score], ...], ...]}`. */
export function classifyResponseJson(result: ClassificationResultObj): string {
  if (result.classifications.length === 0) throw Errors.jsonEmptyClassification();
  const w = new RapidJsonPrettyWriter();
  w.startObject();
  w.key('results');
  w.startArray();
  for (const c of result.classifications) {
    w.singleLineArrays = true;
    w.startArray();
    for (const cls of c.classes) {
      w.startArray();
      w.string(cls.label);
      w.raw(formatDecimal(Math.fround(cls.score), true));
      w.endArray();
    }
    w.endArray();
    w.singleLineArrays = false;
  }
  w.endArray();
  w.endObject();
  return w.out;
}

/** MakeJsonFromRegressionResult: `{"results": [v, ...]}`. */
export function regressResponseJson(result: RegressionResultObj): string {
  if (result.regressions.length === 0) throw Errors.jsonEmptyRegression();
  const w = new RapidJsonPrettyWriter();
  w.startObject();
  w.key('results');
  w.singleLineArrays = true;
  w.startArray();
  for (const r of result.regressions) w.raw(formatDecimal(Math.fround(r.value), true));
  w.endArray();
  w.endObject();
  return w.out;
}

/** MakeJsonFromStatus: `{\n    "error": "<message>"\n}`. */
export function errorJson(message: string): string {
  const w = new RapidJsonPrettyWriter();
  w.startObject();
  w.key('error');
  w.string(message);
  w.endObject();
  return w.out;
}
