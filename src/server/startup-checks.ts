/**
 * Start-up checks and config files of `tfs serve`: upstream's BuildAndStart flag checks
 * (with upstream's texts), then the config files the flags name.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { loadBatchingParameters, defaultBatchingParameters } from '../config/batching.js';
import { loadModelServerConfig, singleModelConfig } from '../config/model-server-config.js';
import { loadMonitoringConfig } from '../config/monitoring.js';
import { loadSslConfig } from '../config/ssl.js';
import type { BatchingParameters, ModelServerConfig, MonitoringConfig, SslConfig } from '../config/types.js';
import { Errors, type TfsError, StartupError } from '../errors.js';
import { isModelControlMode, repositoryStartupConfig } from './v2/repository.js';
import { isBackendName } from '../runtime/backend.js';
import { probeS3BasePath } from '../sources/s3-versions.js';
import { parseStorageLocation, schemeOf } from '../sources/storage-location.js';
import { bool, num, str } from './flag-access.js';
import type { FlagValues } from './flags.js';

function fail(err: TfsError): never {
  throw new StartupError(err);
}

/** Upstream's BuildAndStart checks, with upstream's texts. */
export function checkStartupFlags(f: FlagValues): void {
  if (num(f, 'port') < 0 && str(f, 'grpc_socket_path') === '') {
    fail(Errors.noGrpcPortOrSocket());
  }
  if (bool(f, 'use_alts_credentials') && str(f, 'ssl_config_file') !== '') {
    fail(Errors.altsWithSsl());
  }
  if (str(f, 'model_base_path') === '' && str(f, 'model_config_file') === '' && str(f, 'model_repository') === '') {
    fail(Errors.noModelBasePathOrConfig());
  }
  if (str(f, 'batching_parameters_file') !== '' && !bool(f, 'enable_batching')) {
    fail(Errors.batchingFileWithoutBatching());
  }
  if (num(f, 'tensorflow_session_parallelism') > 0 && num(f, 'tensorflow_intra_op_parallelism') > 0 && num(f, 'tensorflow_inter_op_parallelism') > 0) {
    fail(Errors.sessionParallelismConflict());
  }
  const rest = num(f, 'rest_api_port');
  if (rest > 0 && rest === num(f, 'port')) {
    // Upstream logs this and runs without REST; we refuse, since a user asked for both.
    fail(Errors.restPortIsGrpcPort(rest, num(f, 'port')));
  }
  if (!['auto', 'in-thread', 'workers'].includes(str(f, 'batch_execution'))) {
    fail(Errors.badBatchExecution(str(f, 'batch_execution')));
  }
  if (num(f, 'batch_worker_threads') < 0) {
    fail(Errors.badBatchWorkerThreads(num(f, 'batch_worker_threads')));
  }
  if (!isModelControlMode(str(f, 'model_control_mode') || 'poll')) {
    fail(Errors.badModelControlMode(str(f, 'model_control_mode')));
  }
  if (!isBackendName(str(f, 'backend'))) {
    fail(Errors.badBackend(str(f, 'backend')));
  }
  if (!['embedded', 'tensorflow', 'auto'].includes(str(f, 'runtime'))) {
    fail(Errors.badRuntime(str(f, 'runtime')));
  }
}

/**
 * tfs refuses to start when a model's base path does not exist. Upstream instead logs
 * `Could not find base path ...` every poll and waits forever; a typo in a path is then a
 * server that never becomes ready. The same holds for an `s3://` base path whose bucket is
 * missing, whose credentials are refused or whose endpoint cannot be reached (the error
 * says which), and for a scheme tfs has no file system for. Later reloads keep upstream's
 * behaviour (logged, the running config stays).
 */
export async function checkBasePathsExist(config: ModelServerConfig, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  for (const m of config.models) {
    const loc = parseStorageLocation(m.basePath);
    if (loc.kind === 'unsupported') fail(Errors.basePathUnreadable(m.basePath, m.name, loc.error));
    if (loc.kind === 'local') {
      if (!existsSync(loc.path)) fail(Errors.basePathNotFound(loc.path, m.name));
      continue;
    }
    const status = await probeS3BasePath(loc, env);
    if (status !== undefined) fail(Errors.basePathUnreadable(loc.uri, m.name, status));
  }
}

export interface Configs {
  readonly model: ModelServerConfig;
  readonly batching: BatchingParameters | undefined;
  readonly monitoring: MonitoringConfig | undefined;
  readonly ssl: SslConfig | undefined;
}

const isDirectory = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

/** The models without --model_config_file: --model_name/--model_base_path, else --model_repository's (V2). */
function flagModels(f: FlagValues, path: (p: string) => string, basePath: (p: string) => string): ModelServerConfig {
  const repo = str(f, 'model_repository');
  if (repo && !isDirectory(path(repo))) fail(Errors.modelRepositoryNotFound(path(repo)));
  if (str(f, 'model_base_path') !== '' || !repo) return singleModelConfig(str(f, 'model_name'), basePath(str(f, 'model_base_path')));
  const mode = str(f, 'model_control_mode') || 'poll';
  return repositoryStartupConfig(path(repo), isModelControlMode(mode) ? mode : 'poll');
}

/** Reads the config files the flags name; relative paths are resolved against `cwd`. */
export function readConfigs(f: FlagValues, cwd: string): Configs {
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  // A URI (s3://, file://, gs://…) is never joined onto the working directory.
  const basePath = (p: string): string => (schemeOf(p) !== undefined ? p : path(p));
  const modelFile = str(f, 'model_config_file');
  // --model_config_file wins over --model_name/--model_base_path (as upstream). A relative
  // --model_base_path is resolved against the working directory (upstream requires absolute).
  const model = modelFile ? loadModelServerConfig(path(modelFile)) : flagModels(f, path, basePath);
  const batchingFile = str(f, 'batching_parameters_file');
  const batching = bool(f, 'enable_batching')
    ? batchingFile
      ? loadBatchingParameters(path(batchingFile))
      : defaultBatchingParameters()
    : undefined;
  const monitoringFile = str(f, 'monitoring_config_file');
  const sslFile = str(f, 'ssl_config_file');
  return {
    model,
    batching,
    monitoring: monitoringFile ? loadMonitoringConfig(path(monitoringFile)) : undefined,
    ssl: sslFile ? loadSslConfig(path(sslFile)) : undefined,
  };
}
