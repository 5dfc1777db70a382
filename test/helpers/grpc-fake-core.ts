/**
 * gRPC test doubles on top of the shared FakeCore (test/helpers/fake-core.ts):
 *
 * - `RecordingCore`: a FakeCore whose `reloadConfig` records every config it is given
 *   (and can be told to fail), so HandleReloadConfigRequest is checked end to end up to
 *   the lifecycle boundary;
 * - `echoServable()`: a servable with one identity signature per value dtype
 *   (`echo_float`, `echo_int64`, ...; input `x`, output `y`), for codec round trips
 *   through a real gRPC call.
 */
import type { ModelServerConfig } from '../../src/config/types.js';
import type { TfsError } from '../../src/errors.js';
import { DTYPES } from '../../src/tensor/dtypes.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { FakeCore, FakeServable } from './fake-core.js';

export class RecordingCore extends FakeCore {
  readonly configs: ModelServerConfig[] = [];
  /** When set, reloadConfig rejects with it (after recording the config). */
  failWith: TfsError | undefined;
  /**
   * When set, reloadConfig awaits it before finishing (a reload blocks until new models are
   * available): tests hold a reload open with it and act while it runs, without timers.
   */
  duringReload: (() => Promise<void>) | undefined;

  override async reloadConfig(config: ModelServerConfig): Promise<void> {
    this.configs.push(config);
    if (this.duringReload) await this.duringReload();
    if (this.failWith) throw this.failWith;
  }

  override currentConfig(): ModelServerConfig {
    return this.configs.at(-1) ?? { models: [] };
  }
}

/** Every dtype tfs holds values of (the ones an echo signature exists for). */
export const VALUE_DTYPES = DTYPES.filter((d) => d.storage !== 'none');

/** A servable with `echo_<short dtype>` signatures: y = x, any shape. */
export function echoServable(name = 'echo', version = 1): FakeServable {
  const sigs = VALUE_DTYPES.map((d) => ({
    spec: {
      key: `echo_${d.short}`,
      methodName: 'tensorflow/serving/predict',
      inputs: { x: { name: `x_${d.short}:0`, dtype: d.name, shape: null } },
      outputs: { y: { name: `y_${d.short}:0`, dtype: d.name, shape: null } },
      defaults: {},
    },
    fn: (inputs: Readonly<Record<string, Tensor>>): Record<string, Tensor> => ({ y: inputs['x']! }),
  }));
  return new FakeServable(name, version, sigs);
}
