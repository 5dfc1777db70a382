/**
 * ModelSpec: which model, version (or label) and signature a request addresses.
 *
 * This is the transport-neutral form shared by REST (built from the URL) and gRPC
 * (built from `tensorflow.serving.ModelSpec`). {@link servableRequestOf} turns it into
 * the {@link ServableRequest} the lifecycle core resolves, with upstream's texts for
 * a missing or nameless spec (server_core.cc `ServableRequestFromModelSpec`).
 */
import type { ServableRequest } from '../core/server-core-api.js';
import { Errors } from '../errors.js';

export interface ModelSpec {
  name: string;
  /** A specific version (`ModelSpec.version`, an Int64Value wrapper upstream). */
  version?: number;
  /** A version label (`ModelSpec.version_label`); exclusive with `version`. */
  versionLabel?: string;
  /** Signature key; empty or absent = `serving_default`. */
  signatureName?: string;
}

/** The signature key used when a request names none. */
export const DEFAULT_SIGNATURE_KEY = 'serving_default';

/**
 * Map a ModelSpec to the request the core resolves: `Specific(name, v)` when a version
 * is set, a label lookup when a label is set, else `Latest(name)`.
 * Throws INVALID_ARGUMENT `Missing ModelSpec` / `ModelSpec has no name specified.` /
 * `Both model version (v) and model version label (l) cannot be supplied.`.
 */
export function servableRequestOf(spec: ModelSpec | undefined): ServableRequest {
  if (!spec) throw Errors.missingModelSpec();
  if (!spec.name) throw Errors.modelSpecNoName();
  const hasLabel = spec.versionLabel !== undefined && spec.versionLabel !== '';
  if (spec.version !== undefined && hasLabel) throw Errors.versionAndLabel(spec.version, spec.versionLabel!);
  if (spec.version !== undefined) return { name: spec.name, version: spec.version };
  if (hasLabel) return { name: spec.name, label: spec.versionLabel! };
  return { name: spec.name };
}

/** The signature key a spec resolves to (`serving_default` when empty). */
export function signatureKeyOf(spec: ModelSpec | undefined): string {
  return spec?.signatureName ? spec.signatureName : DEFAULT_SIGNATURE_KEY;
}

/**
 * A `tensorflow.serving.ModelSpec` in protobufjs `toObject` form (snake_case, int64 as
 * string or number, `version` as the Int64Value wrapper `{value}`) to a {@link ModelSpec}.
 * Returns undefined when `obj` is null/undefined (the request had no model_spec).
 */
export function modelSpecFromProto(obj: unknown): ModelSpec | undefined {
  if (obj === null || obj === undefined || typeof obj !== 'object') return undefined;
  const o = obj as {
    name?: string;
    version?: { value?: number | string | bigint | { toString(): string } } | null;
    version_label?: string;
    signature_name?: string;
  };
  const spec: ModelSpec = { name: o.name ?? '' };
  if (o.version !== undefined && o.version !== null) {
    // An Int64Value with no value set means version 0 (present wrapper, default value).
    const v = o.version.value;
    spec.version = v === undefined || v === null ? 0 : exactVersion(o.name ?? '', typeof v === 'object' ? v.toString() : String(v));
  }
  if (o.version_label) spec.versionLabel = o.version_label;
  if (o.signature_name) spec.signatureName = o.signature_name;
  return spec;
}

/**
 * An int64 version (decimal text) as the number the core keys versions by. Versions are
 * never rounded: one beyond 2^53 cannot be loaded (the file-system source skips such
 * directories), so it is reported NOT_FOUND with its exact digits.
 */
export function exactVersion(name: string, text: string): number {
  const big = BigInt(text);
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw Errors.noSuchVersionOfModel(name, big.toString());
  }
  return Number(big);
}
