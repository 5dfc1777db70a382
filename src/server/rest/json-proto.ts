/**
 * Protobuf-style JSON for the REST status and metadata bodies (spec §1.4, §1.5).
 *
 * Upstream prints these with protobuf's JSON printer (whitespace on, primitive fields
 * always printed, enums as names, 64-bit integers as strings; metadata keeps proto
 * field names). Unlike predict/classify/regress bodies (hand-written rapidjson JSON,
 * see json-tensor.ts), these go through {@link protoMessageJson}, a reflection-driven
 * printer over our protos, so every SignatureDef field prints as upstream prints it.
 */
import protobuf from 'protobufjs';
import type { ModelVersionStatus } from '../../core/server-core-api.js';
import { lookupType } from '../../proto/root.js';
import { type ProtoJsonValue, protoJsonPretty } from '../../tensor/json-writer.js';

const INT64_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const WRAPPERS: Record<string, string> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

/** The shortest text that reads back as the same float32 (protobuf prints floats as floats). */
function float32Json(v: number): ProtoJsonValue {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  for (let p = 1; p <= 9; p++) {
    const n = Number(v.toPrecision(p));
    if (Math.fround(n) === Math.fround(v)) return n;
  }
  return v;
}

function scalarJson(type: string, v: unknown): ProtoJsonValue {
  switch (type) {
    case 'double': {
      const n = Number(v ?? 0);
      if (Number.isNaN(n)) return 'NaN';
      if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
      return n;
    }
    case 'float':
      return float32Json(Number(v ?? 0));
    case 'bool':
      return Boolean(v);
    case 'string':
      return String(v ?? '');
    case 'bytes': {
      if (v === undefined || v === null) return '';
      if (typeof v === 'string') return v; // already base64 (protobufjs `bytes: String`)
      const b = v as Uint8Array;
      return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
    }
    default:
      if (INT64_TYPES.has(type)) return v === undefined || v === null ? '0' : String(v);
      return Number(v ?? 0);
  }
}

function fieldValueJson(field: protobuf.Field, v: unknown): ProtoJsonValue {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) {
    if (typeof v === 'string') return v;
    const n = Number(v ?? 0);
    return rt.valuesById[n] ?? n;
  }
  if (rt instanceof protobuf.Type) {
    const wrapped = WRAPPERS[rt.fullName.replace(/^\./, '')];
    if (wrapped) return scalarJson(wrapped, (v as { value?: unknown } | null)?.value);
    return protoMessageJson(rt, (v ?? {}) as Record<string, unknown>);
  }
  return scalarJson(field.type, v);
}

/**
 * A message (plain object in protobufjs toObject form, snake_case keys) as protobuf's JSON
 * printer shapes it with `always_print_primitive_fields` and proto field names: fields in
 * field-number order with set oneof members last, unset singular messages omitted,
 * empty repeated/map fields as `[]`/`{}`, int64 as strings, enums by name.
 */
export function protoMessageJson(type: protobuf.Type, obj: Record<string, unknown>): { [k: string]: ProtoJsonValue } {
  const out: { [k: string]: ProtoJsonValue } = {};
  const fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
  const isOneofMember = (f: protobuf.Field): boolean => f.partOf !== null && f.partOf !== undefined && !f.partOf.name.startsWith('_');
  const emit = (f: protobuf.Field): void => {
    f.resolve();
    const v = obj[f.name];
    const present = v !== undefined && v !== null;
    if (f.map) {
      const m: { [k: string]: ProtoJsonValue } = {};
      for (const [k, item] of Object.entries((v ?? {}) as Record<string, unknown>)) m[k] = fieldValueJson(f, item);
      out[f.name] = m;
    } else if (f.repeated) {
      out[f.name] = ((v ?? []) as unknown[]).map((item) => fieldValueJson(f, item));
    } else if (f.resolvedType instanceof protobuf.Type) {
      if (present) out[f.name] = fieldValueJson(f, v);
    } else if (isOneofMember(f)) {
      if (present) out[f.name] = fieldValueJson(f, v);
    } else {
      out[f.name] = fieldValueJson(f, v);
    }
  };
  for (const f of fields) if (!isOneofMember(f)) emit(f);
  for (const f of fields) if (isOneofMember(f)) emit(f);
  return out;
}

/** GET /v1/models/{m}[/versions/{v}] body: GetModelStatusResponse as protobuf JSON. */
export function modelStatusJson(rows: readonly ModelVersionStatus[]): string {
  return protoJsonPretty({
    model_version_status: rows.map((r) => ({
      version: String(r.version),
      state: r.state,
      status: { error_code: r.status.errorCode, error_message: r.status.errorMessage },
    })),
  });
}

let signatureDefMapType: protobuf.Type | undefined;

/**
 * GET .../metadata body, built as upstream concatenates it: the ModelSpec and the
 * SignatureDefMap printed separately (each with protobuf's trailing newline) inside
 * `{\n"model_spec":…,\n"metadata": {"signature_def": …}\n}\n`.
 */
export function modelMetadataJson(md: {
  modelSpec: { name: string; version: number };
  signatureDefMap: Record<string, unknown>;
}): string {
  const spec = protoJsonPretty({ name: md.modelSpec.name, signature_name: '', version: String(md.modelSpec.version) });
  signatureDefMapType ??= lookupType('tensorflow.serving.SignatureDefMap');
  const map = protoJsonPretty(protoMessageJson(signatureDefMapType, { signature_def: md.signatureDefMap }));
  return `{\n"model_spec":${spec},\n"metadata": {"signature_def": ${map}}\n}\n`;
}
