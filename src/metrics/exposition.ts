/**
 * The monitoring endpoint: renders a Registry as TF Serving's Prometheus exporter does
 * (S:tensorflow_serving/util/prometheus_exporter.cc, tfserving-spec.md §5.1) and answers
 * requests for the configured path.
 *
 * Rendering, where a client can tell the difference from upstream:
 *  - metrics sorted by name, `# TYPE` lines only (no `# HELP`), lines joined by `\n`, a
 *    trailing `\n`, `Content-Type: text/plain`;
 *  - upstream metrics (names starting with `:`) print `{}` when they have no labels, and
 *    their histogram `le` values come pre-formatted with `%g` (tf-histogram.ts);
 *  - label values escape `\` and `"` (and `\n`, which upstream leaves raw and which would
 *    break the format);
 *  - a metric with no cells prints only its `# TYPE` line.
 * Sample values are printed in full precision (upstream prints histogram sums with `%g`,
 * losing digits; no parser depends on that).
 * Other metrics (process_*, nodejs_*, the tutorial's names) print as prom-client prints them.
 */
import type { Registry } from 'prom-client';
import { Errors } from '../errors.js';
import type { MonitoringConfig } from '../config/types.js';

/** Upstream's default path when `prometheus_config.path` is empty. */
export const DEFAULT_METRICS_PATH = '/monitoring/prometheus/metrics';

/** Upstream's Content-Type for the page. */
export const METRICS_CONTENT_TYPE = 'text/plain';

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLe(v: string | number): string {
  if (typeof v === 'string') return v;
  return v === Infinity ? '+Inf' : String(v);
}

interface JsonValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** Render every metric of `registry` in upstream's exposition format. */
export async function renderPrometheus(registry: Registry): Promise<string> {
  const metrics = (await registry.getMetricsAsJSON()) as unknown as { name: string; type: string; values: JsonValue[] }[];
  metrics.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: string[] = [];
  for (const m of metrics) {
    const upstream = m.name.startsWith(':');
    lines.push(`# TYPE ${m.name} ${m.type}`);
    for (const v of m.values) {
      const parts: string[] = [];
      for (const [k, val] of Object.entries(v.labels)) {
        if (k !== 'le') parts.push(`${k}="${escapeLabelValue(String(val))}"`);
      }
      // `le` last, as upstream prints it (prom-client puts it first)
      if (v.labels['le'] !== undefined) parts.push(`le="${formatLe(v.labels['le'])}"`);
      const labels = parts.length > 0 ? `{${parts.join(',')}}` : upstream ? '{}' : '';
      lines.push(`${v.metricName ?? m.name}${labels} ${formatValue(v.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export interface MetricsResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** The monitoring route the REST server mounts: exact `path`, any method. */
export interface MetricsEndpoint {
  readonly path: string;
  /**
   * Answer a request whose path matched. `uri` is the raw request target (path and query);
   * when it is not exactly `path`, upstream answers 400 `Unexpected path: <uri>. Should be <path>`.
   */
  handle(uri: string): Promise<MetricsResponse>;
}

/**
 * The endpoint for a monitoring config, or undefined when metrics are not exported (no
 * `--monitoring_config_file`, or `enable: false`): then, as upstream, nothing is served at
 * the path and the REST server answers it like any unknown non-`/v1` path.
 */
export function createMetricsEndpoint(registry: Registry, monitoring: MonitoringConfig | undefined): MetricsEndpoint | undefined {
  if (!monitoring?.prometheus.enable) return undefined;
  const path = monitoring.prometheus.path || DEFAULT_METRICS_PATH;
  return {
    path,
    async handle(uri: string): Promise<MetricsResponse> {
      if (uri !== path) {
        const e = Errors.unexpectedMetricsPath(uri, path);
        return { status: e.httpStatus, contentType: METRICS_CONTENT_TYPE, body: e.message };
      }
      return { status: 200, contentType: METRICS_CONTENT_TYPE, body: await renderPrometheus(registry) };
    },
  };
}

/**
 * The monitoring endpoint of a server whose monitoring config can change while it serves
 * (`--monitoring_config_file` polled, server/monitoring-reload.ts): the REST app asks for
 * {@link path} on every request, so turning export on or off, or moving it, needs no restart.
 */
export class LiveMetricsEndpoint {
  private endpoint: MetricsEndpoint | undefined;
  private current: MonitoringConfig | undefined;

  constructor(
    private readonly registry: Registry,
    monitoring: MonitoringConfig | undefined,
  ) {
    this.set(monitoring);
  }

  /** The path served now, or undefined when export is off. */
  get path(): string | undefined {
    return this.endpoint?.path;
  }

  /** The monitoring config in force. */
  get config(): MonitoringConfig | undefined {
    return this.current;
  }

  /** Serve what `monitoring` says from the next request on. */
  set(monitoring: MonitoringConfig | undefined): void {
    this.current = monitoring;
    this.endpoint = createMetricsEndpoint(this.registry, monitoring);
  }

  /** Answer a request for {@link path} (see {@link MetricsEndpoint.handle}). */
  handle(uri: string): Promise<MetricsResponse> {
    if (this.endpoint) return this.endpoint.handle(uri);
    return Promise.resolve({ status: 404, contentType: METRICS_CONTENT_TYPE, body: '' });
  }
}
