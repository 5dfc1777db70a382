/**
 * The production {@link ModelServable}: a SavedModel version directory read by the
 * SavedModel reader and run on the embedded tfjs runtime. This is what the lifecycle
 * manager loads for every model version, and what REST, gRPC and batching call.
 *
 * Every signature is frozen at load, so every load problem (unsupported ops with the
 * signatures needing them, unreadable variables, a directory that is not a SavedModel)
 * surfaces from {@link loadSavedModelServable} as one TfsError. A signature whose own
 * graph needs an op the runtime lacks does not fail the model (unless
 * `refusePartialModels`): the version loads without it, metadata still lists it, and each
 * request to it answers UNIMPLEMENTED naming the ops ({@link ModelServable.unservedSignatures}).
 */
import { readSavedModel } from '../savedmodel/saved-model.js';
import { type BackendName, type ConcreteBackend, rebuildBackend } from '../runtime/backend.js';
import { type RuntimeFault, runtimeHealth } from '../core/runtime-health.js';
import { ModelRuntime } from '../runtime/model-runtime.js';
import { freezeSourceOf } from '../runtime/source.js';
import type { Tensor } from '../tensor/tensor.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { ModelServable, RunOptions, ServablePlacement, SignatureSpec, UnservedSignature } from '../core/servable.js';

export interface SavedModelServableOptions {
  /** MetaGraph tag set (default `['serve']`). */
  readonly tags?: readonly string[];
  /** Runtime backend (default: the thread's default, wasm when none was initialized). */
  readonly backend?: BackendName;
  readonly logger?: Logger;
  /**
   * `--refuse_partial_models`: refuse the model when any signature needs something the
   * runtime lacks, as upstream does. By default the model loads with the signatures the
   * runtime supports; the others are listed in metadata and answer UNIMPLEMENTED.
   */
  readonly refusePartialModels?: boolean;
}

class SavedModelServable implements ModelServable {
  constructor(
    readonly name: string,
    readonly version: number,
    readonly signatures: ReadonlyMap<string, SignatureSpec>,
    readonly signatureDefMap: Readonly<Record<string, unknown>>,
    private runtime: ModelRuntime,
    /** Loads the runtime again from disk (after the backend was rebuilt). */
    private readonly reload: () => Promise<ModelRuntime>,
  ) {}

  get unservedSignatures(): ReadonlyMap<string, UnservedSignature> {
    return this.runtime.unservedSignatures;
  }

  get backend(): ConcreteBackend {
    return this.runtime.backend;
  }

  get placement(): ServablePlacement {
    return { runtime: 'embedded', devices: [this.runtime.backend] };
  }

  run(signatureKey: string, inputs: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>> {
    // During a rebuild, wait for it: the runtime read then is the new one. Not async: the
    // runtime's promise is returned as it is (runtime.run is async, so it never throws here).
    if (!runtimeHealth.serving) return runtimeHealth.whenServing().then(() => this.runtime.run(signatureKey, inputs, options));
    return this.runtime.run(signatureKey, inputs, options);
  }

  /** Replace the runtime with one loaded from disk; the old one's memory died with its backend. */
  async rebuild(): Promise<void> {
    const fresh = await this.reload();
    const old = this.runtime;
    this.runtime = fresh;
    old.dispose();
  }

  async dispose(): Promise<void> {
    live.delete(this);
    this.runtime.dispose();
  }
}

/** Servables loaded in this thread and not disposed: what a rebuild reloads. */
const live = new Set<SavedModelServable>();

/**
 * The recovery after a runtime fault: rebuild the backend that failed, then reload from
 * disk every model whose runtime lived on it. A model that fails to reload is logged and
 * keeps failing its runs (its next fault tries again).
 */
async function recoverRuntime(fault: RuntimeFault, logger: Logger): Promise<void> {
  const started = Date.now();
  await rebuildBackend(fault.backend as ConcreteBackend);
  const affected = [...live].filter((s) => s.backend === fault.backend);
  for (const s of affected) {
    try {
      await s.rebuild();
    } catch (err) {
      logger.error({ model: s.name, version: s.version, err }, `model ${s.name} version ${s.version} did not reload after the runtime fault`);
    }
  }
  logger.warn(
    { backend: fault.backend, models: affected.length, ms: Date.now() - started },
    `the ${fault.backend} runtime was rebuilt and ${affected.length} model version(s) reloaded from disk`,
  );
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
  const open = (): { model: ReturnType<typeof readSavedModel>; load: () => Promise<ModelRuntime> } => {
    const model = readSavedModel(dir, tags ? { tags } : {});
    const load = (): Promise<ModelRuntime> =>
      ModelRuntime.load(freezeSourceOf(model), {
        name: `${name} version ${version}`,
        logger,
        ...(opts.backend ? { backend: opts.backend } : {}),
        ...(opts.refusePartialModels ? { refusePartial: true } : {}),
      });
    return { model, load };
  };
  const { model, load } = open();
  for (const s of model.skippedSignatures) {
    logger.warn({ model: name, version, signature: s.key }, `signature ${s.key} is not served: ${s.reason}`);
  }
  const runtime = await load();
  runtimeHealth.setRecovery((fault) => recoverRuntime(fault, logger));
  // A reload reads the directory again: the weights of the dead runtime are gone.
  const servable = new SavedModelServable(name, version, model.signatures, model.signatureDefMap, runtime, () => open().load());
  live.add(servable);
  return servable;
}
