/**
 * The config files `tfs gen k8s` deploys: read once, parsed and validated with the same
 * loaders `tfs serve` uses (so a file that `tfs serve` would refuse is refused here, with
 * the same `file:line:column` error), and kept verbatim for the ConfigMap.
 */
import { lookupType } from '../proto/root.js';
import type { BatchingParameters, ModelConfig, MonitoringConfig } from '../config/types.js';
import { checkModelServerConfigText, isAbsolutePathOrUri, readConfigFile } from '../config/model-server-config.js';
import { checkBatchingParametersText } from '../config/batching.js';
import { checkMonitoringConfigText } from '../config/monitoring.js';
import { ConfigError, formatIssue, type ConfigIssue } from '../config/validation.js';
import { parseStorageLocation } from '../sources/storage-location.js';
import { GenUsageError, normalizeContainerPath, type ResolvedOptions } from './options.js';

/** Where the ConfigMap is mounted in the container. */
export const CONFIG_MOUNT_PATH = '/config';

/** ConfigMap keys (file names under {@link CONFIG_MOUNT_PATH}). */
export const CONFIG_KEYS = Object.freeze({
  modelConfig: 'model_config.pbtxt',
  batching: 'batching.pbtxt',
  monitoring: 'monitoring.pbtxt',
});

/** One config file as the user wrote it. */
export interface ConfigFileInput {
  /** The ConfigMap key it is stored under. */
  readonly key: string;
  /** The file name given on the command line (its base name appears in generated comments). */
  readonly source: string;
  /** The file's text, verbatim. */
  readonly text: string;
}

/** A model as the container sees it. */
export interface DeployedModel {
  readonly name: string;
  /** Absolute path inside the container (a `file://` URI becomes its path), or an `s3://` URI as written. */
  readonly basePath: string;
  readonly config: ModelConfig;
}

export interface LoadedInputs {
  readonly models: readonly DeployedModel[];
  /** Absent with --model_name (the single-model form has no file). */
  readonly modelConfig?: ConfigFileInput & {
    /** The parsed file (protobufjs toObject shape) for deriving per-version configs. */
    readonly proto: Record<string, unknown>;
  };
  readonly batching?: ConfigFileInput & { readonly parameters: BatchingParameters; readonly setsNumBatchThreads: boolean };
  readonly monitoring?: ConfigFileInput & { readonly config: MonitoringConfig };
  /** Warnings from the config files (upstream-accepted oddities), formatted `file:line:col: warning: …`. */
  readonly warnings: readonly string[];
}

/** Reads files through `read` (tests substitute it); defaults to the config loaders' reader. */
export type ReadConfigFile = (kind: 'model_config' | 'batching' | 'monitoring', file: string) => string;

const defaultRead: ReadConfigFile = (kind, file) => readConfigFile(kind, file);

function warningsOf(issues: readonly ConfigIssue[]): string[] {
  return issues.filter((i) => i.severity === 'warning').map(formatIssue);
}

function throwIfErrors(kind: 'model_config' | 'batching' | 'monitoring', file: string, issues: readonly ConfigIssue[]): void {
  const first = issues.find((i) => i.severity === 'error');
  // The message leads with file:line:column, as `tfs validate` prints it.
  if (first) throw new ConfigError(kind, file, issues, formatIssue(first));
}

/** True for an `s3://` base path: tfs serve reads it itself, so it needs no model volume. */
export function isObjectStorePath(basePath: string): boolean {
  return parseStorageLocation(basePath).kind === 's3';
}

/**
 * The container path of a model's base path: absolute (where a volume is mounted; `file://`
 * URIs are accepted), or an `s3://` URI as written. Throws GenUsageError for relative paths
 * and schemes tfs serve cannot read.
 */
export function containerBasePath(model: string, written: string, where: string): string {
  const fileUri = /^file:\/\/(\/.*)$/.exec(written);
  if (fileUri) return normalizeContainerPath(fileUri[1]!);
  const location = parseStorageLocation(written);
  // tfs serve reads s3:// itself (polling, local copies under /tmp), so no volume is needed.
  if (location.kind === 's3') return written;
  if (location.kind === 'unsupported') {
    throw new GenUsageError(
      `${where}: model '${model}' has base_path '${written}'; ${location.error}`,
      'Use an s3:// base path (any S3-compatible store, with --s3_secret for its credentials), or a directory (e.g. /models/' +
        model +
        ') with the models mounted there by --model_volume (pvc:, hostPath: or emptyDir+init:IMAGE to copy them in).',
    );
  }
  if (!isAbsolutePathOrUri(written)) {
    throw new GenUsageError(
      `${where}: model '${model}' has the relative base_path '${written}'; in a container it must be absolute`,
      'Use the absolute path where the model volume is mounted, e.g. /models/' + model + '.',
    );
  }
  return normalizeContainerPath(written);
}

/** Reads, parses and validates every config file the options name. Throws ConfigError / GenUsageError. */
export function loadInputs(opts: ResolvedOptions, read: ReadConfigFile = defaultRead): LoadedInputs {
  const warnings: string[] = [];
  let models: DeployedModel[];
  let modelConfig: LoadedInputs['modelConfig'];

  if (opts.modelSource.kind === 'configFile') {
    const file = opts.modelSource.file;
    const text = read('model_config', file);
    const check = checkModelServerConfigText(text, file);
    // A relative base_path is only a warning for tfs serve (it resolves it next to the
    // file); here it is an error with its own message below, so leave it out.
    const issues = check.issues.filter((i) => !/to have an absolute path or URI/.test(i.message));
    throwIfErrors('model_config', file, issues);
    warnings.push(...warningsOf(issues));
    const doc = check.doc;
    if (!check.config || !doc) throw new ConfigError('model_config', file, check.issues);
    const written = ((doc.value['model_config_list'] as Record<string, unknown> | undefined)?.['config'] ?? []) as Record<string, unknown>[];
    models = check.config.models.map((m, i) => ({
      name: m.name,
      basePath: containerBasePath(m.name, String(written[i]?.['base_path'] ?? m.basePath), file),
      config: m,
    }));
    if (models.length === 0) {
      throw new GenUsageError(`${file}: the model config lists no models; there is nothing to deploy`);
    }
    modelConfig = { key: CONFIG_KEYS.modelConfig, source: file, text, proto: doc.value };
  } else {
    const { name, basePath } = opts.modelSource;
    if (basePath === '') throw new GenUsageError('--model_base_path is empty');
    const container = containerBasePath(name, basePath, '--model_base_path');
    const config: ModelConfig = {
      name,
      basePath: container,
      modelPlatform: 'tensorflow',
      versionPolicy: { kind: 'latest', numVersions: 1 },
      versionLabels: {},
    };
    models = [{ name, basePath: container, config }];
  }

  let batching: LoadedInputs['batching'];
  if (opts.batchingFile !== undefined) {
    const file = opts.batchingFile;
    const text = read('batching', file);
    const check = checkBatchingParametersText(text, file);
    throwIfErrors('batching', file, check.issues);
    if (!check.parameters) throw new ConfigError('batching', file, check.issues);
    warnings.push(...warningsOf(check.issues));
    const setsNumBatchThreads = check.doc?.has(['num_batch_threads']) ?? false;
    batching = { key: CONFIG_KEYS.batching, source: file, text, parameters: check.parameters, setsNumBatchThreads };
  }

  let monitoring: LoadedInputs['monitoring'];
  if (opts.monitoringFile !== undefined) {
    const file = opts.monitoringFile;
    const text = read('monitoring', file);
    const check = checkMonitoringConfigText(text, file);
    throwIfErrors('monitoring', file, check.issues);
    if (!check.config) throw new ConfigError('monitoring', file, check.issues);
    warnings.push(...warningsOf(check.issues));
    monitoring = { key: CONFIG_KEYS.monitoring, source: file, text, config: check.config };
  }

  return {
    models,
    ...(modelConfig === undefined ? {} : { modelConfig }),
    ...(batching === undefined ? {} : { batching }),
    ...(monitoring === undefined ? {} : { monitoring }),
    warnings,
  };
}

/** The ModelServerConfig proto type (for printing derived configs). */
export function modelServerConfigType(): ReturnType<typeof lookupType> {
  return lookupType('tensorflow.serving.ModelServerConfig');
}
