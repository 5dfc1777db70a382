/**
 * `tfs bench` as a library call: build the target and body, run one load (closed or open
 * loop), a sweep, or a batching suggestion, and return the result object that the command
 * prints as text or JSON. The command in commands/bench.ts only maps flags onto this.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { closedLoop, openLoop, type LoopOptions, type RunResult } from './loops.js';
import {
  fetchGrpcInputSpecs,
  fetchRestInputSpecs,
  grpcPredictRequest,
  grpcPredictRequestFromJson,
  randomInputs,
  readBodyArg,
  readInputFile,
  restBodyOf,
  restPath,
  type ModelSelector,
} from './inputs.js';
import { parseSweep, runSweep, suggestBatching, type BatchingSuggestion, type SweepResult } from './sweep.js';
import { GrpcTarget, RestTarget, type Target } from './targets.js';
import { breakdownOf, readHistogramTotals, type ServerBreakdown } from './server-breakdown.js';

export interface BenchOptions extends ModelSelector {
  readonly url?: string;
  readonly grpc?: string;
  /** JSON literal or @file: a REST body, or a PredictRequest in protobuf JSON form for gRPC. */
  readonly body?: string;
  /** A file of several bodies (JSON Lines or a JSON array), sent in turn. */
  readonly input?: string;
  /** PEM CA bundle to trust: https:// URLs, and gRPC with TLS (implies --grpc-tls). */
  readonly caFile?: string;
  /** gRPC over TLS (Node's root CAs unless caFile is given). */
  readonly grpcTls?: boolean;
  /** The server's Prometheus page: read before and after a single run for {@link ServerBreakdown}. */
  readonly metricsUrl?: string;
  readonly auto?: boolean;
  readonly batch?: number;
  readonly concurrency?: number;
  readonly rate?: number;
  readonly durationS?: number;
  readonly requests?: number;
  readonly warmupS?: number;
  readonly sweep?: string;
  readonly connections?: number;
  readonly timeoutMs?: number;
  readonly maxInFlight?: number;
  readonly suggestBatching?: boolean;
  readonly targetP99Ms?: number;
  readonly cores?: number;
  /** Extra request headers / gRPC metadata, as NAME:VALUE pairs already parsed. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly onProgress?: LoopOptions['onProgress'];
  readonly onStep?: (r: RunResult, level: number) => void;
}

export type BenchOutput =
  | { readonly kind: 'run'; readonly result: RunResult; readonly server?: ServerBreakdown }
  | { readonly kind: 'sweep'; readonly sweep: SweepResult; readonly suggestion?: BatchingSuggestion };

/** REST target: --body, --input or --auto (metadata over the same TLS settings). */
async function restTarget(o: BenchOptions, url: string, sel: ModelSelector, ca: Buffer | undefined): Promise<Target> {
  const batch = Math.max(1, o.batch ?? 1);
  let body: string | string[];
  if (o.body !== undefined) body = readBodyArg(o.body);
  else if (o.input !== undefined) body = readInputFile(o.input);
  else if (o.auto) body = restBodyOf(randomInputs(await fetchRestInputSpecs(url, sel, ca), batch), o.signature);
  else throw new Error("give a request body with --body '<json>' or --body @file.json, several with --input file.jsonl, or --auto to build one from the model metadata");
  const timeoutMs = o.timeoutMs ?? 30_000;
  return new RestTarget({ url, path: restPath(sel, 'predict'), body, connections: o.connections ?? o.concurrency ?? 8, timeoutMs, headers: o.headers ?? [], ...(ca ? { ca } : {}) });
}

/** gRPC target: plaintext, or TLS with --grpc-tls / --cacert. */
async function grpcTarget(o: BenchOptions, address: string, sel: ModelSelector, ca: Buffer | undefined): Promise<Target> {
  const credentials = o.grpcTls || ca ? grpc.credentials.createSsl(ca ?? null) : grpc.credentials.createInsecure();
  let request: Uint8Array | Uint8Array[];
  if (o.body !== undefined) request = grpcPredictRequestFromJson(readBodyArg(o.body), sel);
  else if (o.input !== undefined) request = readInputFile(o.input).map((b) => grpcPredictRequestFromJson(b, sel));
  else if (o.auto) request = grpcPredictRequest(randomInputs(await fetchGrpcInputSpecs(address, sel, credentials), Math.max(1, o.batch ?? 1)), sel);
  else throw new Error('give a request body with --body (a PredictRequest in JSON), several with --input file.jsonl, or --auto to build one from the model metadata');
  return new GrpcTarget({
    address,
    method: '/tensorflow.serving.PredictionService/Predict',
    request,
    connections: o.connections ?? Math.min(4, Math.max(1, o.concurrency ?? 8)),
    timeoutMs: o.timeoutMs ?? 30_000,
    headers: o.headers ?? [],
    credentials,
  });
}

export async function buildTarget(o: BenchOptions): Promise<Target> {
  if ((o.url === undefined) === (o.grpc === undefined)) throw new Error('give exactly one of --url (REST) or --grpc (host:port)');
  if (!o.model) throw new Error('--model is required');
  if (o.version !== undefined && o.label !== undefined) throw new Error('--version and --label cannot be used together');
  if ([o.body !== undefined, o.input !== undefined, o.auto === true].filter(Boolean).length > 1) throw new Error('give only one of --body, --input and --auto');
  if (o.grpcTls && o.grpc === undefined) throw new Error('--grpc-tls is for --grpc targets (use an https:// --url for REST)');
  const sel: ModelSelector = {
    model: o.model,
    ...(o.version !== undefined ? { version: o.version } : {}),
    ...(o.label !== undefined ? { label: o.label } : {}),
    ...(o.signature !== undefined ? { signature: o.signature } : {}),
  };
  const ca = o.caFile === undefined ? undefined : readFileSync(o.caFile);
  if (o.url !== undefined) {
    if (ca && !o.url.startsWith('https://')) throw new Error('--cacert needs an https:// --url');
    return restTarget(o, o.url, sel, ca);
  }
  return grpcTarget(o, o.grpc!, sel, ca);
}

export async function runBench(o: BenchOptions): Promise<BenchOutput> {
  if (o.rate !== undefined && o.concurrency !== undefined) throw new Error('--rate (open loop) and --concurrency (closed loop) cannot be used together');
  if (o.suggestBatching && o.sweep !== undefined && !o.sweep.trim().startsWith('concurrency')) {
    throw new Error('--suggest-batching needs a concurrency sweep');
  }
  const target = await buildTarget(o);
  const limits: LoopOptions = {
    ...(o.durationS !== undefined ? { durationMs: o.durationS * 1000 } : {}),
    ...(o.requests !== undefined ? { requests: o.requests } : {}),
    ...(o.warmupS !== undefined ? { warmupMs: o.warmupS * 1000 } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  };
  try {
    const sweepText = o.sweep ?? (o.suggestBatching ? 'concurrency=1,2,4,8,16,32,64' : undefined);
    if (sweepText !== undefined) {
      const spec = parseSweep(sweepText);
      const sweep = await runSweep(target, spec, { ...limits, ...(o.maxInFlight ? { maxInFlight: o.maxInFlight } : {}) }, o.onStep);
      if (o.suggestBatching) {
        const suggestion = suggestBatching(sweep, o.targetP99Ms ?? 100, o.cores ?? availableParallelism());
        return { kind: 'sweep', sweep, suggestion };
      }
      return { kind: 'sweep', sweep };
    }
    const before = o.metricsUrl === undefined ? undefined : await readHistogramTotals(o.metricsUrl, o.model);
    const result =
      o.rate !== undefined
        ? await openLoop(target, o.rate, { ...limits, maxInFlight: o.maxInFlight ?? 1024 })
        : await closedLoop(target, o.concurrency ?? 8, limits);
    if (!before) return { kind: 'run', result };
    return { kind: 'run', result, server: breakdownOf(o.metricsUrl!, before, await readHistogramTotals(o.metricsUrl!, o.model)) };
  } finally {
    await target.close();
  }
}

/** The run to compare from a `--json` file: a single run, or a sweep's knee step. */
export function runFromJson(obj: unknown, file: string): RunResult {
  const o = obj as { kind?: string; result?: RunResult; sweep?: SweepResult };
  if (o.kind === 'run' && o.result) return o.result;
  if (o.kind === 'sweep' && o.sweep) {
    const k = o.sweep.steps[o.sweep.knee >= 0 ? o.sweep.knee : o.sweep.steps.length - 1];
    if (k) return k;
  }
  throw new Error(`${file} is not the --json output of tfs bench`);
}
