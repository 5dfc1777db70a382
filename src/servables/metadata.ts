/**
 * GetModelMetadata: the one implementation behind REST `GET .../metadata` and gRPC
 * `GetModelMetadata` (upstream get_model_metadata_impl.cc).
 *
 * Checks, in upstream's order: a model_spec must be present (`Missing ModelSpec`), at
 * least one metadata_field must be asked for, and only `signature_def` is supported —
 * all before the model is looked up.
 */
import type { ServerCoreApi } from '../core/server-core-api.js';
import { Errors } from '../errors.js';
import type { ModelSpec } from './model-spec.js';
import { withServable } from './predict.js';
import type { ModelServable } from '../core/servable.js';

/** The only metadata field upstream supports. */
export const SIGNATURE_DEF_FIELD = 'signature_def';

export interface ModelMetadataRequest {
  modelSpec?: ModelSpec | undefined;
  metadataFields: readonly string[];
}

export interface ModelMetadataResult {
  /** Name as requested, version of the servable actually used (no signature_name). */
  modelSpec: { name: string; version: number };
  /**
   * SignatureDef by key, each a plain object in protobufjs toObject form (snake_case),
   * i.e. the `signature_def` field of a tensorflow.serving.SignatureDefMap.
   */
  signatureDefMap: Record<string, unknown>;
}

/** The servable's SignatureDefs keyed by signature key, whichever form the servable stores. */
export function signatureDefsOf(servable: ModelServable): Record<string, unknown> {
  const map = servable.signatureDefMap as Record<string, unknown>;
  const inner = map[SIGNATURE_DEF_FIELD];
  // The SignatureDefMap message form nests the map under `signature_def`.
  if (inner && typeof inner === 'object' && !('method_name' in inner) && !servable.signatures.has(SIGNATURE_DEF_FIELD)) {
    return { ...(inner as Record<string, unknown>) };
  }
  return { ...map };
}

/** Run GetModelMetadata. Throws TfsError with upstream's texts. */
export async function getModelMetadata(core: ServerCoreApi, req: ModelMetadataRequest): Promise<ModelMetadataResult> {
  const spec = req.modelSpec;
  if (!spec) throw Errors.missingModelSpec();
  if (req.metadataFields.length === 0) throw Errors.metadataFieldMissing();
  for (const f of req.metadataFields) if (f !== SIGNATURE_DEF_FIELD) throw Errors.metadataFieldUnsupported(f);
  return withServable(core, spec, async (handle) => ({
    modelSpec: { name: spec.name, version: handle.version },
    signatureDefMap: signatureDefsOf(handle.servable),
  }));
}
