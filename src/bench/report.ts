/**
 * `--report out.html`: one self-contained HTML page (inline SVG and CSS, no scripts, no
 * network) with a latency-by-percentile plot of each run and, for a sweep, the
 * throughput-versus-latency curve with the knee marked, plus the numbers as tables.
 */
import type { RunResult } from './loops.js';
import type { BatchingSuggestion, SweepResult } from './sweep.js';

export interface ReportInput {
  readonly title: string;
  readonly runs: readonly RunResult[];
  readonly sweep?: SweepResult;
  readonly suggestion?: BatchingSuggestion;
  readonly generatedAt?: Date;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const W = 720;
const H = 360;
const M = { l: 64, r: 40, t: 16, b: 48 };

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** x position of a percentile on HdrHistogram's 1/(1-p) log axis (0 .. 5 = 99.999%). */
function pctX(p: number): number {
  const q = Math.min(p, 99.999) / 100;
  return Math.log10(1 / (1 - q));
}

function axes(xTicks: Array<{ x: number; label: string }>, yMax: number, xTitle: string, yTitle: string): string {
  const parts: string[] = [];
  const iw = W - M.l - M.r;
  const ih = H - M.t - M.b;
  parts.push(`<rect x="${M.l}" y="${M.t}" width="${iw}" height="${ih}" fill="#fff" stroke="#999"/>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    const y = M.t + ih - (ih * i) / 5;
    parts.push(`<line x1="${M.l}" x2="${M.l + iw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${M.l - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt(v)}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<line x1="${t.x}" x2="${t.x}" y1="${M.t}" y2="${M.t + ih}" stroke="#eee"/>`);
    parts.push(`<text x="${t.x}" y="${M.t + ih + 16}" text-anchor="middle" font-size="11">${esc(t.label)}</text>`);
  }
  parts.push(`<text x="${M.l + iw / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${esc(xTitle)}</text>`);
  parts.push(
    `<text x="14" y="${M.t + ih / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${M.t + ih / 2})">${esc(yTitle)}</text>`,
  );
  return parts.join('');
}

/** Latency (ms) by percentile, one line per run. */
export function percentileSvg(runs: readonly RunResult[], labels: readonly string[]): string {
  const iw = W - M.l - M.r;
  const ih = H - M.t - M.b;
  const xMax = 5;
  const yMax = niceMax(Math.max(...runs.flatMap((r) => r.percentileCurve.map((p) => p.ms)), 0.001));
  const X = (p: number): number => M.l + (iw * pctX(p)) / xMax;
  const Y = (ms: number): number => M.t + ih - (ih * ms) / yMax;
  const ticks = [0, 90, 99, 99.9, 99.99, 99.999].map((p) => ({ x: X(p), label: `${p}%` }));
  const lines = runs.map((r, i) => {
    const pts = r.percentileCurve.map((p) => `${X(p.percentile).toFixed(1)},${Y(p.ms).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${pts}"/>`;
  });
  const legend = labels.map(
    (l, i) =>
      `<g transform="translate(${M.l + 10},${M.t + 14 + i * 16})"><rect width="12" height="4" y="-4" fill="${COLORS[i % COLORS.length]}"/><text x="18" y="0" font-size="11">${esc(l)}</text></g>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="latency by percentile">${axes(ticks, yMax, 'percentile', 'latency (ms)')}${lines.join('')}${legend.join('')}</svg>`;
}

/** Throughput (x) against p50 and p99 latency (y) of a sweep; the knee is circled. */
export function throughputSvg(sweep: SweepResult): string {
  const iw = W - M.l - M.r;
  const ih = H - M.t - M.b;
  const xMax = niceMax(Math.max(...sweep.steps.map((s) => s.throughput), 1));
  const yMax = niceMax(Math.max(...sweep.steps.map((s) => s.latency.p99), 0.001));
  const X = (v: number): number => M.l + (iw * v) / xMax;
  const Y = (ms: number): number => M.t + ih - (ih * ms) / yMax;
  const ticks = [0, 1, 2, 3, 4, 5].map((i) => ({ x: X((xMax * i) / 5), label: fmt((xMax * i) / 5) }));
  const series = (key: 'p50' | 'p99', color: string): string => {
    const pts = sweep.steps.map((s) => `${X(s.throughput).toFixed(1)},${Y(s.latency[key]).toFixed(1)}`).join(' ');
    const dots = sweep.steps
      .map((s) => {
        const level = sweep.kind === 'concurrency' ? `c=${s.concurrency}` : `r=${s.rate}`;
        return `<circle cx="${X(s.throughput).toFixed(1)}" cy="${Y(s.latency[key]).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${level}: ${fmt(s.throughput)}/s, ${key} ${fmt(s.latency[key])} ms`)}</title></circle>`;
      })
      .join('');
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>${dots}`;
  };
  const k = sweep.steps[sweep.knee];
  const knee = k
    ? `<circle cx="${X(k.throughput).toFixed(1)}" cy="${Y(k.latency.p99).toFixed(1)}" r="9" fill="none" stroke="#000" stroke-width="2"/><text x="${(X(k.throughput) + 12).toFixed(1)}" y="${(Y(k.latency.p99) - 10).toFixed(1)}" font-size="12">knee</text>`
    : '';
  const legend = `<g transform="translate(${M.l + 10},${M.t + 14})"><rect width="12" height="4" y="-4" fill="${COLORS[0]}"/><text x="18" y="0" font-size="11">p50</text></g><g transform="translate(${M.l + 10},${M.t + 30})"><rect width="12" height="4" y="-4" fill="${COLORS[1]}"/><text x="18" y="0" font-size="11">p99</text></g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="throughput versus latency">${axes(ticks, yMax, 'throughput (requests/s)', 'latency (ms)')}${series('p50', COLORS[0]!)}${series('p99', COLORS[1]!)}${knee}${legend}</svg>`;
}

export function runLabel(r: RunResult): string {
  return r.mode === 'closed' ? `closed loop, concurrency ${r.concurrency}` : `open loop, ${r.rate}/s`;
}

function runsTable(runs: readonly RunResult[], kneeIndex = -1): string {
  const head = ['run', 'sent', 'ok', 'errors', 'throughput/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms'];
  const rows = runs.map((r, i) => {
    const errors = Object.entries(r.statuses)
      .filter(([s]) => s !== '200' && s !== 'OK')
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ');
    const cells = [
      runLabel(r) + (i === kneeIndex ? ' (knee)' : ''),
      String(r.sent),
      String(r.ok),
      errors || '0',
      fmt(r.throughput),
      fmt(r.latency.p50),
      fmt(r.latency.p90),
      fmt(r.latency.p99),
      fmt(r.latency.p999),
      fmt(r.latency.max),
    ];
    return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderReport(input: ReportInput): string {
  const runs = input.sweep ? input.sweep.steps : input.runs;
  const target = runs[0]?.target ?? '';
  const openLoop = runs.some((r) => r.mode === 'open');
  const sections: string[] = [];
  sections.push(`<h2>Latency by percentile</h2>${percentileSvg(runs, runs.map(runLabel))}`);
  if (openLoop) {
    sections.push('<p class="note">Open-loop latencies are measured from each request\'s intended send time (corrected for coordinated omission).</p>');
  }
  if (input.sweep) sections.push(`<h2>Throughput versus latency</h2>${throughputSvg(input.sweep)}`);
  sections.push(`<h2>Results</h2>${runsTable(runs, input.sweep?.knee ?? -1)}`);
  if (input.suggestion) {
    const s = input.suggestion;
    sections.push(
      `<h2>Suggested batching parameters</h2><pre>${esc(s.pbtxt)}</pre><ul>${s.reasoning.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`,
    );
  }
  const when = (input.generatedAt ?? new Date()).toISOString();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:900px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px}
.meta{color:#555;font-size:13px}.note{color:#555;font-size:13px}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}
pre{background:#f6f6f6;padding:8px}
</style></head>
<body><h1>${esc(input.title)}</h1>
<div class="meta">${esc(target)} · generated ${esc(when)} by tfs bench</div>
${sections.join('\n')}
</body></html>
`;
}
