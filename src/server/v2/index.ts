/**
 * The Open Inference Protocol (KServe V2) on the tfs server: what server.ts wires in.
 * REST routes (rest.ts), the gRPC service (grpc.ts), the repository extension and
 * `--model_control_mode` (repository.ts), Triton-named metrics (metrics.ts).
 */
import type { ModelServerConfig } from '../../config/types.js';
import { isAbsolute, resolve } from 'node:path';
import type { FlagValues } from '../flags.js';
import { ModelRepository, type RepositoryCore, isModelControlMode } from './repository.js';

export { registerV2Rest } from './rest.js';
export { registerV2Grpc } from './grpc.js';

/** The repository of `tfs serve`, from `--model_control_mode` and `--model_repository`. */
export function v2Repository(core: RepositoryCore, f: FlagValues, cwd: string, startupConfig: ModelServerConfig): ModelRepository {
  const mode = String(f['model_control_mode'] ?? 'poll');
  const root = String(f['model_repository'] ?? '');
  return new ModelRepository({
    core,
    mode: isModelControlMode(mode) ? mode : 'poll',
    root: root ? (isAbsolute(root) ? root : resolve(cwd, root)) : undefined,
    startupConfig,
  });
}
