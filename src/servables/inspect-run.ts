/**
 * `tfs inspect <dir> --run`: run one signature of a SavedModel on inputs given as REST's
 * columnar `inputs` value and print what REST's columnar predict would return, like
 * `saved_model_cli run` does for TensorFlow.
 *
 * Inputs go through the REST JSON codec (src/tensor/json-tensor.ts) and outputs through
 * its response writer, so `--run` accepts and prints exactly what `POST :predict` with
 * `{"inputs": ...}` does.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Errors } from '../errors.js';
import { isSavedModelDir, listVersionDirs } from '../savedmodel/saved-model.js';
import { loadSavedModelServable } from './saved-model-servable.js';
import { parseRequestBody, predictInputsFromJson, predictResponseJson } from '../tensor/json-tensor.js';
import type { Logger } from '../util/logger.js';
import { initBackend, type BackendName } from '../runtime/backend.js';

export interface InspectRunOptions {
  /** A SavedModel directory, or a model base path (its latest version is run). */
  readonly dir: string;
  /** Signature key (default `serving_default`). */
  readonly signatureDef?: string;
  /**
   * The columnar `inputs` value as JSON text, or `@path` to read it from a file. May be
   * omitted (or `{}`) for a signature without inputs.
   */
  readonly inputs?: string;
  readonly tags?: readonly string[];
  readonly backend?: BackendName;
  readonly logger?: Logger;
}

/** The version directory to run: `dir` itself, or the latest version under a base path. */
export function resolveRunDir(dir: string): { dir: string; name: string; version: number } {
  if (isSavedModelDir(dir)) {
    const v = Number(basename(resolve(dir)));
    return { dir, name: basename(dirname(resolve(dir))), version: Number.isSafeInteger(v) ? v : 0 };
  }
  const versions = listVersionDirs(dir).filter((v) => isSavedModelDir(v.path));
  const latest = versions[versions.length - 1];
  if (!latest) {
    throw Errors.inspectNotAModel(dir);
  }
  return { dir: latest.path, name: basename(resolve(dir)), version: latest.version };
}

function readInputs(arg: string): string {
  if (!arg.startsWith('@')) return arg;
  const file = arg.slice(1);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw Errors.inspectInputsUnreadable(file, (e as Error).message);
  }
}

/**
 * Load the model, run the signature on the inputs, and return REST's columnar predict
 * response body (`{"outputs": ...}`). Errors are TfsErrors with REST's texts.
 */
export async function inspectRun(opts: InspectRunOptions): Promise<string> {
  const target = resolveRunDir(opts.dir);
  const signature = opts.signatureDef ?? 'serving_default';
  const inputsText = opts.inputs === undefined ? undefined : readInputs(opts.inputs);
  await initBackend(opts.backend ?? 'wasm');
  const servable = await loadSavedModelServable(target.name, target.version, target.dir, {
    ...(opts.tags ? { tags: opts.tags } : {}),
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  try {
    const spec = servable.signatures.get(signature);
    if (!spec) {
      throw Errors.restSignatureNotFound(signature).withHint(`signatures: ${[...servable.signatures.keys()].join(', ')}`);
    }
    const aliases = Object.keys(spec.inputs).sort();
    let inputs = {};
    if (aliases.length > 0) {
      if (inputsText === undefined) {
        throw Errors.inspectInputsRequired(signature, aliases);
      }
      // The same body REST would receive, so number literals keep their int/float kind.
      const parsed = parseRequestBody(`{"inputs": ${inputsText}}`);
      inputs = predictInputsFromJson(parsed, spec.inputs).inputs;
    } else if (inputsText !== undefined && inputsText.trim() !== '{}') {
      // REST predict cannot call a signature without inputs; --run can, with no --inputs.
      throw Errors.inspectNoInputsTaken(signature);
    }
    const outputs = await servable.run(signature, inputs);
    return predictResponseJson(outputs, 'columnar');
  } finally {
    await servable.dispose();
  }
}
