/**
 * Config validation: the rules protos cannot express live in JSON Schemas
 * (schemas/config/<kind>.schema.json) checked with ajv; every failure becomes a
 * {@link ConfigIssue} that names file:line:column (mapped back from the JSON path of the
 * ajv error to the field's position in the text) and says how to fix it.
 *
 * Schemas carry their messages next to the rule, as annotations:
 * - `errorMessages: { <keyword>: "<template>" }` — the message (upstream's exact text when
 *   upstream has one), with `{value}`, `{model}` (name of the enclosing model),
 *   `{number}` (proto number of an enum value, via `enumNumbers`), `{field}` (dotted path),
 *   `{key}` (last path segment, e.g. a map key) and `{param.<name>}` (ajv error params)
 *   substituted;
 * - `errorHints: { <keyword>: "<how to fix>" }` — same placeholders;
 * - `upstreamErrors: [<keyword>…]` — these messages are upstream's exact texts (the issue
 *   gets `upstream: true`; other rules are tfs's own, stricter checks);
 * - `errorAt: { <keyword>: "/<relative pointer>" }` — report at this field of the instance
 *   instead of at the instance itself (e.g. a `required` implied by another field).
 * Custom keywords (generic, rules stay in the schemas): `uniqueItemsBy` (a property that
 * must be unique across array items), `strictlyIncreasing`, `lastItemEquals` (with $data).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import protobuf from 'protobufjs';
import { Code, TfsError } from '../errors.js';
import { schemasDir } from '../util/paths.js';
import { jsonPointer, type TextFormatDocument } from '../proto/text-format.js';

/** The four config file kinds tfs reads. */
export type ConfigKind = 'model_config' | 'batching' | 'monitoring' | 'ssl';

export const CONFIG_KINDS: readonly ConfigKind[] = ['model_config', 'batching', 'monitoring', 'ssl'];

/** Proto message of each kind (text format root type). */
export const CONFIG_KIND_TYPES: Readonly<Record<ConfigKind, string>> = {
  model_config: 'tensorflow.serving.ModelServerConfig',
  batching: 'tensorflow.serving.BatchingParameters',
  monitoring: 'tensorflow.serving.MonitoringConfig',
  ssl: 'tensorflow.serving.SSLConfig',
};

/** One problem in a config file. Errors make the file invalid; warnings do not. */
export interface ConfigIssue {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  /** 1-based; 0 when the config did not come from a text file (e.g. a gRPC request). */
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** How to fix it. */
  readonly hint?: string;
  /** JSON Pointer of the field in the parsed config ('' for the whole file). */
  readonly path: string;
  /** True when tensorflow_model_server rejects the same thing with this exact text. */
  readonly upstream?: boolean;
}

/** `file:line:column: message` (or `file: message` without a position). */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  return `${where}: ${issue.severity === 'warning' ? 'warning: ' : ''}${issue.message}`;
}

/**
 * A config that failed to parse or validate: INVALID_ARGUMENT (or the code upstream uses)
 * whose message is the first error's text (upstream's exact text where it has one) and
 * whose `issues` list every error and warning found.
 */
export class ConfigError extends TfsError {
  readonly issues: readonly ConfigIssue[];
  readonly file: string;
  readonly kind: ConfigKind;

  constructor(kind: ConfigKind, file: string, issues: readonly ConfigIssue[], message?: string, code: Code = Code.INVALID_ARGUMENT) {
    const first = issues.find((i) => i.severity === 'error');
    const opts: { hint?: string; location?: { file: string; line: number; column: number } } = {};
    if (first?.hint !== undefined) opts.hint = first.hint;
    if (first && first.line > 0) opts.location = { file: first.file, line: first.line, column: first.column };
    super(code, message ?? first?.message ?? `invalid ${kind} config`, opts);
    this.name = 'ConfigError';
    this.issues = issues;
    this.file = file;
    this.kind = kind;
  }

  /** Every error, one `file:line:column: message` line each (hints indented below). */
  get details(): string {
    return this.issues
      .filter((i) => i.severity === 'error')
      .map((i) => formatIssue(i) + (i.hint ? `\n  fix: ${i.hint}` : ''))
      .join('\n');
  }
}

// ---------------------------------------------------------------------------------------
// JSON view: the toObject shape with int64 decimal strings turned into numbers (so JSON
// Schema can compare them) and bytes into base64.

/** A JSON-friendly copy of a toObject-style message of `type`. */
export function jsonView(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const field = type.fields[k];
    out[k] = field ? jsonField(field, v) : v;
  }
  return out;
}

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function jsonScalar(field: protobuf.FieldBase, typeName: string, resolved: protobuf.ReflectionObject | null, v: unknown): unknown {
  if (resolved instanceof protobuf.Type && v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    return jsonView(resolved, v as Record<string, unknown>);
  }
  // int64 arrive as decimal strings (our toObject options), numbers, bigints or Long objects.
  if (LONG_TYPES.has(typeName) && (typeof v === 'string' || typeof v === 'bigint' || (typeof v === 'object' && v !== null && !(v instanceof Uint8Array)))) {
    const n = Number(String(v));
    return Number.isSafeInteger(n) ? n : String(v);
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  void field;
  return v;
}

function jsonField(field: protobuf.Field, v: unknown): unknown {
  field.resolve();
  if (field instanceof protobuf.MapField) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries((v ?? {}) as Record<string, unknown>)) out[k] = jsonScalar(field, field.type, field.resolvedType, x);
    return out;
  }
  if (field.repeated && Array.isArray(v)) return v.map((x) => jsonScalar(field, field.type, field.resolvedType, x));
  return jsonScalar(field, field.type, field.resolvedType, v);
}

// ---------------------------------------------------------------------------------------
// ajv

let ajvInstance: Ajv | undefined;
const validators = new Map<ConfigKind, ValidateFunction>();

function ajv(): Ajv {
  if (ajvInstance) return ajvInstance;
  const a = new Ajv({ allErrors: true, verbose: true, $data: true, strict: true, strictRequired: false, allowUnionTypes: true });
  // Annotations read back when an error is reported.
  a.addKeyword({ keyword: 'errorMessages', schemaType: 'object' });
  a.addKeyword({ keyword: 'errorHints', schemaType: 'object' });
  a.addKeyword({ keyword: 'enumNumbers', schemaType: 'object' });
  a.addKeyword({ keyword: 'upstreamErrors', schemaType: 'array' });
  a.addKeyword({ keyword: 'errorAt', schemaType: 'object' });
  a.addKeyword({
    keyword: 'uniqueItemsBy',
    type: 'array',
    schemaType: 'string',
    errors: true,
    validate: function uniqueItemsBy(prop: string, data: unknown[], _ps?: unknown, cxt?: { instancePath: string }) {
      const seen = new Map<unknown, number>();
      const errors: Partial<ErrorObject>[] = [];
      data.forEach((item, i) => {
        if (!item || typeof item !== 'object') return;
        const v = (item as Record<string, unknown>)[prop];
        if (v === undefined) return;
        if (seen.has(v)) {
          errors.push({
            keyword: 'uniqueItemsBy',
            instancePath: `${cxt?.instancePath ?? ''}/${i}/${prop}`,
            params: { duplicate: v, first: seen.get(v), index: i },
            message: `must not repeat ${prop} ${String(v)}`,
          });
        } else seen.set(v, i);
      });
      (uniqueItemsBy as unknown as { errors: Partial<ErrorObject>[] }).errors = errors;
      return errors.length === 0;
    },
  });
  a.addKeyword({
    keyword: 'strictlyIncreasing',
    type: 'array',
    schemaType: 'boolean',
    errors: true,
    validate: function strictlyIncreasing(on: boolean, data: unknown[], _ps?: unknown, cxt?: { instancePath: string }) {
      const errors: Partial<ErrorObject>[] = [];
      if (on) {
        for (let i = 1; i < data.length; i++) {
          if (!(Number(data[i]) > Number(data[i - 1]))) {
            errors.push({
              keyword: 'strictlyIncreasing',
              instancePath: `${cxt?.instancePath ?? ''}/${i}`,
              params: { previous: data[i - 1], index: i },
              message: 'must be strictly increasing',
            });
            break; // upstream stops at the first one
          }
        }
      }
      (strictlyIncreasing as unknown as { errors: Partial<ErrorObject>[] }).errors = errors;
      return errors.length === 0;
    },
  });
  a.addKeyword({
    keyword: 'lastItemEquals',
    type: 'array',
    $data: true,
    errors: true,
    validate: function lastItemEquals(expected: unknown, data: unknown[], _ps?: unknown, cxt?: { instancePath: string }) {
      const errors: Partial<ErrorObject>[] = [];
      if (data.length > 0 && expected !== undefined && Number(data[data.length - 1]) !== Number(expected)) {
        errors.push({
          keyword: 'lastItemEquals',
          instancePath: `${cxt?.instancePath ?? ''}/${data.length - 1}`,
          params: { last: data[data.length - 1], expected },
          message: `last item must equal ${String(expected)}`,
        });
      }
      (lastItemEquals as unknown as { errors: Partial<ErrorObject>[] }).errors = errors;
      return errors.length === 0;
    },
  });
  ajvInstance = a;
  return a;
}

/** schemas/config/<kind>.schema.json */
export function configSchemaPath(kind: ConfigKind): string {
  return join(schemasDir, 'config', `${kind}.schema.json`);
}

const schemas = new Map<ConfigKind, Record<string, unknown>>();

function schemaOf(kind: ConfigKind): Record<string, unknown> {
  let s = schemas.get(kind);
  if (!s) {
    s = JSON.parse(readFileSync(configSchemaPath(kind), 'utf8')) as Record<string, unknown>;
    schemas.set(kind, s);
  }
  return s;
}

function validatorFor(kind: ConfigKind): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    v = ajv().compile(schemaOf(kind));
    validators.set(kind, v);
  }
  return v;
}

/** The schema object holding the failing keyword (errors of custom keywords carry no parentSchema). */
function schemaNodeOf(root: Record<string, unknown>, schemaPath: string): Record<string, unknown> {
  const segs = schemaPath.replace(/^#\/?/, '').split('/').filter((s) => s !== '');
  segs.pop(); // the keyword itself
  let cur: unknown = root;
  for (const raw of segs) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return {};
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur && typeof cur === 'object' ? (cur as Record<string, unknown>) : {};
}

/** Where the issues point: the parsed document (positions) or nothing (decoded protos). */
export interface IssueSource {
  readonly file: string;
  readonly doc?: TextFormatDocument | undefined;
}

/** An issue at a JSON path, positioned through the document when there is one. */
export function issueAt(
  source: IssueSource,
  path: string | readonly (string | number)[],
  severity: ConfigIssue['severity'],
  message: string,
  hint?: string,
  which: 'name' | 'value' = 'name',
): ConfigIssue {
  const pointer = typeof path === 'string' ? path : jsonPointer(path);
  const pos = source.doc ? source.doc.locate(pointer, which) : { line: 0, column: 0 };
  const issue: ConfigIssue = { severity, file: source.file, line: pos.line, column: pos.column, message, path: pointer };
  return hint === undefined ? issue : { ...issue, hint };
}

const WRAPPER_KEYWORDS = new Set(['if', 'then', 'else', 'anyOf', 'oneOf', 'allOf', '$ref']);

function getAt(data: unknown, pointer: string): unknown {
  if (pointer === '') return data;
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** Name of the innermost object with a string `name` on the way to `pointer` (the model). */
function enclosingName(data: unknown, pointer: string): string {
  let p = pointer;
  for (;;) {
    const v = getAt(data, p);
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Record<string, unknown>)['name'] === 'string') {
      return (v as Record<string, unknown>)['name'] as string;
    }
    if (p === '') return '';
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

function dotted(pointer: string): string {
  return pointer
    .slice(1)
    .split('/')
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
}

function fill(template: string, vars: Record<string, unknown>, params: Record<string, unknown>): string {
  return template.replace(/\{([a-zA-Z_.]+)\}/g, (m, name: string) => {
    if (name.startsWith('param.')) {
      const v = params[name.slice(6)];
      return v === undefined ? m : String(v);
    }
    const v = vars[name];
    return v === undefined ? m : String(v);
  });
}

/**
 * Checks `value` (a JSON view, see {@link jsonView}) against schemas/config/<kind>.schema.json.
 * Every ajv error becomes an issue positioned through `source.doc`.
 */
export function schemaIssues(kind: ConfigKind, value: unknown, source: IssueSource): ConfigIssue[] {
  const validate = validatorFor(kind);
  if (validate(value)) return [];
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const err of validate.errors ?? []) {
    // Built-in keywords carry their schema object (verbose); custom ones are found by path.
    const parent = (err.parentSchema as Record<string, unknown> | undefined) ?? schemaNodeOf(schemaOf(kind), err.schemaPath);
    const messages = (parent['errorMessages'] ?? {}) as Record<string, string>;
    const hints = (parent['errorHints'] ?? {}) as Record<string, string>;
    const template = messages[err.keyword];
    if (template === undefined && WRAPPER_KEYWORDS.has(err.keyword)) continue; // the inner errors say it
    const params = (err.params ?? {}) as Record<string, unknown>;
    // `required` points at the object; name the missing field in the path.
    const pointer = err.keyword === 'required' ? `${err.instancePath}/${String(params['missingProperty'])}` : err.instancePath;
    const data = getAt(value, pointer);
    const enumNumbers = (parent['enumNumbers'] ?? {}) as Record<string, number>;
    const vars: Record<string, unknown> = {
      value: data === undefined ? '' : typeof data === 'object' ? JSON.stringify(data) : data,
      model: enclosingName(value, pointer),
      number: typeof data === 'string' && data in enumNumbers ? enumNumbers[data] : data,
      field: dotted(pointer),
      key: pointer.slice(pointer.lastIndexOf('/') + 1).replace(/~1/g, '/').replace(/~0/g, '~'),
    };
    const message = template !== undefined ? fill(template, vars, params) : `${dotted(pointer) || kind}: ${err.message ?? 'is invalid'}`;
    const hintTemplate = hints[err.keyword];
    const hint = hintTemplate !== undefined ? fill(hintTemplate, vars, params) : undefined;
    const key = `${pointer}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // A missing field is reported where its parent was written (or where errorAt says).
    const errorAt = ((parent['errorAt'] ?? {}) as Record<string, string>)[err.keyword];
    const at = errorAt !== undefined ? err.instancePath + errorAt : err.keyword === 'required' ? err.instancePath : pointer;
    const issue = issueAt(source, at, 'error', message, hint, err.keyword === 'required' && errorAt === undefined ? 'name' : 'value');
    const upstream = ((parent['upstreamErrors'] ?? []) as string[]).includes(err.keyword);
    issues.push(upstream ? { ...issue, upstream: true } : issue);
  }
  return issues;
}

/** Sorts issues by position (errors and warnings interleaved as they appear in the file). */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}
