import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Command, Flags } from '@oclif/core';
import { asTfsError } from '../src/errors.js';
import {
  FlagError,
  SERVE_FLAGS,
  envVarOf,
  parseServeFlags,
  unknownArgumentText,
  unsupportedFlagNotes,
  usageText,
  type FlagSpec,
} from '../src/server/flags.js';
import { HeapGrowthPolicy } from '../src/server/heap-growth.js';
import { startServer } from '../src/server/server.js';
import { installServeSignals } from '../src/server/signals.js';
import { packageRoot } from '../src/util/paths.js';
import { createLogger } from '../src/util/logger.js';

/** oclif flag declarations generated from the flag table, so `tfs serve --help` lists every flag. */
function oclifFlags(): Record<string, ReturnType<typeof Flags.string>> {
  const out: Record<string, ReturnType<typeof Flags.string>> = {};
  for (const s of SERVE_FLAGS) out[s.name] = declare(s) as ReturnType<typeof Flags.string>;
  return out;
}

function declare(s: FlagSpec): unknown {
  const note = s.support === 'supported' ? '' : ` [tfs: ${s.support}: ${s.note ?? ''}]`;
  const description = `${s.help}${s.tfsOnly ? ' [tfs only]' : ''}${note} (env ${envVarOf(s.name)})`;
  const common = { description, helpGroup: s.tfsOnly ? 'TFS' : 'TENSORFLOW_MODEL_SERVER', aliases: [s.name.replace(/_/g, '-')] };
  if (s.type === 'bool') return Flags.boolean({ ...common, default: s.default as boolean, allowNo: true });
  return Flags.string({ ...common, default: String(s.default) });
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function tfsVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${packageRoot}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export default class Serve extends Command {
  static override summary = 'Serve SavedModels over REST and gRPC: a drop-in for tensorflow_model_server.';

  static override description = [
    "Takes tensorflow_model_server's flags in their upstream form (--name=value, bare booleans, true/false/1/0) and also as --kebab-case value. Every flag can be set with a TFS_<NAME> environment variable (the command line wins), and MODEL_NAME / MODEL_BASE_PATH work as in the tensorflow/serving Docker image (--model_name=${MODEL_NAME:-model} --model_base_path=${MODEL_BASE_PATH:-/models}/${MODEL_NAME:-model}).",
    'gRPC listens on --port (8500) and REST on --rest_api_port (8501, as the Docker image runs it); 0 picks a free port (logged), -1 turns a listener off. Flags that only tune TensorFlow itself are accepted with a warning; flags tfs cannot honour stop the start-up with the reason.',
    'SIGTERM or SIGINT drains: /readyz answers 503 and gRPC health NOT_SERVING at once, new calls are refused, in-flight requests get --shutdown_grace_period_ms to finish, then tfs exits 0. A second signal exits at once.',
  ].join('\n\n');

  static override examples = [
    '<%= config.bin %> serve --model_name=half_plus_two --model_base_path=./fixtures/models/half_plus_two',
    '<%= config.bin %> serve --model_config_file=models.config --model_config_file_poll_wait_seconds=60 --enable_batching=true --batching_parameters_file=batching.config --monitoring_config_file=monitoring.config',
    'MODEL_NAME=my_model MODEL_BASE_PATH=$PWD/models <%= config.bin %> serve',
  ];

  static override flags = oclifFlags();

  // Our own parser handles upstream's flag syntax (see src/server/flags.ts); oclif only renders --help.
  static override strict = false;

  async run(): Promise<void> {
    // V8's heap growing factor: 30 through start-up and around loads, unloads and reloads
    // (issue 18: reloads let RSS climb to 2-4x the live heap under V8's default), 100 while
    // only serving (issue 20: at 30 V8 marks without pause under big requests). See
    // src/server/heap-growth.ts. A --heap-growing-percent given to node itself (`node
    // --heap-growing-percent=N bin/run.js serve`) wins; node refuses it in NODE_OPTIONS.
    const given = process.execArgv.some((a) => a.includes('heap-growing-percent'));
    const heapGrowth = given ? undefined : new HeapGrowthPolicy((p) => setFlagsFromString(`--heap-growing-percent=${p}`));
    let parsed;
    try {
      parsed = parseServeFlags(this.argv);
    } catch (e) {
      if (e instanceof FlagError) {
        process.stderr.write(`${e.message}\n${usageText('tfs serve')}\n`);
        this.exit(255);
      }
      throw e;
    }
    const f = parsed.values;
    if (f['version'] === true) {
      const tfjs = (await import('@tensorflow/tfjs-core')).version_core;
      this.log(`TensorFlow ModelServer: tfs ${tfsVersion()}\nTensorFlow Library: tfjs ${tfjs}`);
      return;
    }
    const level = String(f['log_level']);
    const format = String(f['log_format']);
    if (!LOG_LEVELS.includes(level) || !['json', 'pretty'].includes(format)) {
      const what = LOG_LEVELS.includes(level) ? `--log_format must be json or pretty (got "${format}")` : `--log_level must be one of ${LOG_LEVELS.join(', ')} (got "${level}")`;
      process.stderr.write(`Failed to start server. Error: INVALID_ARGUMENT: ${what}\n`);
      this.exit(255);
    }
    const logger = createLogger({ level, format: format === 'pretty' ? 'pretty' : 'json' });
    // Upstream prints unknown arguments and keeps going.
    for (const arg of parsed.unknown) logger.warn(unknownArgumentText(arg));
    const notes = unsupportedFlagNotes(parsed);
    for (const w of notes.warnings) logger.warn(w);
    if (notes.errors.length > 0) {
      for (const e of notes.errors) process.stderr.write(`Failed to start server. Error: UNIMPLEMENTED: ${e}\n`);
      this.exit(255);
    }

    // Signals: the first SIGINT/SIGTERM drains (or aborts a start-up in progress), a second exits at once.
    const signals = installServeSignals(logger, Number(f['shutdown_grace_period_ms']));
    try {
      signals.setServer(await startServer({ flags: f, logger, signal: signals.startSignal, ...(heapGrowth ? { heapGrowth } : {}) }));
    } catch (e) {
      const err = asTfsError(e);
      const text = `Failed to start server. Error: ${err.codeName}: ${err.message}`;
      // As a structured log line (json), and always as plain text on stderr, where upstream
      // prints it and where scripts look (a pretty log would only repeat it).
      if (String(f['log_format']) !== 'pretty') logger.error({ code: err.codeName }, text);
      process.stderr.write(`${text}\n`);
      process.exit(signals.count() > 0 ? 130 : 255);
    }
    // Keep the process alive until a signal arrives (the listeners hold the event loop).
  }
}
