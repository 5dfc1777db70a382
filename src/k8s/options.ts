/**
 * `tfs gen k8s` options: the raw flag values, their defaults, and their validation into
 * {@link ResolvedOptions}. Everything here is pure (no file IO); a bad value or an invalid
 * combination is a {@link GenUsageError} that says which flag is wrong and how to fix it.
 */
import { posix } from 'node:path';
import { Code, TfsError } from '../errors.js';
import { FlagError, parseServeFlags, unsupportedFlagNotes } from '../server/flags.js';

/** A usage error: a bad flag value or combination (the CLI exits with status 2). */
export class GenUsageError extends TfsError {
  constructor(message: string, hint?: string) {
    super(Code.INVALID_ARGUMENT, message, hint === undefined ? {} : { hint });
    this.name = 'GenUsageError';
  }
}

/** Flag values as `tfs gen k8s` receives them (snake_case, as `tfs serve`'s flags). */
export interface GenK8sFlags {
  readonly model_config_file?: string | undefined;
  readonly model_name?: string | undefined;
  readonly model_base_path?: string | undefined;
  readonly batching_parameters_file?: string | undefined;
  readonly monitoring_config_file?: string | undefined;
  readonly image: string;
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
  readonly replicas?: number | undefined;
  readonly max_replicas?: number | undefined;
  readonly target_cpu_utilization?: number | undefined;
  readonly gpu?: number | undefined;
  readonly cpu?: string | undefined;
  readonly memory?: string | undefined;
  readonly cpu_limit?: string | undefined;
  readonly memory_limit?: string | undefined;
  readonly model_volume?: readonly string[] | undefined;
  readonly canary?: string | undefined;
  readonly model_config_file_poll_wait_seconds?: number | undefined;
  readonly batching_parameters_file_poll_wait_seconds?: number | undefined;
  readonly startup_timeout_seconds?: number | undefined;
  readonly prestop_sleep_seconds?: number | undefined;
  readonly drain_seconds?: number | undefined;
  readonly serve_arg?: readonly string[] | undefined;
  readonly autoscale?: string | undefined;
  readonly keda_metric?: string | undefined;
  readonly keda_threshold?: number | undefined;
  readonly prometheus_url?: string | undefined;
  readonly kserve?: boolean | undefined;
  readonly storage_uri?: string | undefined;
  readonly s3_secret?: string | undefined;
}

/** Defaults of the optional flags (the command's `--help` shows the same values). */
export const GEN_K8S_DEFAULTS = Object.freeze({
  name: 'tfs',
  replicas: 2,
  targetCpuUtilization: 70,
  gpu: 0,
  cpu: '1',
  memory: '2Gi',
  memoryLimit: '4Gi',
  /** 0: the model config is read once; a config change rolls the pods (see README). */
  modelConfigPollSeconds: 0,
  /** How long models may take to load before the container is restarted. */
  startupTimeoutSeconds: 300,
  /** Time for endpoint removal to reach kube-proxy / ingress / mesh before SIGTERM. */
  prestopSleepSeconds: 10,
  /** In-flight requests get this long after SIGTERM (tfs serve's --shutdown_grace_period_ms). */
  drainSeconds: 10,
});

/** Where the models of one volume come from. */
export type ModelVolumeSource =
  | { readonly kind: 'pvc'; readonly claimName: string }
  | { readonly kind: 'hostPath'; readonly path: string }
  /** An emptyDir filled by an init container running `image`, which holds the models at the mount path. */
  | { readonly kind: 'emptyDirInit'; readonly image: string };

/** Where a volume is mounted: an explicit path, a model's base path, or the models' common directory. */
export type ModelVolumeTarget =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'model'; readonly model: string }
  | { readonly kind: 'auto' };

export interface ModelVolumeSpec {
  /** The flag value as written (for error messages). */
  readonly raw: string;
  readonly target: ModelVolumeTarget;
  readonly source: ModelVolumeSource;
}

/** `--canary MODEL=V1:W1,V2:W2`: split MODEL's traffic between two versions by weight. */
export interface CanarySpec {
  readonly model: string;
  readonly subsets: readonly [CanarySubsetSpec, CanarySubsetSpec];
}

export interface CanarySubsetSpec {
  readonly version: number;
  /** Percent of unpinned traffic (the two weights add up to 100). */
  readonly weight: number;
}

/** A memory or CPU amount: as written and in base units (bytes, cores). */
export interface Quantity {
  readonly text: string;
  readonly value: number;
}

/** What scales the pods: the CPU HPA, or a KEDA ScaledObject on tfs's own metrics in Prometheus. */
export type AutoscaleOptions =
  | { readonly kind: 'cpu' }
  | {
      readonly kind: 'keda';
      /** request_rate: requests/s per pod; queue_depth: requests waiting in batching queues per pod. */
      readonly metric: KedaMetric;
      readonly threshold: number;
      readonly prometheusUrl: string;
    };

export const KEDA_METRICS = ['request_rate', 'queue_depth'] as const;
export type KedaMetric = (typeof KEDA_METRICS)[number];
export const AUTOSCALERS = ['cpu', 'keda'] as const;

/** --keda_threshold defaults: requests/s per pod, queued requests per pod. */
export const KEDA_DEFAULT_THRESHOLD: Readonly<Record<KedaMetric, number>> = { request_rate: 50, queue_depth: 8 };
/** Where KEDA queries Prometheus by default (the Prometheus Operator's service in `monitoring`). */
export const DEFAULT_PROMETHEUS_URL = 'http://prometheus-operated.monitoring.svc:9090';

/** Validated options (no file has been read yet). */
export interface ResolvedOptions {
  readonly modelSource:
    | { readonly kind: 'configFile'; readonly file: string; readonly pollSeconds: number }
    | { readonly kind: 'single'; readonly name: string; readonly basePath: string };
  readonly batchingFile?: string;
  /**
   * Seconds between polls of the batching file by tfs serve (0: read once, a change rolls the
   * pods). Unset: the model config's interval, as tfs serve does.
   */
  readonly batchingPollSeconds: number;
  readonly monitoringFile?: string;
  readonly image: string;
  readonly name: string;
  readonly namespace?: string;
  readonly replicas: number;
  readonly maxReplicas: number;
  readonly targetCpuUtilization: number;
  readonly gpu: number;
  readonly cpu: Quantity;
  readonly memory: Quantity;
  readonly cpuLimit?: Quantity;
  readonly memoryLimit: Quantity;
  /** Empty when no --model_volume was given (a default PVC is planned later). */
  readonly modelVolumes: readonly ModelVolumeSpec[];
  /** A Secret whose keys become the container's environment (AWS_ACCESS_KEY_ID, S3_ENDPOINT, …) for s3:// models. */
  readonly s3Secret?: string;
  readonly canary?: CanarySpec;
  readonly startupTimeoutSeconds: number;
  readonly prestopSleepSeconds: number;
  readonly drainSeconds: number;
  /** Extra `tfs serve` flags, canonical `--name=value`, in the order given. */
  readonly serveArgs: readonly string[];
  /** Names of the extra serve flags (for conflicts with generated ones). */
  readonly serveArgNames: ReadonlySet<string>;
  readonly autoscale: AutoscaleOptions;
  /** --kserve: a ServingRuntime and InferenceService instead of the Deployment and its objects. */
  readonly kserve?: { readonly storageUri: string };
}

/** --autoscale, --keda_metric, --keda_threshold, --prometheus_url, --kserve, --storage_uri. */
function resolveScaling(flags: GenK8sFlags): { autoscale: AutoscaleOptions; kserve?: { storageUri: string } } {
  const kind = flags.autoscale ?? 'cpu';
  if (!(AUTOSCALERS as readonly string[]).includes(kind)) throw new GenUsageError(`--autoscale: '${kind}' is not one of ${AUTOSCALERS.join(', ')}`);
  const kedaOnly = (['keda_metric', 'keda_threshold', 'prometheus_url'] as const).filter((k) => flags[k] !== undefined);
  if (kind !== 'keda' && kedaOnly.length > 0) throw new GenUsageError(`--${kedaOnly[0]!} needs --autoscale keda`);
  let autoscale: AutoscaleOptions = { kind: 'cpu' };
  if (kind === 'keda') {
    const metric = flags.keda_metric ?? 'request_rate';
    if (!(KEDA_METRICS as readonly string[]).includes(metric)) throw new GenUsageError(`--keda_metric: '${metric}' is not one of ${KEDA_METRICS.join(', ')}`);
    const threshold = flags.keda_threshold ?? KEDA_DEFAULT_THRESHOLD[metric as KedaMetric];
    if (!(threshold > 0)) throw new GenUsageError(`--keda_threshold must be above 0 (got ${threshold})`);
    const prometheusUrl = flags.prometheus_url ?? DEFAULT_PROMETHEUS_URL;
    if (!/^https?:\/\/[^\s]+$/.test(prometheusUrl)) throw new GenUsageError(`--prometheus_url: '${prometheusUrl}' is not an http(s) URL`);
    autoscale = { kind: 'keda', metric: metric as KedaMetric, threshold, prometheusUrl };
  }
  if (!flags.kserve) {
    if (flags.storage_uri !== undefined) throw new GenUsageError('--storage_uri needs --kserve');
    return { autoscale };
  }
  if (flags.storage_uri === undefined || flags.storage_uri === '') {
    throw new GenUsageError('--kserve needs --storage_uri', 'Where KServe fetches the model base path from, e.g. pvc://model-storage/half_plus_two or s3://bucket/models/half_plus_two (its version folders inside).');
  }
  if (kind === 'keda') throw new GenUsageError('--kserve and --autoscale keda: KServe scales its own predictor (minReplicas/maxReplicas); drop --autoscale');
  return { autoscale, kserve: { storageUri: flags.storage_uri } };
}

// --- names ------------------------------------------------------------------------------

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kubernetes' rule for Service names (RFC 1035 label, at most 63 characters). */
export function isDns1035Label(s: string): boolean {
  return s.length <= 63 && DNS1035.test(s);
}

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

export function isLabelValue(s: string): boolean {
  return s.length <= 63 && LABEL_VALUE.test(s);
}

// --- quantities -------------------------------------------------------------------------

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Parses a Kubernetes quantity (`500m`, `2`, `1.5Gi`, `512Mi`); undefined when malformed. */
export function parseQuantity(text: string): Quantity | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(text);
  if (!m) return undefined;
  return { text, value: Number(m[1]) * SUFFIX[m[2] ?? '']! };
}

function quantityFlag(flag: string, text: string, kind: 'cpu' | 'memory'): Quantity {
  const q = parseQuantity(text);
  if (!q) {
    throw new GenUsageError(
      `--${flag}: '${text}' is not a Kubernetes quantity`,
      kind === 'cpu' ? 'Use cores or millicores, e.g. 1, 2.5 or 500m.' : 'Use bytes with a suffix, e.g. 512Mi, 4Gi or 8G.',
    );
  }
  if (q.value <= 0) throw new GenUsageError(`--${flag} must be greater than 0 (got '${text}')`);
  if (kind === 'memory' && text.endsWith('m')) {
    // 4096m is 4.096 bytes: almost always a typo for Mi.
    throw new GenUsageError(`--${flag}: '${text}' means millibytes`, `Write ${text.slice(0, -1)}Mi for mebibytes.`);
  }
  return q;
}

// --- flag values ------------------------------------------------------------------------

function intFlag(flag: string, v: number | undefined, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = v ?? def;
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw new GenUsageError(`--${flag} must be an integer ${range} (got ${String(n)})`);
  }
  return n;
}

/** Normalises an absolute container path (`/models/x/` → `/models/x`). */
export function normalizeContainerPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Parses one `--model_volume [TARGET=]KIND:VALUE` value. */
export function parseModelVolume(raw: string): ModelVolumeSpec {
  const m = /^(?:([^=:]+)=)?([A-Za-z+]+):(.*)$/.exec(raw);
  const usage =
    'Use pvc:CLAIM, hostPath:/node/dir or emptyDir+init:IMAGE, optionally prefixed by a mount path or a model name (/models=pvc:CLAIM, my_model=pvc:CLAIM).';
  if (!m) throw new GenUsageError(`--model_volume '${raw}': expected [TARGET=]KIND:VALUE`, usage);
  const targetText = m[1];
  const kind = m[2]!.toLowerCase();
  const value = m[3]!;
  let target: ModelVolumeTarget;
  if (targetText === undefined) target = { kind: 'auto' };
  else if (targetText.startsWith('/')) target = { kind: 'path', path: normalizeContainerPath(targetText) };
  else target = { kind: 'model', model: targetText };

  let source: ModelVolumeSource;
  if (kind === 'pvc') {
    if (!isDns1123Subdomain(value)) {
      throw new GenUsageError(`--model_volume '${raw}': '${value}' is not a valid PersistentVolumeClaim name`, 'Claim names are lower-case DNS subdomains, e.g. model-storage.');
    }
    source = { kind: 'pvc', claimName: value };
  } else if (kind === 'hostpath') {
    if (!value.startsWith('/')) throw new GenUsageError(`--model_volume '${raw}': hostPath needs an absolute directory on the node`);
    source = { kind: 'hostPath', path: normalizeContainerPath(value) };
  } else if (kind === 'emptydir+init') {
    if (value === '' || /\s/.test(value)) throw new GenUsageError(`--model_volume '${raw}': emptyDir+init needs an image reference`);
    source = { kind: 'emptyDirInit', image: value };
  } else {
    throw new GenUsageError(`--model_volume '${raw}': unknown volume kind '${m[2]!}'`, usage);
  }
  return { raw, target, source };
}

/** Parses `--canary MODEL=V1:W1,V2:W2`. */
export function parseCanary(raw: string): CanarySpec {
  const m = /^([^=]+)=(\d+):(\d+),(\d+):(\d+)$/.exec(raw.replace(/\s+/g, ''));
  if (!m) {
    throw new GenUsageError(`--canary '${raw}': expected MODEL=V1:W1,V2:W2`, 'Example: --canary my_model=1:90,2:10 sends 90% of my_model\'s traffic to version 1 and 10% to version 2.');
  }
  const [v1, w1, v2, w2] = [Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
  if (v1 === v2) throw new GenUsageError(`--canary '${raw}': the two versions must differ`);
  if (v1 < 1 || v2 < 1) throw new GenUsageError(`--canary '${raw}': model versions are positive integers`);
  if (w1 + w2 !== 100) throw new GenUsageError(`--canary '${raw}': the weights must add up to 100 (got ${w1} + ${w2})`);
  return { model: m[1]!, subsets: [{ version: v1, weight: w1 }, { version: v2, weight: w2 }] };
}

/**
 * `tfs serve` flags that gen k8s sets itself (from its own flags); --serve_arg may not
 * set them, so the manifest cannot contradict itself.
 */
export const GENERATED_SERVE_FLAGS: Readonly<Record<string, string>> = Object.freeze({
  port: 'the container ports are fixed (gRPC 8500, REST 8501)',
  rest_api_port: 'the container ports are fixed (gRPC 8500, REST 8501)',
  grpc_socket_path: 'clients reach tfs through the Service ports',
  host: 'tfs must listen on all interfaces inside the pod',
  model_config_file: 'use --model_config_file',
  model_name: 'use --model_name',
  model_base_path: 'use --model_base_path',
  model_config_file_poll_wait_seconds: 'use --model_config_file_poll_wait_seconds',
  batching_parameters_file_poll_wait_seconds: 'use --batching_parameters_file_poll_wait_seconds',
  enable_batching: 'use --batching_parameters_file',
  batching_parameters_file: 'use --batching_parameters_file',
  monitoring_config_file: 'use --monitoring_config_file',
  shutdown_grace_period_ms: 'use --drain_seconds',
  version: 'it prints the version and exits',
});

function resolveServeArgs(args: readonly string[]): { args: string[]; names: Set<string> } {
  let parsed;
  try {
    parsed = parseServeFlags(args, {});
  } catch (e) {
    if (e instanceof FlagError) throw new GenUsageError(`--serve_arg: ${e.message}`);
    throw e;
  }
  if (parsed.unknown.length > 0) {
    throw new GenUsageError(
      `--serve_arg: unknown tfs serve flag ${parsed.unknown.map((a) => `'${a}'`).join(', ')}`,
      'Pass one tfs serve flag per --serve_arg, e.g. --serve_arg=--rest_api_timeout_in_ms=5000 (see tfs serve --help).',
    );
  }
  for (const name of parsed.explicit) {
    const why = GENERATED_SERVE_FLAGS[name];
    if (why !== undefined) throw new GenUsageError(`--serve_arg: --${name} is set by tfs gen k8s: ${why}`);
  }
  const notes = unsupportedFlagNotes(parsed);
  if (notes.errors.length > 0) throw new GenUsageError(`--serve_arg: ${notes.errors[0]!}`);
  const out: string[] = [];
  for (const name of parsed.explicit) out.push(`--${name}=${String(parsed.values[name])}`);
  return { args: out, names: new Set(parsed.explicit) };
}

/** --batching_parameters_file_poll_wait_seconds, or unset the model config's interval (as tfs serve). */
function batchingPollOf(flags: GenK8sFlags, modelSource: ResolvedOptions['modelSource']): number {
  const poll = flags.batching_parameters_file_poll_wait_seconds;
  if (poll !== undefined && flags.batching_parameters_file === undefined) {
    throw new GenUsageError('--batching_parameters_file_poll_wait_seconds needs --batching_parameters_file');
  }
  if (poll === undefined) return modelSource.kind === 'configFile' ? modelSource.pollSeconds : 0;
  return intFlag('batching_parameters_file_poll_wait_seconds', poll, 0, 0);
}

/** --model_config_file, or --model_name [--model_base_path]. */
function resolveModelSource(flags: GenK8sFlags): ResolvedOptions['modelSource'] {
  const d = GEN_K8S_DEFAULTS;
  const configFile = flags.model_config_file;
  const modelName = flags.model_name;
  const pollSeconds = intFlag('model_config_file_poll_wait_seconds', flags.model_config_file_poll_wait_seconds, d.modelConfigPollSeconds, 0);
  if (configFile !== undefined && configFile !== '') {
    if (modelName !== undefined || flags.model_base_path !== undefined) {
      throw new GenUsageError(
        '--model_config_file cannot be combined with --model_name/--model_base_path',
        'As with tensorflow_model_server, give either a model config file or a single model.',
      );
    }
    return { kind: 'configFile', file: configFile, pollSeconds };
  } else if (modelName !== undefined && modelName !== '') {
    if (flags.model_config_file_poll_wait_seconds !== undefined) {
      throw new GenUsageError('--model_config_file_poll_wait_seconds needs --model_config_file');
    }
    const basePath = flags.model_base_path ?? `/models/${modelName}`;
    return { kind: 'single', name: modelName, basePath };
  } else {
    if (flags.model_base_path !== undefined) throw new GenUsageError('--model_base_path needs --model_name');
    throw new GenUsageError(
      'no models: give --model_config_file (the file tfs serve reads) or --model_name [--model_base_path]',
      'Example: tfs gen k8s --model_config_file models.config --image registry.example.com/tfs:0.1.0',
    );
  }
}

/** --cpu, --memory, --memory_limit, --cpu_limit (limits at least the requests). */
function resolveResources(flags: GenK8sFlags): { cpu: Quantity; memory: Quantity; memoryLimit: Quantity; cpuLimit: Quantity | undefined } {
  const d = GEN_K8S_DEFAULTS;
  const cpu = quantityFlag('cpu', flags.cpu ?? d.cpu, 'cpu');
  const memory = quantityFlag('memory', flags.memory ?? d.memory, 'memory');
  const memoryLimit = quantityFlag('memory_limit', flags.memory_limit ?? d.memoryLimit, 'memory');
  if (memoryLimit.value < memory.value) {
    throw new GenUsageError(`--memory_limit (${memoryLimit.text}) is less than --memory (${memory.text})`, 'The limit must be at least the request.');
  }
  let cpuLimit: Quantity | undefined;
  if (flags.cpu_limit !== undefined) {
    cpuLimit = quantityFlag('cpu_limit', flags.cpu_limit, 'cpu');
    if (cpuLimit.value < cpu.value) throw new GenUsageError(`--cpu_limit (${cpuLimit.text}) is less than --cpu (${cpu.text})`);
  }
  return { cpu, memory, memoryLimit, cpuLimit };
}

/** Validates every flag and their combinations. Throws {@link GenUsageError}. */
/** --s3_secret: a Secret name, checked as Kubernetes checks it. */
function resolveS3Secret(flags: GenK8sFlags): { s3Secret?: string } {
  if (flags.s3_secret === undefined) return {};
  if (!isDns1123Subdomain(flags.s3_secret)) {
    throw new GenUsageError(`--s3_secret: '${flags.s3_secret}' is not a valid Secret name`, 'Secret names are lower-case DNS subdomains, e.g. model-store-credentials.');
  }
  return { s3Secret: flags.s3_secret };
}

export function resolveOptions(flags: GenK8sFlags): ResolvedOptions {
  const d = GEN_K8S_DEFAULTS;
  const modelSource = resolveModelSource(flags);

  const image = flags.image.trim();
  if (image === '' || /\s/.test(image)) throw new GenUsageError(`--image: '${flags.image}' is not an image reference`);

  const name = flags.name ?? d.name;
  if (!isDns1035Label(name)) {
    throw new GenUsageError(
      `--name: '${name}' is not a valid Kubernetes name`,
      'Use at most 63 lower-case letters, digits and dashes, starting with a letter (it names the Service).',
    );
  }
  if (flags.namespace !== undefined && !isDns1123Label(flags.namespace)) {
    throw new GenUsageError(`--namespace: '${flags.namespace}' is not a valid namespace name`, 'Use lower-case letters, digits and dashes (at most 63).');
  }

  const replicas = intFlag('replicas', flags.replicas, d.replicas, 1);
  const maxReplicas = intFlag('max_replicas', flags.max_replicas, 2 * replicas, 1);
  if (maxReplicas < replicas) {
    throw new GenUsageError(`--max_replicas (${maxReplicas}) must be at least --replicas (${replicas})`);
  }
  const targetCpuUtilization = intFlag('target_cpu_utilization', flags.target_cpu_utilization, d.targetCpuUtilization, 1, 100);
  const gpu = intFlag('gpu', flags.gpu, d.gpu, 0, 64);

  const { cpu, memory, memoryLimit, cpuLimit } = resolveResources(flags);

  const modelVolumes = (flags.model_volume ?? []).map(parseModelVolume);
  if (modelVolumes.length > 1 && modelVolumes.some((v) => v.target.kind === 'auto')) {
    throw new GenUsageError(
      'with several --model_volume flags, each needs a mount path or model name (e.g. /models/a=pvc:claim-a)',
      'A single --model_volume without a target is mounted at the directory that holds every base_path.',
    );
  }

  const canary = flags.canary === undefined ? undefined : parseCanary(flags.canary);

  const startupTimeoutSeconds = intFlag('startup_timeout_seconds', flags.startup_timeout_seconds, d.startupTimeoutSeconds, 10, 86400);
  const prestopSleepSeconds = intFlag('prestop_sleep_seconds', flags.prestop_sleep_seconds, d.prestopSleepSeconds, 0, 3600);
  const drainSeconds = intFlag('drain_seconds', flags.drain_seconds, d.drainSeconds, 1, 3600);

  const serve = resolveServeArgs(flags.serve_arg ?? []);
  if (flags.batching_parameters_file === '') throw new GenUsageError('--batching_parameters_file is empty');
  if (flags.monitoring_config_file === '') throw new GenUsageError('--monitoring_config_file is empty');
  const batchingPollSeconds = batchingPollOf(flags, modelSource);
  const scaling = resolveScaling(flags);

  return {
    modelSource,
    ...(flags.batching_parameters_file === undefined ? {} : { batchingFile: flags.batching_parameters_file }),
    batchingPollSeconds,
    ...(flags.monitoring_config_file === undefined ? {} : { monitoringFile: flags.monitoring_config_file }),
    image,
    name,
    ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
    replicas,
    maxReplicas,
    targetCpuUtilization,
    gpu,
    cpu,
    memory,
    ...(cpuLimit === undefined ? {} : { cpuLimit }),
    memoryLimit,
    modelVolumes,
    ...resolveS3Secret(flags),
    ...(canary === undefined ? {} : { canary }),
    startupTimeoutSeconds,
    prestopSleepSeconds,
    drainSeconds,
    serveArgs: serve.args,
    serveArgNames: serve.names,
    ...scaling,
  };
}
