/**
 * Config as the engine uses it: plain, validated, frozen objects, normalised from the
 * text-format protos (ModelServerConfig, BatchingParameters, MonitoringConfig, SSLConfig).
 * Parsers in src/config turn files (or, for HandleReloadConfigRequest, decoded protos)
 * into these types; nothing else in tfs reads config protos directly.
 */

/** ServableVersionPolicy (file_system_storage_path_source.proto); default latest{1}. */
export type VersionPolicy =
  | { readonly kind: 'latest'; readonly numVersions: number }
  | { readonly kind: 'all' }
  | { readonly kind: 'specific'; readonly versions: readonly number[] };

export interface SamplingConfig {
  readonly samplingRate: number;
}

export interface ModelConfig {
  readonly name: string;
  /** As written in the config (absolute path or URI). */
  readonly basePath: string;
  /** Always 'tensorflow' once validated. */
  readonly modelPlatform: string;
  readonly versionPolicy: VersionPolicy;
  /** label -> version. */
  readonly versionLabels: Readonly<Record<string, number>>;
  /** logging_config.sampling_config, when set (request logging). */
  readonly sampling?: SamplingConfig;
}

export interface ModelServerConfig {
  readonly models: readonly ModelConfig[];
  /**
   * True when the config's `config` oneof was unset (an empty file): upstream takes no
   * action on such a reload ("Taking no action for empty config."), unlike an empty
   * model_config_list, which unloads every model.
   */
  readonly isEmpty?: boolean;
}

/** BatchingParameters with upstream's defaults filled in (tfserving-spec.md §3.6). */
export interface BatchingParameters {
  readonly maxBatchSize: number; // default 1000
  readonly batchTimeoutMicros: number; // default 0
  readonly maxEnqueuedBatches: number; // default 10
  readonly numBatchThreads: number; // default: number of CPUs
  readonly threadPoolName: string; // default 'batch_threads'
  readonly allowedBatchSizes: readonly number[]; // default [] (any size)
  readonly padVariableLengthInputs: boolean; // default false
  readonly enableLargeBatchSplitting: boolean; // default false
  readonly maxExecutionBatchSize: number; // default 1000, or maxBatchSize when splitting
}

export interface MonitoringConfig {
  readonly prometheus: { readonly enable: boolean; readonly path: string }; // path default /monitoring/prometheus/metrics
}

/** SSLConfig: PEM contents, not paths. */
export interface SslConfig {
  readonly serverKey: string;
  readonly serverCert: string;
  readonly customCa: string;
  readonly clientVerify: boolean;
}
