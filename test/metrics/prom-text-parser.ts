/**
 * A small, strict parser for the Prometheus text exposition format (version 0.0.4), used to
 * check what the monitoring endpoint prints. It throws on anything malformed: bad metric
 * or label names, unterminated or badly escaped label values, a sample before its family's
 * `# TYPE`, duplicate `# TYPE`, non-numeric values, a missing trailing newline.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sample.endsWith(suffix)) {
      const f = families.get(sample.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
    }
  }
  return undefined;
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad sample value ${JSON.stringify(s)}`);
  return Number(s);
}

function parseLabels(text: string, at: number): { labels: Record<string, string>; end: number } {
  // text[at] === '{'
  const labels: Record<string, string> = {};
  let i = at + 1;
  for (;;) {
    if (text[i] === '}') return { labels, end: i + 1 };
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`label without '=' in ${text}`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${JSON.stringify(name)}`);
    if (Object.hasOwn(labels, name)) throw new Error(`duplicate label ${name}`);
    if (text[eq + 1] !== '"') throw new Error(`label value must be quoted in ${text}`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`unterminated label value in ${text}`);
      if (c === '\\') {
        const n = text[j + 1];
        if (n === '\\') value += '\\';
        else if (n === '"') value += '"';
        else if (n === 'n') value += '\n';
        else throw new Error(`bad escape \\${n} in ${text}`);
        j += 2;
        continue;
      }
      if (c === '"') break;
      if (c === '\n') throw new Error('raw newline in label value');
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`expected ',' or '}' in ${text}`);
  }
}

/** Parse a whole page into families (in page order). */
export function parsePrometheusText(page: string): Family[] {
  if (!page.endsWith('\n')) throw new Error('page must end with a newline');
  const families = new Map<string, Family>();
  const order: Family[] = [];
  for (const line of page.slice(0, -1).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (TYPE|HELP) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // other comments are allowed
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
      if (kind === 'TYPE') {
        if (families.has(name)) throw new Error(`duplicate TYPE for ${name}`);
        if (!TYPES.has(rest)) throw new Error(`bad type ${rest} for ${name}`);
        const f: Family = { name, type: rest, samples: [] };
        families.set(name, f);
        order.push(f);
      }
      continue;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`bad sample line ${JSON.stringify(line)}`);
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
    let labels: Record<string, string> = {};
    let rest = nameEnd;
    if (line[nameEnd] === '{') {
      const parsed = parseLabels(line, nameEnd);
      labels = parsed.labels;
      rest = parsed.end;
    }
    if (line[rest] !== ' ') throw new Error(`expected a space before the value in ${JSON.stringify(line)}`);
    const fields = line.slice(rest + 1).split(' ');
    if (fields.length > 2) throw new Error(`too many fields in ${JSON.stringify(line)}`);
    const value = parseValue(fields[0]!);
    const fam = familyOf(name, families);
    if (!fam) throw new Error(`sample ${name} has no preceding # TYPE`);
    fam.samples.push({ name, labels, value });
  }
  // Histogram consistency: cumulative buckets, +Inf bucket == _count.
  for (const f of order) {
    if (f.type !== 'histogram') continue;
    const cells = new Map<string, Sample[]>();
    for (const s of f.samples) {
      if (!s.name.endsWith('_bucket')) continue;
      if (!Object.hasOwn(s.labels, 'le')) throw new Error(`${s.name} without le`);
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      if (!cells.has(key)) cells.set(key, []);
      cells.get(key)!.push(s);
    }
    for (const [key, buckets] of cells) {
      let prevLe = -Infinity;
      let prev = 0;
      for (const b of buckets) {
        const le = parseValue(b.labels['le']!);
        if (!(le > prevLe)) throw new Error(`${f.name}${key}: le not increasing`);
        if (b.value < prev) throw new Error(`${f.name}${key}: buckets not cumulative`);
        prevLe = le;
        prev = b.value;
      }
      if (prevLe !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
      const count = f.samples.find((s) => s.name === `${f.name}_count` && JSON.stringify(s.labels) === key);
      if (!count || count.value !== prev) throw new Error(`${f.name}${key}: +Inf bucket ${prev} != _count ${count?.value}`);
    }
  }
  return order;
}

/** Find a family by name or throw. */
export function family(families: Family[], name: string): Family {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`metric ${name} missing; have ${families.map((x) => x.name).join(', ')}`);
  return f;
}
