/**
 * Op support for `tfs inspect`: which operations of each serving signature the embedded
 * runtime lacks, and so which signatures `tfs serve` serves. It runs the same freezer a
 * load runs (runtime/freeze), so what it reports is exactly what a load leaves out (or, when
 * no signature or the init op is supported, refuses with TFS_ERR_MODEL_UNSUPPORTED_OPS); no
 * second list of ops is kept here.
 */
import { asTfsError } from '../errors.js';
import { freezeSavedModel, freezeSourceOf, INIT_OP_SIGNATURE_KEY, isExecutableOp, problemsBySignature } from '../runtime/index.js';
import { readSavedModel } from '../savedmodel/saved-model.js';

/** One serving signature: the ops the runtime lacks and any other problem freezing it found. */
export interface SignatureOpSupport {
  readonly key: string;
  /** True when the signature would load and run (no unsupported op, no other problem). */
  readonly supported: boolean;
  /** Op types the runtime cannot execute, sorted. */
  readonly unsupportedOps: string[];
  /** Other problems freezing found for this signature (as a load reports them). */
  readonly errors: string[];
}

/** Op support of one MetaGraphDef. */
export interface OpSupport {
  readonly tags: string[];
  /** Whether every signature, and the init op, would load. */
  readonly supported: boolean;
  /**
   * The signatures `tfs serve` serves: all supported ones, while the init op is supported
   * and at least one signature is (the others answer UNIMPLEMENTED); empty when serve refuses
   * the model (and always, with --refuse_partial_models, unless `supported`).
   */
  readonly servedSignatures: string[];
  readonly signatures: SignatureOpSupport[];
  /** Ops the model's init op (tables, variable initialisers) needs that the runtime lacks. */
  readonly initOpUnsupportedOps: string[];
  /** Other problems with the init op. */
  readonly initOpErrors: string[];
  /** Signatures the reader could not represent, with why (they are not served). */
  readonly skippedSignatures: { key: string; reason: string }[];
  /** Set when the model could not be read or frozen at all (e.g. a corrupt checkpoint). */
  readonly error?: string;
}

/** The freezer's "who needs it" label for the init op (runtime/freeze). */
const INIT_OP_LABEL = 'init op';

/** Errors the freezer files under `<sig>: <message>`, for one signature key. */
function errorsOf(key: string, errors: readonly string[]): string[] {
  const prefix = `${key}: `;
  return errors.filter((e) => e.startsWith(prefix)).map((e) => e.slice(prefix.length));
}

/** Freeze the MetaGraphDef tagged `tags` in `dir` and report, per signature, what the runtime lacks. */
export function opSupport(dir: string, tags: readonly string[]): OpSupport {
  let model;
  try {
    model = readSavedModel(dir, { tags });
  } catch (e) {
    return { tags: [...tags], supported: false, servedSignatures: [], signatures: [], initOpUnsupportedOps: [], initOpErrors: [], skippedSignatures: [], error: asTfsError(e).message };
  }
  const skippedSignatures = model.skippedSignatures.filter((s) => s.key !== INIT_OP_SIGNATURE_KEY).map((s) => ({ key: s.key, reason: s.reason }));
  const keys = [...model.signatures.keys()];
  let frozen;
  try {
    frozen = freezeSavedModel(freezeSourceOf(model), { modelId: 0, isExecutable: isExecutableOp, signatureKeys: keys, fuse: false });
  } catch (e) {
    return { tags: [...model.tags], supported: false, servedSignatures: [], signatures: [], initOpUnsupportedOps: [], initOpErrors: [], skippedSignatures, error: asTfsError(e).message };
  }
  const needs = (who: string): string[] =>
    [...frozen.unsupported.entries()]
      .filter(([, by]) => by.has(who))
      .map(([op]) => op)
      .sort();
  const signatures = keys.map((key) => {
    const unsupportedOps = needs(key);
    const errors = errorsOf(key, frozen.errors);
    return { key, supported: unsupportedOps.length === 0 && errors.length === 0, unsupportedOps, errors };
  });
  const initOpUnsupportedOps = needs(INIT_OP_LABEL);
  const initOpErrors = errorsOf(INIT_OP_LABEL, frozen.errors);
  const supported = signatures.every((s) => s.supported) && initOpUnsupportedOps.length === 0 && initOpErrors.length === 0;
  // What a load does (runtime/model-runtime.ts): problems of some signatures leave them out.
  const problems = problemsBySignature(keys, frozen.unsupported, frozen.errors);
  const served = problems ? keys.filter((k) => !problems.has(k)) : [];
  return { tags: [...model.tags], supported, servedSignatures: served, signatures, initOpUnsupportedOps, initOpErrors, skippedSignatures };
}

/** What `tfs serve` does with a model some of whose signatures are not supported. */
function servingLine(r: OpSupport): string {
  if (r.servedSignatures.length === 0) return '  tfs serve refuses this model (what it lacks is above)';
  const unserved = r.signatures.filter((s) => !s.supported).map((s) => s.key);
  return `  tfs serve serves ${r.servedSignatures.join(', ')}; ${unserved.join(', ')} answer${unserved.length === 1 ? 's' : ''} every request with UNIMPLEMENTED (with --refuse_partial_models it refuses this model)`;
}

/** The text section `tfs inspect` prints after saved_model_cli's output. */
export function opSupportLines(reports: readonly OpSupport[], onlySignature?: string): string[] {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push('', `Op support in the tfs runtime, MetaGraphDef with tag-set: '${r.tags.join(', ')}':`);
    if (r.error !== undefined) {
      lines.push(`  cannot check: ${r.error}`);
      continue;
    }
    for (const s of r.signatures) {
      if (onlySignature !== undefined && s.key !== onlySignature) continue;
      if (s.supported) lines.push(`  signature_def['${s.key}']: all ops supported`);
      else {
        lines.push(`  signature_def['${s.key}']: NOT SUPPORTED`);
        if (s.unsupportedOps.length > 0) lines.push(`    ops the runtime lacks: ${s.unsupportedOps.join(', ')}`);
        for (const e of s.errors) lines.push(`    ${e}`);
      }
    }
    if (r.initOpUnsupportedOps.length > 0) lines.push(`  init op: ops the runtime lacks: ${r.initOpUnsupportedOps.join(', ')}`);
    for (const e of r.initOpErrors) lines.push(`  init op: ${e}`);
    for (const s of r.skippedSignatures) {
      if (onlySignature === undefined || s.key === onlySignature) lines.push(`  signature_def['${s.key}']: not served (${s.reason})`);
    }
    if (!r.supported && onlySignature === undefined) lines.push(servingLine(r));
  }
  return lines;
}
