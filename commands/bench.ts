import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Flags, type Interfaces } from '@oclif/core';
import type { BenchOutput, runBench } from '../src/bench/bench.js';
import type { CompareRow } from '../src/bench/format.js';
import type { GateVerdict, checkGates } from '../src/bench/gates.js';

/**
 * The load generator and its formatting, imported when the command runs: oclif imports every
 * command module at start-up (`tfs serve` too), and this code pulls in hdr-histogram-js, pngjs,
 * the gRPC client and more that a server never uses (issue 20).
 */
async function engine() {
  const [bench, format, gates, report, breakdown] = await Promise.all([
    import('../src/bench/bench.js'),
    import('../src/bench/format.js'),
    import('../src/bench/gates.js'),
    import('../src/bench/report.js'),
    import('../src/bench/server-breakdown.js'),
  ]);
  return { ...bench, ...format, ...gates, ...report, ...breakdown };
}

export default class Bench extends Command {
  static override summary = 'Load-test the REST or gRPC predict endpoint of tfs or any TensorFlow Serving.';

  static override description = `Closed loop (--concurrency) or open loop at a fixed rate (--rate, latency corrected for
coordinated omission), bounded by --duration and/or --requests, after --warmup. Latencies are
recorded in an HDR histogram (p50, p90, p99, p99.9, max). --sweep runs several load levels and
finds the throughput knee; --suggest-batching turns a concurrency sweep into batching.pbtxt
values for --target-p99. --report writes a self-contained HTML page; --json prints the result,
and --compare a.json b.json prints the differences between two such results.

For CI: the command exits 1 when fewer than --min-success percent of requests succeed
(default 99; an unreachable server counts as 0%), or when --max-p99 or --min-rps is missed,
and prints the first failing status and body.`;

  static override examples = [
    `<%= config.bin %> bench --url http://127.0.0.1:8501 --model half_plus_two --body '{"instances": [1.0, 2.0]}' --concurrency 16 --duration 10`,
    '<%= config.bin %> bench --grpc 127.0.0.1:8500 --model my_model --auto --batch 8 --rate 500 --duration 20',
    '<%= config.bin %> bench --url http://127.0.0.1:8501 --model my_model --auto --sweep concurrency=1,4,16,64 --report sweep.html',
    '<%= config.bin %> bench --compare before.json after.json',
    '<%= config.bin %> bench --url http://127.0.0.1:8501 --model my_model --auto --header model-version:canary --max-p99 50ms --min-rps 200 -d 20',
  ];

  static override enableJsonFlag = true;

  static override flags = {
    url: Flags.string({ description: 'REST base URL, e.g. http://127.0.0.1:8501 or https://tfs.example.com', exclusive: ['grpc'] }),
    grpc: Flags.string({ description: 'gRPC address host:port, e.g. 127.0.0.1:8500', exclusive: ['url'] }),
    model: Flags.string({ description: 'model name' }),
    version: Flags.integer({ description: 'model version', exclusive: ['label'] }),
    label: Flags.string({ description: 'model version label', exclusive: ['version'] }),
    signature: Flags.string({ description: 'signature name (default serving_default)' }),
    body: Flags.string({
      description: 'request body: JSON text or @file.json (REST: the predict body; gRPC: a PredictRequest in protobuf JSON form)',
    }),
    input: Flags.string({ char: 'i', description: 'a file of several request bodies, sent in turn: one JSON document per line (REST bodies, or PredictRequests in JSON for gRPC), or one JSON array of them' }),
    cacert: Flags.string({ description: 'PEM CA bundle to trust: for an https:// --url, or for --grpc over TLS (implies --grpc-tls)' }),
    'metrics-url': Flags.string({ description: "the server's Prometheus page (e.g. http://127.0.0.1:8501/monitoring/prometheus/metrics): read before and after the run to print where the server spent the time (request, queue, compute, batch size)" }),
    'grpc-tls': Flags.boolean({ description: "--grpc over TLS (Node's root CAs unless --cacert is given)" }),
    auto: Flags.boolean({ description: "build random valid inputs from the model's metadata" }),
    batch: Flags.integer({ description: 'rows per request with --auto', default: 1, min: 1 }),
    concurrency: Flags.integer({ char: 'c', description: 'closed loop: concurrent clients (default 8)', min: 1, exclusive: ['rate'] }),
    rate: Flags.integer({ char: 'r', description: 'open loop: requests per second', min: 1, exclusive: ['concurrency'] }),
    duration: Flags.integer({ char: 'd', description: 'seconds of measurement (default 10 unless --requests is given)', min: 1, max: 3600 }),
    requests: Flags.integer({ char: 'n', description: 'stop after this many requests', min: 1 }),
    warmup: Flags.integer({ description: 'seconds of unrecorded warm-up before measuring', default: 1, min: 0, max: 600 }),
    sweep: Flags.string({ description: 'load levels: concurrency=1,4,16,64 or rate=100,200,400' }),
    connections: Flags.integer({ description: 'connections to open (REST default: concurrency; gRPC default: min(4, concurrency))', min: 1 }),
    timeout: Flags.integer({ description: 'per-request timeout in ms', default: 30000, min: 1 }),
    'max-in-flight': Flags.integer({ description: 'open loop: cap on outstanding requests', default: 1024, min: 1 }),
    report: Flags.string({ description: 'write a self-contained HTML report to this file' }),
    compare: Flags.string({ description: 'compare two --json results: --compare a.json --compare b.json (or --compare a.json b.json)', multiple: true }),
    'suggest-batching': Flags.boolean({ description: 'sweep concurrency and propose batching parameters for --target-p99' }),
    'target-p99': Flags.integer({ description: 'p99 latency target in ms for --suggest-batching', default: 100, min: 1 }),
    cores: Flags.integer({ description: 'cores of the serving machine, for --suggest-batching (default: this machine)', min: 1 }),
    header: Flags.string({ char: 'H', description: 'extra request header NAME:VALUE (gRPC: call metadata); repeatable', multiple: true }),
    'min-success': Flags.string({ description: 'fail (exit 1) when fewer than this percent of requests succeed', default: '99' }),
    'max-p99': Flags.string({ description: 'fail (exit 1) when p99 latency is above this, e.g. 50ms or 0.2s' }),
    'min-rps': Flags.string({ description: 'fail (exit 1) when throughput is below this many requests/s' }),
  };

  static override strict = false;

  async run(): Promise<BenchOutput | { kind: 'compare'; a: string; b: string; rows: CompareRow[] }> {
    const { flags, argv } = await this.parse(Bench);
    const { runBench, runFromJson, compareRuns, formatCompare, formatRun, formatSweep, checkGates, parseDurationMs, parseHeader, renderReport, formatBreakdown } = await engine();
    if (flags.compare) {
      const files = [...flags.compare, ...(argv as string[])];
      if (files.length !== 2) this.error('--compare takes exactly two files', { exit: 2 });
      const [a, b] = files as [string, string];
      const rows = compareRuns(runFromJson(JSON.parse(readFileSync(a, 'utf8')), a), runFromJson(JSON.parse(readFileSync(b, 'utf8')), b));
      this.log(formatCompare(rows, a, b));
      return { kind: 'compare', a, b, rows };
    }
    if ((argv as string[]).length > 0) this.error(`unexpected argument: ${(argv as string[])[0]}`, { exit: 2 });
    let headers: [string, string][];
    let gates: Parameters<typeof checkGates>[1];
    try {
      headers = (flags.header ?? []).map(parseHeader);
      gates = gatesOf(flags, parseDurationMs);
    } catch (err) {
      this.error((err as Error).message, { exit: 2 });
    }
    const tty = process.stderr.isTTY && !this.jsonEnabled();
    let out: BenchOutput;
    try {
      out = await runBench(benchOptionsOf(flags, headers, tty));
    } catch (err) {
      this.error((err as Error).message, { exit: 2 });
    }
    if (tty) process.stderr.write('\n');
    if (out.kind === 'run') {
      this.log(formatRun(out.result));
      if (out.server) this.log(formatBreakdown(out.server));
    }
    else {
      this.log(formatSweep(out.sweep));
      if (out.suggestion) this.log(`\nsuggested batching parameters:\n${out.suggestion.pbtxt}\n${out.suggestion.reasoning.map((r) => `  - ${r}`).join('\n')}`);
    }
    if (flags.report) {
      writeFileSync(
        flags.report,
        renderReport({
          title: `tfs bench: ${flags.model}`,
          runs: out.kind === 'run' ? [out.result] : out.sweep.steps,
          ...(out.kind === 'sweep' ? { sweep: out.sweep } : {}),
          ...(out.kind === 'sweep' && out.suggestion ? { suggestion: out.suggestion } : {}),
        }),
      );
      this.log(`report written to ${flags.report}`);
    }
    const verdicts = (out.kind === 'run' ? [out.result] : out.sweep.steps).map((r) => checkGates(r, gates));
    const failed = verdicts.filter((v) => !v.passed);
    if (failed.length > 0) this.error(gateMessage(failed), { exit: 1 });
    return out;
  }
}

type BenchFlags = Interfaces.InferredFlags<typeof Bench.flags>;

/** runBench's options from the command's flags; progress lines on stderr when it is a TTY. */
function benchOptionsOf(flags: BenchFlags, headers: [string, string][], tty: boolean): Parameters<typeof runBench>[0] {
  return {
    ...(flags.url !== undefined ? { url: flags.url } : {}),
    ...(flags.grpc !== undefined ? { grpc: flags.grpc } : {}),
    model: flags.model ?? '',
    ...(flags.version !== undefined ? { version: flags.version } : {}),
    ...(flags.label !== undefined ? { label: flags.label } : {}),
    ...(flags.signature !== undefined ? { signature: flags.signature } : {}),
    ...(flags.body !== undefined ? { body: flags.body } : {}),
    ...(flags.input !== undefined ? { input: flags.input } : {}),
    ...(flags.cacert !== undefined ? { caFile: flags.cacert } : {}),
    grpcTls: flags['grpc-tls'],
    ...(flags['metrics-url'] !== undefined ? { metricsUrl: flags['metrics-url'] } : {}),
    auto: flags.auto,
    batch: flags.batch,
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
    ...(flags.duration !== undefined ? { durationS: flags.duration } : {}),
    ...(flags.requests !== undefined ? { requests: flags.requests } : {}),
    warmupS: flags.warmup,
    ...(flags.sweep !== undefined ? { sweep: flags.sweep } : {}),
    ...(flags.connections !== undefined ? { connections: flags.connections } : {}),
    timeoutMs: flags.timeout,
    maxInFlight: flags['max-in-flight'],
    suggestBatching: flags['suggest-batching'],
    targetP99Ms: flags['target-p99'],
    ...(flags.cores !== undefined ? { cores: flags.cores } : {}),
    headers,
    ...(tty
      ? {
          onProgress: (p) =>
            process.stderr.write(
              `\r${(p.elapsedMs / 1000).toFixed(1)}s  ${p.completed} done  ${((p.completed / Math.max(p.elapsedMs, 1)) * 1000).toFixed(0)}/s  errors ${p.errors}  p99 ${p.p99Ms.toFixed(2)} ms   `,
            ),
        }
      : {}),
    ...(tty ? { onStep: () => process.stderr.write('\n') } : {}),
  };
}

function gatesOf(
  flags: { 'min-success': string; 'max-p99'?: string | undefined; 'min-rps'?: string | undefined },
  parseDurationMs: (text: string) => number,
): Parameters<typeof checkGates>[1] {
  const minSuccessPct = Number(flags['min-success']);
  if (!Number.isFinite(minSuccessPct) || minSuccessPct < 0 || minSuccessPct > 100) throw new Error(`--min-success takes a percentage from 0 to 100 (got "${flags['min-success']}")`);
  const minRps = flags['min-rps'] === undefined ? undefined : Number(flags['min-rps']);
  if (minRps !== undefined && !(minRps >= 0)) throw new Error(`--min-rps takes a number of requests per second (got "${flags['min-rps']}")`);
  return {
    minSuccessPct,
    ...(flags['max-p99'] !== undefined ? { maxP99Ms: parseDurationMs(flags['max-p99']) } : {}),
    ...(minRps !== undefined ? { minRps } : {}),
  };
}

function gateMessage(failed: readonly GateVerdict[]): string {
  const lines = failed.flatMap((v) => v.failures);
  const first = failed.find((v) => v.firstError !== undefined)?.firstError;
  return `bench failed: ${lines.join('; ')}${first ? `\nfirst error: ${first}` : ''}`;
}
