/**
 * The production {@link ModelServable}: a SavedModel version directory read by the
 * SavedModel reader and run on the embedded tfjs runtime. This is what the lifecycle
 * manager loads for every model version, and what REST, gRPC and batching call.
 *
 * Every signature is frozen at load, so every load problem (unsupported ops with the
 * signatures needing them, unreadable variables, a directory that is not a SavedModel)
 * surfaces from {@link loadSavedModelServable} as one TfsError.
 */
import { readSavedModel } from '../savedmodel/saved-model.js';
import type { BackendName } from '../runtime/backend.js';
import { ModelRuntime } from '../runtime/model-runtime.js';
import { freezeSourceOf } from '../runtime/source.js';
import type { Tensor } from '../tensor/tensor.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { ModelServable, RunOptions, SignatureSpec } from '../core/servable.js';

export interface SavedModelServableOptions {
  /** MetaGraph tag set (default `['serve']`). */
  readonly tags?: readonly string[];
  /** Runtime backend (default: the thread's default, wasm when none was initialized). */
  readonly backend?: BackendName;
  readonly logger?: Logger;
}

class SavedModelServable implements ModelServable {
  constructor(
    readonly name: string,
    readonly version: number,
    readonly signatures: ReadonlyMap<string, SignatureSpec>,
    readonly signatureDefMap: Readonly<Record<string, unknown>>,
    private readonly runtime: ModelRuntime,
  ) {}

  run(signatureKey: string, inputs: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>> {
    return this.runtime.run(signatureKey, inputs, options);
  }

  async dispose(): Promise<void> {
    this.runtime.dispose();
  }
}

/**
 * Load version `version` of model `name` from the SavedModel in `dir`. Rejects with a
 * TfsError when the directory is not a loadable SavedModel or the model needs something
 * the runtime cannot do.
 */
export async function loadSavedModelServable(
  name: string,
  version: number,
  dir: string,
  opts: SavedModelServableOptions = {},
): Promise<ModelServable> {
  const logger = opts.logger ?? silentLogger;
  const tags = opts.tags && opts.tags.length > 0 ? opts.tags : undefined;
  const model = readSavedModel(dir, tags ? { tags } : {});
  for (const s of model.skippedSignatures) {
    logger.warn({ model: name, version, signature: s.key }, `signature ${s.key} is not served: ${s.reason}`);
  }
  const runtime = await ModelRuntime.load(freezeSourceOf(model), {
    name: `${name} version ${version}`,
    logger,
    ...(opts.backend ? { backend: opts.backend } : {}),
  });
  return new SavedModelServable(name, version, model.signatures, model.signatureDefMap, runtime);
}
