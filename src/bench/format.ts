/** Text output of `tfs bench`: a run's summary, a sweep table, and `--compare` of two runs. */
import type { RunResult } from './loops.js';
import type { SweepResult } from './sweep.js';

const f2 = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(1) : n.toFixed(3));

export function formatRun(r: RunResult): string {
  const lines: string[] = [];
  const how = r.mode === 'closed' ? `closed loop, concurrency ${r.concurrency}` : `open loop, target rate ${r.rate}/s`;
  lines.push(`${r.target} (${how})`);
  lines.push(`  requests: ${r.sent} sent, ${r.completed} completed, ${r.ok} ok in ${(r.durationMs / 1000).toFixed(2)} s`);
  lines.push(`  throughput: ${r.throughput.toFixed(1)} requests/s${r.sendRate !== undefined ? ` (send rate ${r.sendRate.toFixed(1)}/s)` : ''}`);
  const l = r.latency;
  lines.push(
    `  latency (ms${r.mode === 'open' ? ', corrected for coordinated omission' : ''}): p50 ${f2(l.p50)}  p90 ${f2(l.p90)}  p99 ${f2(l.p99)}  p99.9 ${f2(l.p999)}  max ${f2(l.max)}  mean ${f2(l.mean)}`,
  );
  if (r.uncorrectedLatency) {
    const u = r.uncorrectedLatency;
    lines.push(`  latency (ms, uncorrected): p50 ${f2(u.p50)}  p90 ${f2(u.p90)}  p99 ${f2(u.p99)}  max ${f2(u.max)}`);
  }
  const statuses = Object.entries(r.statuses)
    .sort((a, b) => b[1] - a[1])
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  lines.push(`  statuses: ${statuses || 'none'}`);
  for (const [s, msg] of Object.entries(r.errorSamples)) lines.push(`  ${s} e.g.: ${msg.replace(/\s+/g, ' ').slice(0, 200)}`);
  return lines.join('\n');
}

export function formatSweep(s: SweepResult): string {
  const head = `${s.kind.padEnd(12)} ${'throughput/s'.padStart(12)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'errors'.padStart(7)}`;
  const rows = s.steps.map((r, i) => {
    const level = String(s.kind === 'concurrency' ? r.concurrency : r.rate);
    return `${(level + (i === s.knee ? ' (knee)' : '')).padEnd(12)} ${r.throughput.toFixed(1).padStart(12)} ${f2(r.latency.p50).padStart(9)} ${f2(r.latency.p99).padStart(9)} ${String(r.completed - r.ok).padStart(7)}`;
  });
  return [head, ...rows].join('\n');
}

export interface CompareRow {
  readonly metric: string;
  readonly a: number;
  readonly b: number;
  /** (b - a) / a, or null when a is 0. */
  readonly change: number | null;
}

export function compareRuns(a: RunResult, b: RunResult): CompareRow[] {
  const row = (metric: string, x: number, y: number): CompareRow => ({ metric, a: x, b: y, change: x === 0 ? null : (y - x) / x });
  return [
    row('throughput/s', a.throughput, b.throughput),
    row('p50 ms', a.latency.p50, b.latency.p50),
    row('p90 ms', a.latency.p90, b.latency.p90),
    row('p99 ms', a.latency.p99, b.latency.p99),
    row('p99.9 ms', a.latency.p999, b.latency.p999),
    row('max ms', a.latency.max, b.latency.max),
    row('errors', a.completed - a.ok, b.completed - b.ok),
  ];
}

export function formatCompare(rows: readonly CompareRow[], nameA: string, nameB: string): string {
  const head = `${'metric'.padEnd(14)} ${nameA.slice(-18).padStart(18)} ${nameB.slice(-18).padStart(18)} ${'change'.padStart(9)}`;
  const body = rows.map((r) => {
    const ch = r.change === null ? 'n/a' : `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)}%`;
    return `${r.metric.padEnd(14)} ${f2(r.a).padStart(18)} ${f2(r.b).padStart(18)} ${ch.padStart(9)}`;
  });
  return [head, ...body].join('\n');
}
