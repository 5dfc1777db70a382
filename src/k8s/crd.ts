/**
 * Objects of CRDs kubernetes-models has no types for (KEDA, KServe): plain manifests checked
 * against the schemas vendored in schemas/k8s/ (written from the CRDs' published field
 * definitions), with ajv. Their embedded core types (the ServingRuntime's containers, the
 * ScaledObject's HPA behavior) are checked with kubernetes-models by the builders.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { schemasDir } from '../util/paths.js';

/** The vendored CRD schemas, by `apiVersion/kind`. */
const SCHEMA_FILES: Readonly<Record<string, string>> = {
  'keda.sh/v1alpha1/ScaledObject': 'keda-scaledobject.schema.json',
  'serving.kserve.io/v1alpha1/ServingRuntime': 'kserve-servingruntime.schema.json',
  'serving.kserve.io/v1beta1/InferenceService': 'kserve-inferenceservice.schema.json',
};

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

/** The validator for `apiVersion/kind` (schemas load once, lazily). */
export function crdValidator(key: string): ValidateFunction {
  let v = compiled.get(key);
  if (v) return v;
  const file = SCHEMA_FILES[key];
  if (!file) throw new Error(`no vendored schema for ${key}`);
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
    for (const f of Object.values(SCHEMA_FILES)) ajv.addSchema(JSON.parse(readFileSync(join(schemasDir, 'k8s', f), 'utf8')) as object, f);
  }
  v = ajv.getSchema(file)!;
  compiled.set(key, v);
  return v;
}

/** A CRD object with the `toJSON` / `validate` pair kubernetes-models objects have. */
export class CrdObject {
  constructor(private readonly data: Record<string, unknown> & { apiVersion: string; kind: string }) {}

  toJSON(): Record<string, unknown> {
    return this.data;
  }

  /** Throws with every schema error (`/spec/triggers/0/type must be string`, ...). */
  validate(): void {
    const v = crdValidator(`${this.data.apiVersion}/${this.data.kind}`);
    if (v(this.data)) return;
    throw new Error((v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; '));
  }
}
