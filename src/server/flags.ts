/**
 * tensorflow_model_server's command-line flags, as one table (tfserving-spec.md §4), and
 * the parser `tfs serve` uses for them.
 *
 * Why our own parser rather than oclif's: upstream accepts `--name=value`, bare boolean
 * flags (`--enable_batching`), and `true/false/1/0` in any case for booleans
 * (`--enable_batching=true`), which oclif's boolean flags do not. We accept all of
 * upstream's forms plus `--kebab-case value` and `--snake_case value`, and an environment
 * variable per flag (`TFS_<UPPER_SNAKE>`, e.g. TFS_REST_API_PORT). The oclif command
 * declares the same flags (generated from this table) so `tfs serve --help` lists them.
 *
 * Precedence: command line > TFS_* environment > the Docker image's MODEL_NAME /
 * MODEL_BASE_PATH convention > the upstream default.
 */
import { availableParallelism } from 'node:os';

/** `int` is upstream's int32, `int64` its int64 (both parsed as safe integers). */
export type FlagType = 'int' | 'int64' | 'float' | 'bool' | 'string';

/** What tfs does with a flag. */
export type FlagSupport =
  | 'supported'
  /** Accepted for compatibility; it has no effect in tfs (the reason is printed at start-up when set). */
  | 'ignored'
  /** Setting it to a non-default value is refused at start-up with the reason. */
  | 'unsupported';

/** One row of the flag table. */
export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly default: number | boolean | string;
  readonly help: string;
  readonly support: FlagSupport;
  /** Why a flag is ignored or unsupported (printed at start-up when the user sets it). */
  readonly note?: string;
  /** tfs-only flags (not in tensorflow_model_server). */
  readonly tfsOnly?: boolean;
}

const CPUS = availableParallelism();

const f = (
  name: string,
  type: FlagType,
  def: number | boolean | string,
  help: string,
  support: FlagSupport = 'supported',
  note?: string,
  tfsOnly?: boolean,
): FlagSpec =>
  Object.freeze({
    name,
    type,
    default: def,
    help,
    support,
    ...(note === undefined ? {} : { note }),
    ...(tfsOnly ? { tfsOnly: true } : {}),
  });

/** Every flag, in upstream's order, then tfs's own flags. */
export const SERVE_FLAGS: readonly FlagSpec[] = Object.freeze([
  // tfs: port 0 picks a free port (printed at start-up) and -1 disables the listener; upstream
  // used 0 to disable. The REST default is 8501, as the tensorflow/serving Docker image passes.
  f('port', 'int', 8500, 'Port to listen on for gRPC API (0 = pick a free port, -1 = no TCP gRPC listener)'),
  f('grpc_socket_path', 'string', '', 'If non-empty, listen to a UNIX socket for gRPC API on the given path'),
  f('rest_api_port', 'int', 8501, 'Port to listen on for HTTP/REST API (0 = pick a free port, -1 = disabled); must differ from --port'),
  f('rest_api_num_threads', 'int', 4 * CPUS, 'Number of threads for HTTP/REST API processing', 'ignored',
    'Node serves HTTP on its event loop; model runs use --num_batch_threads worker threads instead'),
  f('rest_api_timeout_in_ms', 'int', 30000, 'Timeout for HTTP/REST API calls (model runs); 0 = none'),
  f('rest_api_enable_cors_support', 'bool', false, 'Enable CORS headers in response'),
  f('enable_batching', 'bool', false, 'Enable batching'),
  f('allow_version_labels_for_unavailable_models', 'bool', false,
    'If true, allows assigning unused version labels to models that are not available yet'),
  f('batching_parameters_file', 'string', '', 'If non-empty, read an ascii BatchingParameters protobuf from this file'),
  f('enable_per_model_batching_parameters', 'bool', false,
    'Enables model specific batching params like batch sizes, timeouts, batching feature flags (batching_params.pbtxt in the SavedModel dir)'),
  f('model_config_file', 'string', '', 'If non-empty, read an ascii ModelServerConfig protobuf from this file'),
  f('model_config_file_poll_wait_seconds', 'int', 0,
    'Interval in seconds between each poll of the filesystem for model_config_file (0 = read once)'),
  f('model_name', 'string', 'default', 'Name of model (ignored if --model_config_file is set)'),
  f('model_base_path', 'string', '', 'Path to export (ignored if --model_config_file is set)'),
  f('num_load_threads', 'int', 0, 'Number of threads used to load models after start-up (0 = one at a time)'),
  f('num_unload_threads', 'int', 0, 'Number of threads used to unload models', 'ignored',
    'unloading frees memory on the event loop; there is nothing to parallelise'),
  f('max_num_load_retries', 'int', 5, 'Maximum number of times it retries loading a model after the first failure'),
  f('load_retry_interval_micros', 'int64', 60_000_000, 'Interval between each load retry, in microseconds'),
  f('file_system_poll_wait_seconds', 'int', 1,
    'Interval in seconds between each poll of the filesystem for new model versions (0 = once, negative = never)'),
  f('flush_filesystem_caches', 'bool', true, 'Flush filesystem caches after initial load', 'ignored',
    'tfs keeps no filesystem caches of its own'),
  f('tensorflow_session_parallelism', 'int64', 0, 'Number of threads to use for running a TensorFlow session', 'ignored',
    'the embedded runtime takes --tensorflow_intra_op_parallelism and --num_batch_threads (it applies with --runtime tensorflow)'),
  f('tensorflow_session_config_file', 'string', '', 'File with a text tensorflow.ConfigProto', 'unsupported',
    'TensorFlow session options do not apply to the embedded tfjs runtime'),
  // Embedded runtime: the wasm backend's compute threads (server/loaders.ts wasmThreadPlan).
  f('tensorflow_intra_op_parallelism', 'int64', 0,
    'Number of threads to use to parallelize the execution of an individual op (embedded wasm backend: N > 1 runs its threaded build, at most 8, shared among batch worker threads; 0 = single-threaded. TensorFlow runtime: 0 = all cores)'),
  f('tensorflow_inter_op_parallelism', 'int64', 0, 'Controls the number of operators that can be executed simultaneously',
    'ignored', 'the embedded runtime runs one op at a time (it applies with --runtime tensorflow)'),
  f('use_alts_credentials', 'bool', false, 'Use Google ALTS credentials', 'unsupported',
    'ALTS is only available on Google Cloud and is not implemented by grpc-js'),
  f('ssl_config_file', 'string', '', 'If non-empty, read an ascii SSLConfig protobuf from this file (gRPC TLS)'),
  f('platform_config_file', 'string', '', 'If non-empty, read an ascii PlatformConfigMap protobuf from this file',
    'unsupported', 'tfs serves the tensorflow platform only; use the batching and runtime flags'),
  f('per_process_gpu_memory_fraction', 'float', 0, 'Fraction of GPU memory each process may use', 'ignored',
    'the embedded runtime does not run on a GPU (it applies with --runtime tensorflow)'),
  f('saved_model_tags', 'string', 'serve', 'Comma-separated set of tags of the MetaGraph to load'),
  f('grpc_channel_arguments', 'string', '', 'A comma separated list of arguments to be passed to the grpc server (e.g. grpc.max_connection_age_ms=2000)'),
  f('grpc_max_threads', 'int', 4 * CPUS, 'Max concurrently executing gRPC calls'),
  f('enable_model_warmup', 'bool', true, 'Enables model warmup, which triggers lazy initializations before serving'),
  f('num_request_iterations_for_warmup', 'int', 0, 'Number of times a warmup request is replayed (0 = as the model says, default 1)'),
  f('version', 'bool', false, 'Display version'),
  f('monitoring_config_file', 'string', '', 'If non-empty, read an ascii MonitoringConfig protobuf from this file'),
  f('remove_unused_fields_from_bundle_metagraph', 'bool', true, 'Removes unused fields from MetaGraphDef proto message to save memory',
    'ignored', 'tfs keeps only what it serves'),
  f('prefer_tflite_model', 'bool', false, 'Prefer TensorFlow Lite model from model.tflite file', 'unsupported',
    'TensorFlow Lite models are not supported'),
  f('num_tflite_pools', 'int', CPUS, 'Number of TFLite interpreter pools', 'ignored', 'TensorFlow Lite is not supported'),
  f('num_tflite_interpreters_per_pool', 'int', 1, 'Number of TFLite interpreters per pool', 'ignored',
    'TensorFlow Lite is not supported'),
  f('enable_signature_method_name_check', 'bool', false, 'Enable method_name check for SignatureDef'),
  f('xla_cpu_compilation_enabled', 'bool', false, 'Enable XLA:CPU JIT', 'ignored', 'XLA does not apply to tfjs'),
  f('xla_gpu_compilation_enabled', 'bool', false, 'Enable XLA:GPU JIT', 'ignored', 'XLA does not apply to tfjs'),
  f('enable_profiler', 'bool', true, 'Enable profiler service', 'ignored',
    'the TensorFlow profiler service is not available; use node --cpu-prof'),
  f('thread_pool_factory_config_file', 'string', '', 'File with a text ThreadPoolFactoryConfig', 'unsupported',
    'custom TensorFlow thread pools do not apply to tfs'),
  f('mixed_precision', 'string', '', 'Specify mixed_precision mode (e.g. bfloat16)', 'unsupported',
    'mixed precision rewriting is not implemented'),
  f('skip_initialize_tpu', 'bool', false, 'Whether to skip auto initializing TPU', 'ignored', 'no TPU support'),
  f('enable_grpc_healthcheck_service', 'bool', false, 'Enable the standard gRPC health checking service'),
  f('enable_serialization_as_tensor_content', 'bool', false,
    'Enable serialization of predict response as tensor content'),
  // --- tfs's own flags (beyond upstream; upstream behaviour stays the default) ---
  f('enable_grpc_reflection', 'bool', false,
    'Serve gRPC server reflection (v1 and v1alpha), so tools such as grpcurl work without .proto files',
    'supported', undefined, true),
  f('runtime', 'string', 'embedded',
    "What runs SavedModels: embedded (tfjs kernels, see --backend) | tensorflow (TensorFlow's own runtime through the native addon; build it with tfs native install) | auto (tensorflow when the addon loads, else embedded)",
    'supported', undefined, true),
  f('tensorflow_thread_spinning', 'bool', true,
    "With --runtime tensorflow: let the session's thread pools spin a while for more work before they sleep, as TensorFlow does by default (false = ConfigProto experimental.disable_thread_spinning: less CPU per run when runs are short and spaced, as small served batches are)",
    'supported', undefined, true),
  f('backend', 'string', 'auto', 'Runtime backend of the embedded runtime: auto|wasm|cpu|tensorflow (tensorflow = @tensorflow/tfjs-node(-gpu) kernels if installed)',
    'supported', undefined, true),
  f('refuse_partial_models', 'bool', false,
    'Refuse to load a model when any of its signatures needs an op the tfs runtime lacks (default: load it with the signatures the runtime supports; the others answer UNIMPLEMENTED)',
    'supported', undefined, true),
  f('batch_execution', 'string', 'auto',
    'Where batches run with --enable_batching: auto (in the I/O thread, moving to worker threads when batches take >= 1 ms) | in-thread | workers',
    'supported', undefined, true),
  f('batching_parameters_file_poll_wait_seconds', 'int', -1,
    'Interval in seconds between each poll of --batching_parameters_file and per-model batching_params.pbtxt; changes apply while serving (0 = read once, as upstream; unset = --model_config_file_poll_wait_seconds)',
    'supported', undefined, true),
  f('monitoring_config_file_poll_wait_seconds', 'int', -1,
    'Interval in seconds between each poll of --monitoring_config_file; changes (enable, path) apply while serving (0 = read once, as upstream; unset = --model_config_file_poll_wait_seconds)',
    'supported', undefined, true),
  f('batch_worker_threads', 'int', 0,
    'Worker threads per model version for batches, each holding a copy of the model (0 = min(num_batch_threads of the batching config, CPUs))',
    'supported', undefined, true),
  f('grpc_max_message_bytes', 'int', 2147483647, 'Max gRPC message size for send and receive (upstream uses INT32_MAX)',
    'supported', undefined, true),
  f('rest_api_body_limit_bytes', 'int', 100 * 1024 * 1024, 'Max REST request body size (after gunzip)', 'supported',
    undefined, true),
  f('rest_api_worker_decode_bytes', 'int', 256 * 1024,
    'REST predict bodies of at least this many bytes are decoded (JSON to tensors) in a worker thread, so big bodies never hold the event loop (0 = always on the event loop)',
    'supported', undefined, true),
  f('max_request_elements', 'int', 64 * 1024 * 1024,
    'Max elements over all input tensors of one predict request, REST and gRPC (0 = no limit)', 'supported', undefined, true),
  f('max_request_tensor_bytes', 'int', 1024 * 1024 * 1024,
    'Max bytes over all input tensors of one predict request, REST and gRPC; strings count their bytes (0 = no limit)',
    'supported', undefined, true),
  f('host', 'string', '', 'Address to bind (default: all interfaces, as upstream; 127.0.0.1 for loopback only)',
    'supported', undefined, true),
  f('log_level', 'string', 'info', 'Log level: fatal|error|warn|info|debug|trace|silent', 'supported', undefined, true),
  f('log_format', 'string', 'json', 'Log format: json|pretty', 'supported', undefined, true),
  f('log_requests', 'bool', false,
    "Log every request (model, version, latency, status); sampled by the model's logging_config sampling_rate when set",
    'supported', undefined, true),
  f('model_control_mode', 'string', 'poll',
    'How models change after start-up (Triton\'s names): poll = config file and version polling as upstream, and the V2 repository API may load/unload; explicit = the start-up models load, then only the V2 repository API loads and unloads (config polling off); none = the repository API is refused',
    'supported', undefined, true),
  f('model_repository', 'string', '',
    'A folder of <model>/<version>/ SavedModels the V2 repository API loads from by name (with no other config: every model in it loads at start, except with --model_control_mode=explicit)',
    'supported', undefined, true),
  f('shutdown_grace_period_ms', 'int', 10000, 'On SIGTERM/SIGINT, how long in-flight requests may take to finish',
    'supported', undefined, true),
]);

/** Flag name (snake_case) → effective value. */
export type FlagValues = Record<string, number | boolean | string>;

/** What {@link parseServeFlags} returns. */
export interface ParsedFlags {
  /** Every flag with its effective value. */
  readonly values: FlagValues;
  /** Flags explicitly set (command line or environment). */
  readonly explicit: ReadonlySet<string>;
  /** Arguments that are not flags we know (upstream prints `unknown argument: <arg>` and continues). */
  readonly unknown: readonly string[];
}

const BY_NAME = new Map(SERVE_FLAGS.map((s) => [s.name, s]));

/** `rest-api-port`, `REST_API_PORT`, `rest_api_port` → `rest_api_port`. */
export function canonicalFlagName(name: string): string {
  return name.replace(/-/g, '_').toLowerCase();
}

/** The environment variable that sets a flag: `rest_api_port` → `TFS_REST_API_PORT`. */
export function envVarOf(name: string): string {
  return `TFS_${name.toUpperCase()}`;
}

/** A bad flag value or a flag missing its value (tfs serve prints it with the usage and exits 255). */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

function parseBool(name: string, raw: string): boolean {
  const v = raw.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new FlagError(`Illegal value '${raw}' specified for bool flag '${name}' (use true/false/1/0)`);
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** `raw` as the flag's type; `from` names where it came from when not the command line (e.g. `TFS_PORT`). */
function parseValue(spec: FlagSpec, raw: string, from?: string): number | boolean | string {
  const where = from === undefined ? '' : ` (from ${from})`;
  switch (spec.type) {
    case 'bool':
      try {
        return parseBool(spec.name, raw);
      } catch (e) {
        throw new FlagError(`${(e as Error).message}${where}`);
      }
    case 'int':
    case 'int64': {
      // SimpleAtoi: optional sign, digits, surrounding whitespace.
      if (!/^\s*[+-]?\d+\s*$/.test(raw)) {
        throw new FlagError(`Illegal value '${raw}' specified for int flag '${spec.name}'${where}`);
      }
      const n = Number(raw);
      const inRange = spec.type === 'int' ? n >= INT32_MIN && n <= INT32_MAX : Number.isSafeInteger(n);
      if (!inRange) throw new FlagError(`Value '${raw}' of flag '${spec.name}' is out of range${where}`);
      return n;
    }
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) {
        throw new FlagError(`Illegal value '${raw}' specified for float flag '${spec.name}'${where}`);
      }
      return n;
    }
    case 'string':
      return raw;
  }
}

/**
 * Parse `tfs serve` arguments with upstream's and our forms, then the environment.
 * Throws FlagError for a bad value (upstream exits with usage then).
 */
export function parseServeFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedFlags {
  const values: FlagValues = {};
  const explicit = new Set<string>();
  const unknown: string[] = [];
  for (const s of SERVE_FLAGS) values[s.name] = s.default;

  // The tensorflow/serving Docker image's entrypoint: MODEL_NAME (default "model") and
  // MODEL_BASE_PATH (default "/models") become --model_name=${MODEL_NAME} and
  // --model_base_path=${MODEL_BASE_PATH}/${MODEL_NAME}. Applied when either is set (with
  // neither, the upstream binary's "Both ... are empty!" check applies, as without Docker).
  const envName = env['MODEL_NAME'] || undefined;
  const envBase = env['MODEL_BASE_PATH'] || undefined;
  if (envName !== undefined || envBase !== undefined) {
    const name = envName ?? 'model';
    values['model_name'] = name;
    values['model_base_path'] = `${(envBase ?? '/models').replace(/\/+$/, '')}/${name}`;
    explicit.add('model_name');
    explicit.add('model_base_path');
  }

  for (const s of SERVE_FLAGS) {
    const raw = env[envVarOf(s.name)];
    if (raw === undefined) continue;
    values[s.name] = parseValue(s, raw, envVarOf(s.name));
    explicit.add(s.name);
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([A-Za-z0-9_-]+)(?:=([\s\S]*))?$/.exec(arg);
    if (!m) {
      unknown.push(arg);
      continue;
    }
    const name = canonicalFlagName(m[1]!);
    let inline = m[2];
    let spec = BY_NAME.get(name);
    // --no-enable_batching / --noenable_batching (absl style) for booleans.
    if (!spec && inline === undefined) {
      const neg = name.startsWith('no_') ? name.slice(3) : name.startsWith('no') ? name.slice(2) : undefined;
      const negSpec = neg === undefined ? undefined : BY_NAME.get(neg);
      if (negSpec?.type === 'bool') {
        spec = negSpec;
        inline = 'false';
      }
    }
    if (!spec) {
      unknown.push(arg);
      continue;
    }
    if (inline === undefined) {
      if (spec.type === 'bool') {
        // A bare boolean is true, unless the next argument is an explicit true/false.
        const next = argv[i + 1];
        if (next !== undefined && /^(true|false|1|0)$/i.test(next)) {
          inline = next;
          i++;
        } else {
          inline = 'true';
        }
      } else {
        const next = argv[i + 1];
        // `--model_name --port=1` is a missing value, not a model called "--port=1".
        if (next === undefined || next.startsWith('--')) throw new FlagError(`Flag '--${m[1]}' expects a value`);
        inline = next;
        i++;
      }
    }
    values[spec.name] = parseValue(spec, inline);
    explicit.add(spec.name);
  }
  return { values, explicit, unknown };
}

/**
 * Start-up notes for flags tfs cannot honour: `errors` must stop the server
 * (an unsupported flag set to a non-default value), `warnings` are printed.
 */
export function unsupportedFlagNotes(parsed: ParsedFlags): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const name of parsed.explicit) {
    const spec = BY_NAME.get(name);
    if (!spec || spec.support === 'supported') continue;
    const v = parsed.values[name];
    // An ignored flag is reported whenever it is given (even at its default), so nobody
    // believes `--enable_profiler` turned a profiler on; an unsupported one only when it
    // asks for something tfs cannot do.
    if (v === spec.default && spec.support !== 'ignored') continue;
    // TensorFlow session flags take effect in TensorFlow's own runtime.
    if (TENSORFLOW_SESSION_FLAGS.has(name) && parsed.values['runtime'] !== 'embedded') continue;
    const text = `--${name}=${String(v)}: ${spec.note ?? 'not supported by tfs'}`;
    if (spec.support === 'unsupported') errors.push(`${text}. Remove the flag to start tfs.`);
    else warnings.push(`${text}; the flag is accepted and has no effect.`);
  }
  return { errors, warnings };
}

/** Flags `--runtime tensorflow` passes to the TensorFlow session; the embedded runtime ignores them, except intra-op parallelism (its wasm threads). */
export const TENSORFLOW_SESSION_FLAGS: ReadonlySet<string> = new Set([
  'tensorflow_session_parallelism',
  'tensorflow_intra_op_parallelism',
  'tensorflow_inter_op_parallelism',
  'per_process_gpu_memory_fraction',
]);

/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The warning for an argument that is not a flag we know: upstream's `unknown argument: <arg>`,
 * plus the closest flag name when one is near (a typo such as `--enable_batchin`).
 */
export function unknownArgumentText(arg: string): string {
  const m = /^--?([A-Za-z0-9_-]+)/.exec(arg);
  if (!m) return `unknown argument: ${arg}`;
  const name = canonicalFlagName(m[1]!);
  let best: string | undefined;
  let bestD = Infinity;
  for (const s of SERVE_FLAGS) {
    const d = editDistance(name, s.name);
    if (d < bestD) [best, bestD] = [s.name, d];
  }
  const close = best !== undefined && (bestD <= 2 || (bestD <= 4 && bestD <= Math.floor(name.length / 4)));
  return close ? `unknown argument: ${arg} (did you mean --${best}?)` : `unknown argument: ${arg}`;
}

/** Upstream-style usage text (`\t--name=<default>\ttype\thelp`). */
export function usageText(argv0 = 'tfs serve'): string {
  const lines = [`usage: ${argv0}`, 'Flags:'];
  for (const s of SERVE_FLAGS) {
    const def = s.type === 'string' ? `"${String(s.default)}"` : String(s.default);
    const type = s.type === 'int' ? 'int32' : s.type;
    const note = s.support === 'supported' ? '' : ` [tfs: ${s.support}: ${s.note ?? ''}]`;
    lines.push(`\t--${s.name}=${def}\t${type}\t${s.help}${s.tfsOnly ? ' [tfs only]' : ''}${note}`);
  }
  return lines.join('\n');
}
