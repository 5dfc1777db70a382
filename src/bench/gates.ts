/**
 * Pass/fail thresholds for `tfs bench`, so a CI job can gate on a load test:
 * success ratio (--min-success, default 99%), p99 latency (--max-p99) and throughput
 * (--min-rps). A run that fails a gate makes the command exit non-zero, after printing
 * why and the first failing response (status and body), which is usually the real cause
 * (a refused connection, a 400 from a wrong body, a 404 from a wrong model name).
 */
import type { RunResult } from './loops.js';

export interface Gates {
  /** Minimum share of requests that succeeded, in percent (0–100). */
  readonly minSuccessPct: number;
  readonly maxP99Ms?: number;
  readonly minRps?: number;
}

export interface GateVerdict {
  readonly passed: boolean;
  /** One line per failed gate. */
  readonly failures: readonly string[];
  /** The first failing status and a sample of its body, when any request failed. */
  readonly firstError?: string;
}

/** `50ms`, `0.5s`, `50` (ms) → milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(text);
  if (!m) throw new Error(`expected a duration such as 50ms or 0.5s (got "${text}")`);
  const v = Number(m[1]);
  return m[2] === 's' ? v * 1000 : v;
}

export function successPct(r: RunResult): number {
  return r.completed === 0 ? 0 : (r.ok / r.completed) * 100;
}

function firstErrorOf(r: RunResult): string | undefined {
  const failing = Object.entries(r.statuses).filter(([s]) => s !== '200' && s !== 'OK');
  if (failing.length === 0) return undefined;
  failing.sort((a, b) => b[1] - a[1]);
  const [status, count] = failing[0]!;
  const sample = r.errorSamples[status];
  return `${status} (${count} of ${r.completed})${sample ? `: ${sample}` : ''}`;
}

export function checkGates(r: RunResult, g: Gates): GateVerdict {
  const failures: string[] = [];
  const pct = successPct(r);
  if (r.completed === 0) failures.push('no request completed');
  else if (pct < g.minSuccessPct) failures.push(`success ${pct.toFixed(2)}% (${r.ok} of ${r.completed}) is below --min-success ${g.minSuccessPct}%`);
  if (g.maxP99Ms !== undefined && r.latency.p99 > g.maxP99Ms) failures.push(`p99 ${r.latency.p99.toFixed(2)} ms is above --max-p99 ${g.maxP99Ms} ms`);
  if (g.minRps !== undefined && r.throughput < g.minRps) failures.push(`throughput ${r.throughput.toFixed(1)} req/s is below --min-rps ${g.minRps}`);
  const firstError = firstErrorOf(r);
  return { passed: failures.length === 0, failures, ...(firstError !== undefined ? { firstError } : {}) };
}

/** `K:V` or `K: V` → [name, value]; header names are checked as HTTP tokens. */
export function parseHeader(text: string): [string, string] {
  const i = text.indexOf(':');
  const name = i > 0 ? text.slice(0, i).trim() : '';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new Error(`--header takes NAME:VALUE (got "${text}")`);
  const value = text.slice(i + 1).trim();
  if (/[\r\n]/.test(value)) throw new Error(`--header value may not contain a line break (got "${text}")`);
  return [name, value];
}
