/**
 * TensorFlow's regular expressions are RE2. This translates an RE2 pattern into a
 * JavaScript RegExp (run with the `u` flag over the UTF-8-decoded text, as RE2 matches
 * UTF-8 by code point) only where both mean the same, and refuses everything else
 * (flags, Unicode classes, \C, \Q…\E, lookaround, backreferences) with a clear error.
 *
 * Where the two differ and a rewrite keeps RE2's meaning: RE2's `.` never matches `\n`
 * (JS's also skips `\r`, U+2028, U+2029) → `[^\n]`; RE2's `\s` is `[\t\n\f\r ]` (JS's
 * adds `\v` and Unicode spaces); `\A`/`\z` → `^`/`$` (no `m` flag: both mean the text's
 * ends); a `{` that does not start a repetition is a literal in RE2.
 */
import { Errors } from '../../errors.js';

const SPACE = '\\t\\n\\f\\r ';
/** POSIX classes inside brackets, as ASCII ranges (RE2's definitions). */
const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
/** Characters JS's `u` mode accepts escaped (outside brackets; inside, `-` too). */
const JS_SYNTAX = '^$\\.*+?()[]{}|/';

interface Cursor {
  readonly p: string;
  i: number;
}

function refuse(p: string, why: string): never {
  throw Errors.regexUntranslatable(p, why);
}

/** One backslash escape at c.i (just after the `\`); `inClass` for bracket context. */
function escape(c: Cursor, inClass: boolean): string {
  const ch = c.p[c.i++];
  if (ch === undefined) throw Errors.regexInvalid(c.p, 'trailing \\');
  if ('dDwWbB'.includes(ch)) {
    if (inClass && (ch === 'b' || ch === 'B')) refuse(c.p, `\\${ch} inside a class`);
    return `\\${ch}`;
  }
  if (ch === 's') return inClass ? SPACE : `[${SPACE}]`;
  if (ch === 'S') return inClass ? refuse(c.p, '\\S inside a class') : `[^${SPACE}]`;
  if (ch === 'A' && !inClass) return '^';
  if (ch === 'z' && !inClass) return '$';
  if ('ntrfv'.includes(ch)) return `\\${ch}`;
  if (ch === 'x') {
    const m = /^(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{2}))/.exec(c.p.slice(c.i));
    if (!m) throw Errors.regexInvalid(c.p, 'invalid escape sequence: \\x');
    c.i += m[0].length;
    return `\\u{${m[1] ?? m[2]}}`;
  }
  if (/[0-9A-Za-z]/.test(ch)) return refuse(c.p, `the escape \\${ch}`);
  if (JS_SYNTAX.includes(ch) || (inClass && ch === '-')) return `\\${ch}`;
  return ch;
}

function bracket(c: Cursor): string {
  let out = '[';
  if (c.p[c.i] === '^') {
    out += '^';
    c.i++;
  }
  let first = true;
  for (;;) {
    const ch = c.p[c.i];
    if (ch === undefined) throw Errors.regexInvalid(c.p, 'missing ]');
    if (ch === ']' && !first) {
      c.i++;
      return `${out}]`;
    }
    first = false;
    if (ch === '[' && c.p[c.i + 1] === ':') {
      const m = /^\[:(\^?)([a-z]+):\]/.exec(c.p.slice(c.i));
      const cls = m && !m[1] ? POSIX[m[2]!] : undefined;
      if (!m || cls === undefined) return refuse(c.p, 'this POSIX class');
      out += cls;
      c.i += m[0].length;
      continue;
    }
    c.i++;
    if (ch === '\\') out += escape(c, true);
    else out += ch === '[' || ch === ']' ? `\\${ch}` : ch;
  }
}

function group(c: Cursor): string {
  if (c.p[c.i] !== '?') return '(';
  const rest = c.p.slice(c.i);
  if (rest.startsWith('?:')) {
    c.i += 2;
    return '(?:';
  }
  const named = /^\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
  if (named) {
    c.i += named[0].length;
    return `(?<${named[1]}>`;
  }
  return refuse(c.p, 'flags, lookaround and other (? groups');
}

/** The JS source for RE2 pattern `p` (same match semantics under the `u` flag). */
export function re2ToJs(p: string): string {
  const c: Cursor = { p, i: 0 };
  let out = '';
  while (c.i < p.length) {
    const ch = p[c.i++]!;
    if (ch === '\\') out += escape(c, false);
    else if (ch === '[') out += bracket(c);
    else if (ch === '(') out += group(c);
    else if (ch === '.') out += '[^\\n]';
    else if (ch === '{') {
      const m = /^\d+(?:,\d*)?\}/.exec(p.slice(c.i));
      if (m && out !== '') {
        out += `{${m[0]}`;
        c.i += m[0].length;
      } else out += '\\{';
    } else if (ch === '}' || ch === ']') out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

const cache = new Map<string, RegExp>();

/** A compiled RegExp for RE2 pattern `p`; `full` anchors it at both ends (FullMatch). */
export function compileRe2(p: string, full: boolean, global = false): RegExp {
  const key = `${full ? 'F' : global ? 'G' : 'P'}${p}`;
  let re = cache.get(key);
  if (!re) {
    const src = re2ToJs(p);
    try {
      re = new RegExp(full ? `^(?:${src})$` : src, global ? 'gu' : 'u');
    } catch (e) {
      throw Errors.regexInvalid(p, (e as Error).message);
    }
    if (cache.size > 256) cache.clear();
    cache.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/** RE2's rewrite string (`\0`–`\9` groups, `\\`) applied to one match. */
function rewriteOf(rewrite: string, m: RegExpExecArray, pattern: string): string {
  let out = '';
  for (let i = 0; i < rewrite.length; i++) {
    const ch = rewrite[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const n = rewrite[++i];
    if (n === '\\') out += '\\';
    else if (n !== undefined && n >= '0' && n <= '9') {
      if (Number(n) >= m.length) throw Errors.regexInvalid(pattern, `rewrite ${rewrite} refers to group \\${n}, which the pattern does not have`);
      out += m[Number(n)] ?? '';
    } else throw Errors.regexInvalid(pattern, `invalid rewrite pattern: ${rewrite}`);
  }
  return out;
}

/**
 * RE2::Replace (first match) or RE2::GlobalReplace. Global replace differs from JS's
 * String.replace after a match: RE2 allows no empty match where the previous match ended
 * ("baaa" with `a*` → "-b-", JS gives "-b--").
 */
export function re2Replace(text: string, pattern: string, rewrite: string, global: boolean): string {
  const re = compileRe2(pattern, false, true);
  let out = '';
  let pos = 0;
  let lastEnd = -1;
  while (pos <= text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0] === '' && m.index === lastEnd) {
      // Skip one code point and search again.
      if (m.index >= text.length) break;
      const step = (text.codePointAt(m.index) ?? 0) > 0xffff ? 2 : 1;
      out += text.slice(pos, m.index + step);
      pos = m.index + step;
      continue;
    }
    out += text.slice(pos, m.index) + rewriteOf(rewrite, m, pattern);
    pos = end;
    lastEnd = end;
    if (!global) break;
    if (m[0] === '') {
      if (pos >= text.length) break;
      const step = (text.codePointAt(pos) ?? 0) > 0xffff ? 2 : 1;
      out += text.slice(pos, pos + step);
      pos += step;
    }
  }
  return out + text.slice(pos);
}
