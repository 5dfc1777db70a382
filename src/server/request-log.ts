/**
 * `--log_requests`: one structured log line per finished request, sampled per model.
 *
 * Upstream's request logger (S:tensorflow_serving/core/request_logger.cc) samples each
 * request with the model's `logging_config.sampling_config.sampling_rate` and, for every
 * sampled request, counts `:tensorflow:serving:request_log_count{model_name,status_code}`,
 * where `status_code` is the outcome of writing the log (`OK`), not of the request. tfs writes
 * the log to its own logger instead of a log collector: a model with a sampling rate is
 * logged at that rate (0 = never, as upstream), a model without one (or a request naming no
 * model) at rate 1. Off unless `--log_requests` is given, as upstream logs no requests.
 */
import type { ModelServerConfig } from '../config/types.js';
import type { Logger } from '../util/logger.js';

/** One finished request, from either front end. */
export interface RequestLogEntry {
  readonly entrypoint: 'REST' | 'GRPC';
  /** REST route (`predict`, `status`, ...) or gRPC method (`Predict`, `GetModelStatus`, ...). */
  readonly api: string;
  /** '' when the request named no model. */
  readonly modelName: string;
  /** The version that answered (or the one requested, when the request failed). */
  readonly version: number | undefined;
  /** Canonical status code name (`OK`, `NOT_FOUND`, ...). */
  readonly status: string;
  /** REST only. */
  readonly httpStatus?: number | undefined;
  readonly latencyMs: number;
}

export interface RequestLoggerOptions {
  readonly logger: Logger;
  /** The config in force (re-read on every request, so reloads change sampling at once). */
  readonly config: () => ModelServerConfig;
  /** Called once per written log line (metrics: `recordRequestLog(model, 'OK')`). */
  readonly onLogged?: (modelName: string) => void;
  /** Uniform [0, 1) source (tests). Default Math.random. */
  readonly random?: () => number;
}

/** Returns the function the front ends call once per finished request. Never throws. */
export function createRequestLogger(opts: RequestLoggerOptions): (entry: RequestLogEntry) => void {
  const random = opts.random ?? Math.random;
  // Sampling rate per model name, rebuilt when the config object changes (a reload).
  let seen: ModelServerConfig | undefined;
  let rates = new Map<string, number>();
  const rateOf = (model: string): number => {
    const config = opts.config();
    if (config !== seen) {
      seen = config;
      rates = new Map();
      for (const m of config.models) if (m.sampling) rates.set(m.name, m.sampling.samplingRate);
    }
    return rates.get(model) ?? 1;
  };
  return (e) => {
    try {
      const rate = rateOf(e.modelName);
      if (!(rate >= 1 || random() < rate)) return;
      const latencyMs = Math.round(e.latencyMs * 1000) / 1000;
      const what = e.modelName === '' ? e.api : `${e.api} ${e.modelName}${e.version === undefined ? '' : ` version ${e.version}`}`;
      opts.logger.info(
        {
          request: {
            entrypoint: e.entrypoint,
            api: e.api,
            model: e.modelName,
            ...(e.version === undefined ? {} : { version: e.version }),
            status: e.status,
            ...(e.httpStatus === undefined ? {} : { httpStatus: e.httpStatus }),
            latencyMs,
          },
        },
        `${e.entrypoint} ${what}: ${e.status} in ${latencyMs} ms`,
      );
      opts.onLogged?.(e.modelName);
    } catch {
      // Logging must never fail a request.
    }
  };
}
