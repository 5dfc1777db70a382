/**
 * Protobuf text format, parsed the way TensorFlow Serving parses its config files
 * (C++ `google::protobuf::TextFormat::ParseFromString`, default options), over our
 * protobufjs reflection (`lookupType` from src/proto/root.ts).
 *
 * What this reproduces from upstream, because users' files depend on it:
 * - the tokenizer: `#` comments, identifiers, decimal/hex/octal integers, floats with
 *   an optional `f` suffix, `inf`/`nan`, single- or double-quoted strings with C escapes
 *   (`\n`, `\t`, octal `\101`, hex `\x41`, `\u00e9`, `\U0001F600`), adjacent string
 *   literals concatenated;
 * - the grammar: `field: value`, messages as `{ … }` or `< … >` with an optional colon,
 *   optional `,`/`;` after every field, repeated fields written repeatedly or as
 *   `[a, b]`, enum values by name or number, bools as true/false/True/False/t/f/1/0,
 *   map entries `{ key: … value: … }`, `google.protobuf.Any` in expanded form
 *   `[type.googleapis.com/pkg.Type] { … }`;
 * - semantics: a singular scalar given twice keeps the last value, a singular message
 *   given twice is merged, a oneof member replaces the other member (upstream's default
 *   "allow singular overwrites" policy; we report these as warnings);
 * - errors: the same reasons (`Message type "…" has no field named "…".`, `Expected
 *   integer, got: …`, …) at the same 1-based line:column (columns count bytes, tabs
 *   advance to the next multiple of 8), so `Error parsing text-format <type>: L:C: reason`
 *   reads exactly like tensorflow_model_server's log line.
 *
 * The result is the protobufjs `toObject` shape our Root uses (snake_case keys, int64 as
 * decimal strings, enums as names, bytes as Uint8Array, repeated fields always present
 * as arrays, maps as objects, the name of the set member under each oneof's name), plus
 * the position of every field so later validation can point at file:line:column.
 */
import protobuf from 'protobufjs';
import { TfsError, Errors } from '../errors.js';

/** A 1-based position in a text file (column counted as upstream does). */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** Where a field occurrence was written: its name and the start of its value. */
export interface FieldLocation {
  readonly name: SourcePosition;
  readonly value: SourcePosition;
}

/** One problem found while parsing (errors stop the parse; warnings do not). */
export interface TextFormatDiagnostic extends SourcePosition {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** How to fix it, when we can say more than the message. */
  readonly hint?: string;
}

/** JSON Pointer (RFC 6901) of a path into the parsed object, as ajv reports `instancePath`. */
export function jsonPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** The parsed value plus where each field was written. */
export class TextFormatDocument {
  constructor(
    /** The protobufjs toObject-style plain object. */
    readonly value: Record<string, unknown>,
    /** JSON Pointer of every field occurrence → its location. */
    readonly locations: ReadonlyMap<string, FieldLocation>,
    /** Upstream-accepted oddities (overwritten fields, deprecated fields, …). */
    readonly warnings: readonly TextFormatDiagnostic[],
    readonly file: string,
    /** Full name of the root message type, e.g. `tensorflow.serving.ModelServerConfig`. */
    readonly typeName: string,
  ) {}

  /**
   * The position of a path (JSON Pointer or segments): the field's name for `which: 'name'`
   * (default) or its value. Paths that were not written (defaults) resolve to their
   * closest written ancestor, and to 1:1 when nothing on the way was written.
   */
  locate(path: string | readonly (string | number)[], which: 'name' | 'value' = 'name'): SourcePosition {
    let pointer = typeof path === 'string' ? path : jsonPointer(path);
    for (;;) {
      const loc = this.locations.get(pointer);
      if (loc) return loc[which];
      if (pointer === '') return { line: 1, column: 1 };
      pointer = pointer.slice(0, pointer.lastIndexOf('/'));
    }
  }

  /** Whether the field at this path was written in the file. */
  has(path: string | readonly (string | number)[]): boolean {
    return this.locations.has(typeof path === 'string' ? path : jsonPointer(path));
  }
}

/** A text-format parse failure: INVALID_ARGUMENT with the location of the first error. */
export class TextFormatError extends TfsError {
  /** Upstream's reason text, e.g. `Expected integer, got: abc`. */
  readonly reason: string;
  readonly typeName: string;
  readonly file: string;
  /** Every error upstream would log, in order (tokenizer errors can precede the parser's). */
  readonly errors: readonly TextFormatDiagnostic[];

  constructor(file: string, typeName: string, errors: readonly TextFormatDiagnostic[]) {
    const first = errors[0] ?? { line: 1, column: 1, message: 'unknown error', severity: 'error' as const };
    const entry = Errors.textFormatParse;
    super(entry.code, entry.text(file, first.line, first.column, first.message), {
      id: entry.id,
      location: { file, line: first.line, column: first.column },
      hint: first.hint ?? 'Fix the text-format syntax at that position (protobuf text format: `field: value`, `message { … }`).',
    });
    this.name = 'TextFormatError';
    this.reason = first.message;
    this.typeName = typeName;
    this.file = file;
    this.errors = errors;
  }

  /** The line tensorflow_model_server logs for this failure (one per error). */
  get upstreamLog(): string {
    return this.errors.map((e) => `Error parsing text-format ${this.typeName}: ${e.line}:${e.column}: ${e.message}`).join('\n');
  }
}

export interface ParseTextFormatOptions {
  /** Upstream's default recursion limit is 100 nested messages. */
  recursionLimit?: number;
  /** Record the location of every field (default true; errors have positions either way). */
  trackLocations?: boolean;
}

/**
 * Parses text-format `text` as message `type` (see the module comment for the rules).
 * Throws {@link TextFormatError} (INVALID_ARGUMENT, with `location`) on the first error.
 */
export function parseTextFormat(type: protobuf.Type, text: string, file?: string): Record<string, unknown> {
  return parseTextFormatDocument(type, text, file, { trackLocations: false }).value;
}

/** Like {@link parseTextFormat}, also returning field locations and warnings. */
export function parseTextFormatDocument(
  type: protobuf.Type,
  text: string | Uint8Array,
  file = '<text>',
  options: ParseTextFormatOptions = {},
): TextFormatDocument {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  const parser = new Parser(type, bytes, options.recursionLimit ?? 100, options.trackLocations ?? true);
  const value = parser.parse();
  const typeName = fullNameOf(type);
  if (value === undefined || parser.errors.length > 0) throw new TextFormatError(file, typeName, parser.errors);
  return new TextFormatDocument(value, parser.locations, parser.warnings, file, typeName);
}

// ---------------------------------------------------------------------------------------
// Tokenizer (mirrors protobuf's io::Tokenizer in the configuration TextFormat uses:
// `#` comments, `f` allowed after floats, a space required after numbers, no multi-line
// strings).

const enum Tok {
  START,
  END,
  IDENTIFIER,
  INTEGER,
  FLOAT,
  STRING,
  SYMBOL,
  URL_CHARS,
}

interface Token {
  type: Tok;
  /** The token's source text (strings keep their quotes), as upstream prints it. */
  text: string;
  start: number;
  end: number;
  /** 0-based, as upstream keeps them internally. */
  line: number;
  column: number;
  endColumn: number;
}

const isWhitespace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isOctal = (c: number): boolean => c >= 0x30 && c <= 0x37;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const isLetter = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const isAlnum = (c: number): boolean => isLetter(c) || isDigit(c);
const ESCAPES = new Set([...'abfnrtv\\?\'"'].map((c) => c.charCodeAt(0)));
const URL_EXTRA = new Set([...'-.~!$&()*+,;=%/'].map((c) => c.charCodeAt(0)));
const isUrlChar = (c: number): boolean => isAlnum(c) || URL_EXTRA.has(c);
const TAB_WIDTH = 8;

class Tokenizer {
  private pos = 0;
  private line = 0;
  private col = 0;
  current: Token;
  previous: Token;
  /** Inside `[…]` of an Any type URL: produce URL_CHARS tokens. */
  urlMode = false;

  constructor(
    private readonly buf: Buffer,
    private readonly onError: (line: number, column: number, message: string) => void,
  ) {
    this.current = { type: Tok.START, text: '', start: 0, end: 0, line: 0, column: 0, endColumn: 0 };
    this.previous = this.current;
  }

  private get eof(): boolean {
    return this.pos >= this.buf.length;
  }

  private get ch(): number {
    return this.pos < this.buf.length ? (this.buf[this.pos] as number) : 0;
  }

  private advance(): void {
    const c = this.ch;
    if (c === 0x0a) {
      this.line++;
      this.col = 0;
    } else if (c === 0x09) {
      this.col += TAB_WIDTH - (this.col % TAB_WIDTH);
    } else {
      this.col++;
    }
    this.pos++;
  }

  private tryConsume(c: number): boolean {
    if (!this.eof && this.ch === c) {
      this.advance();
      return true;
    }
    return false;
  }

  private tryConsumeOne(pred: (c: number) => boolean): boolean {
    if (!this.eof && pred(this.ch)) {
      this.advance();
      return true;
    }
    return false;
  }

  private consumeZeroOrMore(pred: (c: number) => boolean): void {
    while (!this.eof && pred(this.ch)) this.advance();
  }

  private consumeOneOrMore(pred: (c: number) => boolean, error: string): void {
    if (this.eof || !pred(this.ch)) this.addError(error);
    else this.consumeZeroOrMore(pred);
  }

  private addError(message: string): void {
    this.onError(this.line, this.col, message);
  }

  /** Advances to the next token (whitespace and comments are skipped). */
  next(): void {
    this.previous = this.current;
    while (!this.eof) {
      const c = this.ch;
      if (isWhitespace(c)) {
        this.consumeZeroOrMore(isWhitespace);
        continue;
      }
      if (c === 0x23 /* # */) {
        while (!this.eof && this.ch !== 0x0a) this.advance();
        this.tryConsume(0x0a);
        continue;
      }
      if (c < 0x20) {
        this.addError('Invalid control characters encountered in text.');
        this.advance();
        while (!this.eof && this.ch < 0x20 && !isWhitespace(this.ch)) this.advance();
        continue;
      }
      const start = this.pos;
      const line = this.line;
      const column = this.col;
      let type: Tok;
      if (this.urlMode) {
        if (this.tryConsumeOne(isUrlChar)) {
          this.consumeZeroOrMore(isUrlChar);
          type = Tok.URL_CHARS;
        } else {
          this.consumeSymbol();
          type = Tok.SYMBOL;
        }
      } else if (this.tryConsumeOne(isLetter)) {
        this.consumeZeroOrMore(isAlnum);
        type = Tok.IDENTIFIER;
      } else if (this.tryConsume(0x30 /* 0 */)) {
        type = this.consumeNumber(true, false);
      } else if (this.tryConsume(0x2e /* . */)) {
        if (this.tryConsumeOne(isDigit)) {
          const prev = this.current;
          if (prev.type === Tok.IDENTIFIER && line === prev.line && column === prev.endColumn) {
            this.onError(this.line, this.col - 2, 'Need space between identifier and decimal point.');
          }
          type = this.consumeNumber(false, true);
        } else {
          type = Tok.SYMBOL;
        }
      } else if (this.tryConsumeOne(isDigit)) {
        type = this.consumeNumber(false, false);
      } else if (this.tryConsume(0x22 /* " */)) {
        this.consumeString(0x22);
        type = Tok.STRING;
      } else if (this.tryConsume(0x27 /* ' */)) {
        this.consumeString(0x27);
        type = Tok.STRING;
      } else {
        this.consumeSymbol();
        type = Tok.SYMBOL;
      }
      this.current = {
        type,
        text: this.buf.toString('utf8', start, this.pos),
        start,
        end: this.pos,
        line,
        column,
        endColumn: this.col,
      };
      return;
    }
    this.current = { type: Tok.END, text: '', start: this.pos, end: this.pos, line: this.line, column: this.col, endColumn: this.col };
  }

  private consumeSymbol(): void {
    const c = this.ch;
    if (c & 0x80) this.onError(this.line, this.col, `Interpreting non ascii codepoint ${c}.`);
    this.advance();
  }

  private consumeString(delimiter: number): void {
    for (;;) {
      if (this.eof) {
        this.addError('Unexpected end of string.');
        return;
      }
      const c = this.ch;
      if (c === 0x0a) {
        this.addError('Multiline strings are not allowed. Did you miss a "?.');
        return;
      }
      if (c === 0x5c /* \ */) {
        this.advance();
        if (this.tryConsumeOne((x) => ESCAPES.has(x))) {
          // simple escape
        } else if (this.tryConsumeOne(isOctal)) {
          // up to two more octal digits are consumed by the main loop
        } else if (this.tryConsume(0x78) || this.tryConsume(0x58) /* x X */) {
          if (!this.tryConsumeOne(isHex)) this.addError('Expected hex digits for escape sequence.');
        } else if (this.tryConsume(0x75 /* u */)) {
          if (!this.tryConsumeOne(isHex) || !this.tryConsumeOne(isHex) || !this.tryConsumeOne(isHex) || !this.tryConsumeOne(isHex)) {
            this.addError('Expected four hex digits for \\u escape sequence.');
          }
        } else if (this.tryConsume(0x55 /* U */)) {
          if (
            !this.tryConsume(0x30) ||
            !this.tryConsume(0x30) ||
            !(this.tryConsume(0x30) || this.tryConsume(0x31)) ||
            !this.tryConsumeOne(isHex) ||
            !this.tryConsumeOne(isHex) ||
            !this.tryConsumeOne(isHex) ||
            !this.tryConsumeOne(isHex) ||
            !this.tryConsumeOne(isHex)
          ) {
            this.addError('Expected eight hex digits up to 10ffff for \\U escape sequence');
          }
        } else {
          this.addError('Invalid escape sequence in string literal.');
        }
        continue;
      }
      this.advance();
      if (c === delimiter) return;
    }
  }

  private consumeNumber(startedWithZero: boolean, startedWithDot: boolean): Tok {
    let isFloat = false;
    if (startedWithZero && (this.tryConsume(0x78) || this.tryConsume(0x58))) {
      this.consumeOneOrMore(isHex, '"0x" must be followed by hex digits.');
    } else if (startedWithZero && !this.eof && isDigit(this.ch)) {
      this.consumeZeroOrMore(isOctal);
      if (!this.eof && isDigit(this.ch)) {
        this.addError('Numbers starting with leading zero must be in octal.');
        this.consumeZeroOrMore(isDigit);
      }
    } else {
      if (startedWithDot) {
        isFloat = true;
        this.consumeZeroOrMore(isDigit);
      } else {
        this.consumeZeroOrMore(isDigit);
        if (this.tryConsume(0x2e)) {
          isFloat = true;
          this.consumeZeroOrMore(isDigit);
        }
      }
      if (this.tryConsume(0x65) || this.tryConsume(0x45) /* e E */) {
        isFloat = true;
        if (!this.tryConsume(0x2d)) this.tryConsume(0x2b);
        this.consumeOneOrMore(isDigit, '"e" must be followed by exponent.');
      }
      if (this.tryConsume(0x66) || this.tryConsume(0x46) /* f F */) isFloat = true;
    }
    if (!this.eof && isLetter(this.ch)) {
      this.addError('Need space between number and identifier.');
    } else if (!this.eof && this.ch === 0x2e) {
      this.addError(isFloat ? "Already saw decimal point or exponent; can't have another one." : 'Hex and octal numbers must be integers.');
    }
    return isFloat ? Tok.FLOAT : Tok.INTEGER;
  }
}

/** Decodes a string token (quotes included) into bytes, as protobuf's ParseStringAppend. */
function unescapeString(buf: Buffer, start: number, end: number): Buffer {
  const out: number[] = [];
  const quote = buf[start] as number;
  const pushCodePoint = (cp: number): void => {
    for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
  };
  for (let i = start + 1; i < end; i++) {
    const c = buf[i] as number;
    if (c === 0x5c && i + 1 < end) {
      i++;
      const e = buf[i] as number;
      if (isOctal(e)) {
        let v = e - 0x30;
        for (let k = 0; k < 2 && i + 1 < end && isOctal(buf[i + 1] as number); k++) v = v * 8 + ((buf[++i] as number) - 0x30);
        out.push(v & 0xff);
      } else if (e === 0x78 || e === 0x58) {
        let v = 0;
        for (let k = 0; k < 2 && i + 1 < end && isHex(buf[i + 1] as number); k++) v = v * 16 + parseInt(String.fromCharCode(buf[++i] as number), 16);
        out.push(v);
      } else if (e === 0x75 || e === 0x55) {
        const n = e === 0x75 ? 4 : 8;
        let hex = '';
        while (hex.length < n && i + 1 < end && isHex(buf[i + 1] as number)) hex += String.fromCharCode(buf[++i] as number);
        let cp = parseInt(hex || '0', 16);
        // A UTF-16 surrogate pair written as two \u escapes becomes one code point.
        if (cp >= 0xd800 && cp <= 0xdbff && buf[i + 1] === 0x5c && buf[i + 2] === 0x75) {
          const low = parseInt(buf.toString('latin1', i + 3, i + 7), 16);
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            i += 6;
          }
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          // Not a valid code point: keep the escape as written, as upstream does.
          for (const b of Buffer.from('\\' + String.fromCharCode(e) + hex, 'latin1')) out.push(b);
        } else {
          pushCodePoint(cp);
        }
      } else {
        const simple: Record<number, number> = { 0x61: 7, 0x62: 8, 0x66: 12, 0x6e: 10, 0x72: 13, 0x74: 9, 0x76: 11, 0x5c: 0x5c, 0x3f: 0x3f, 0x27: 0x27, 0x22: 0x22 };
        out.push(simple[e] ?? 0x3f);
      }
    } else if (c === quote && i === end - 1) {
      // closing quote
    } else {
      out.push(c);
    }
  }
  return Buffer.from(out);
}

/** protobuf's Tokenizer::ParseInteger: decimal, 0x hex or leading-0 octal, up to max. */
function parseInteger(text: string, max: bigint): bigint | undefined {
  let base = 10;
  let digits = text;
  if (/^0[xX]/.test(text)) {
    base = 16;
    digits = text.slice(2);
  } else if (text.length > 1 && text.startsWith('0')) {
    base = 8;
    digits = text.slice(1);
  }
  let v = 0n;
  const b = BigInt(base);
  for (const ch of digits) {
    const d = parseInt(ch, base);
    if (Number.isNaN(d)) return undefined;
    v = v * b + BigInt(d);
    if (v > max) return undefined;
  }
  return v;
}

/** protobuf's Tokenizer::ParseFloat (strtod; trailing f and dangling exponent tolerated). */
function parseFloatToken(text: string): number {
  let t = text.replace(/[fF]$/, '');
  t = t.replace(/[eE][+-]?$/, '');
  const v = Number(t);
  return Number.isNaN(v) ? parseFloat(t) : v;
}

// ---------------------------------------------------------------------------------------
// Descriptors: a view of protobufjs reflection with what the parser needs.

type Scalar =
  | 'double'
  | 'float'
  | 'int32'
  | 'uint32'
  | 'sint32'
  | 'fixed32'
  | 'sfixed32'
  | 'int64'
  | 'uint64'
  | 'sint64'
  | 'fixed64'
  | 'sfixed64'
  | 'bool'
  | 'string'
  | 'bytes';

interface FieldDesc {
  name: string;
  /** Scalar type name, or 'message' / 'enum'. */
  kind: Scalar | 'message' | 'enum';
  repeated: boolean;
  message?: MessageDesc;
  enumType?: protobuf.Enum;
  map?: MessageDesc; // the synthetic entry type
  oneof?: { name: string; members: string[] };
  deprecated: boolean;
}

interface MessageDesc {
  fullName: string;
  fields: Map<string, FieldDesc>;
  isAny: boolean;
  type: protobuf.Type | undefined;
  reservedName: (name: string) => boolean;
}

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const INT32_MAX = (1n << 31n) - 1n;
const UINT32_MAX = (1n << 32n) - 1n;

function fullNameOf(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

const descCache = new WeakMap<protobuf.Type, MessageDesc>();

function scalarFieldDesc(name: string, typeName: string, resolved: protobuf.ReflectionObject | null): FieldDesc {
  if (resolved instanceof protobuf.Type) return { name, kind: 'message', repeated: false, message: describe(resolved), deprecated: false };
  if (resolved instanceof protobuf.Enum) return { name, kind: 'enum', repeated: false, enumType: resolved, deprecated: false };
  return { name, kind: typeName as Scalar, repeated: false, deprecated: false };
}

function pascal(name: string): string {
  return name
    .split('_')
    .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : ''))
    .join('');
}

function describe(type: protobuf.Type): MessageDesc {
  const cached = descCache.get(type);
  if (cached) return cached;
  const fields = new Map<string, FieldDesc>();
  const desc: MessageDesc = {
    fullName: fullNameOf(type),
    fields,
    isAny: fullNameOf(type) === 'google.protobuf.Any',
    type,
    reservedName: (n) => type.isReservedName(n),
  };
  descCache.set(type, desc); // before recursing: messages may be recursive
  type.resolveAll();
  for (const f of type.fieldsArray) {
    const deprecated = Boolean((f.options as Record<string, unknown> | undefined)?.['deprecated']);
    const oneof = f.partOf ? { name: f.partOf.name, members: f.partOf.fieldsArray.map((m) => m.name) } : undefined;
    let fd: FieldDesc;
    if (f instanceof protobuf.MapField) {
      const entryFields = new Map<string, FieldDesc>();
      entryFields.set('key', scalarFieldDesc('key', f.keyType, null));
      entryFields.set('value', scalarFieldDesc('value', f.type, f.resolvedType));
      const entry: MessageDesc = {
        fullName: `${desc.fullName}.${pascal(f.name)}Entry`,
        fields: entryFields,
        isAny: false,
        type: undefined,
        reservedName: () => false,
      };
      fd = { name: f.name, kind: 'message', repeated: true, map: entry, message: entry, deprecated };
    } else {
      fd = { ...scalarFieldDesc(f.name, f.type, f.resolvedType), repeated: f.repeated, deprecated };
    }
    if (oneof) fd.oneof = oneof;
    fields.set(f.name, fd);
  }
  return desc;
}

/** The toObject default of a field that was not written (map entries need them). */
function defaultOf(f: FieldDesc): unknown {
  switch (f.kind) {
    case 'message':
      return {};
    case 'enum': {
      const first = Object.entries(f.enumType!.values).find(([, v]) => v === 0);
      return first ? first[0] : 0;
    }
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return '0';
    default:
      return 0;
  }
}

function newMessageObject(desc: MessageDesc): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const f of desc.fields.values()) {
    if (f.map) obj[f.name] = {};
    else if (f.repeated) obj[f.name] = [];
  }
  return obj;
}

// ---------------------------------------------------------------------------------------
// Parser (mirrors TextFormat::Parser::ParserImpl).

/** Thrown internally to unwind after the first parser error (already recorded). */
class Stop extends Error {}

class Parser {
  readonly errors: TextFormatDiagnostic[] = [];
  readonly warnings: TextFormatDiagnostic[] = [];
  readonly locations = new Map<string, FieldLocation>();
  private readonly tok: Tokenizer;
  private readonly root: MessageDesc;
  private depth: number;
  private entryCounter = 0;

  /** Key lists of locations recorded while parsing map entries (innermost last). */
  private readonly collectors: string[][] = [];

  constructor(
    private readonly type: protobuf.Type,
    private readonly buf: Buffer,
    private readonly recursionLimit: number,
    /** Record field locations (off for bulk data such as saved_model.pbtxt). */
    private readonly track: boolean,
  ) {
    this.tok = new Tokenizer(buf, (line, column, message) => this.error(line, column, message));
    this.root = describe(type);
    this.depth = recursionLimit;
    this.tok.next();
  }

  parse(): Record<string, unknown> | undefined {
    const obj = newMessageObject(this.root);
    try {
      while (this.tok.current.type !== Tok.END) this.consumeField(this.root, obj, '');
    } catch (e) {
      if (e instanceof Stop) return undefined;
      throw e;
    }
    return obj;
  }

  // --- reporting ---------------------------------------------------------------------

  private error(line: number, column: number, message: string): void {
    this.errors.push({ line: line + 1, column: column + 1, message, severity: 'error', hint: this.hintFor(message) });
  }

  private fail(message: string, hint?: string): never {
    const c = this.tok.current;
    this.errors.push({ line: c.line + 1, column: c.column + 1, message, severity: 'error', hint: hint ?? this.hintFor(message) });
    throw new Stop();
  }

  /** The field whose value is being read (for hints). */
  private field: FieldDesc | undefined;
  /** Open message delimiters with where they were opened (for hints). */
  private readonly open: { close: string; at: SourcePosition }[] = [];

  /** How to fix an error, from its reason and what was being parsed. */
  private hintFor(message: string): string {
    const f = this.field;
    const top = this.open[this.open.length - 1];
    if (message.startsWith('Expected identifier, got: ')) {
      if (this.tok.current.type === Tok.END && top) {
        return `The file ends inside the message opened at line ${top.at.line}, column ${top.at.column}: add the missing "${top.close}".`;
      }
      if (message.endsWith(': }') || message.endsWith(': >')) return 'There is a closing delimiter without a matching "{" or "<": remove it.';
      return 'A field name was expected here: check for a stray character or a missing quote before it.';
    }
    if (message.startsWith('Expected ":"') && f) return `Write ${f.name}: <value>; the colon is required before a value that is not a message.`;
    if (message.startsWith('Expected "{"') && f) {
      const wrapper = f.message && /^google\.protobuf\.\w+Value$/.test(f.message.fullName);
      return wrapper ? `${f.name} is a wrapper message: write ${f.name} { value: … }.` : `${f.name} is a message: write ${f.name} { … }.`;
    }
    if (message.startsWith('Expected ">"') || message.startsWith('Expected "}"')) {
      return top ? `The message opened at line ${top.at.line}, column ${top.at.column} must be closed with "${top.close}".` : 'Close each message with the delimiter that opened it ("{" with "}", "<" with ">").';
    }
    if (message.startsWith('Expected ","')) return 'Separate the items of a [ … ] list with commas and close it with "]".';
    if ((message.startsWith('Expected integer') || message.startsWith('Integer out of range') || message.startsWith('Expect a decimal')) && f) {
      const range: Record<string, string> = { int32: '-2147483648..2147483647', uint32: '0..4294967295', int64: 'a signed 64-bit integer', uint64: 'an unsigned 64-bit integer' };
      return `${f.name} is ${f.kind === 'enum' ? 'an enum' : f.kind}${range[f.kind] ? ` (${range[f.kind]})` : ''}: write a number without quotes.`;
    }
    if (message.startsWith('Expected double') && f) return `${f.name} is a ${f.kind}: write a number such as 0.5, 1e-3, inf or nan, without quotes.`;
    if (message.startsWith('Expected string') && f) return `${f.name} is a string: put the value in quotes, e.g. ${f.name}: "…".`;
    if (message.startsWith('Unknown enumeration value') && f?.enumType) return `${f.name} takes one of: ${Object.keys(f.enumType.values).join(', ')}.`;
    if (message.startsWith('Expected integer or identifier') && f?.enumType) return `${f.name} takes one of: ${Object.keys(f.enumType.values).join(', ')}.`;
    if (message.startsWith('Invalid value for boolean field')) return 'Write true or false (t/f, True/False and 1/0 are accepted too).';
    if (message.startsWith('Invalid escape sequence')) return 'Valid escapes are \\n \\t \\r \\\\ \\" \\\' \\xHH \\ooo \\uXXXX; write a backslash as \\\\.';
    if (message.startsWith('Multiline strings')) return 'Close the string on the line where it starts; to split a long value write adjacent strings "…" "…".';
    if (message.startsWith('Unexpected end of string')) return 'A string is missing its closing quote.';
    if (message.startsWith('Need space between number and identifier')) return 'A number cannot be followed directly by letters: add a space after it, or quote the value if it is a string.';
    if (message.startsWith('Invalid control characters')) return 'Remove the control characters (the file must be plain text).';
    if (message.startsWith('Interpreting non ascii codepoint')) return 'Non-ASCII characters are only allowed inside quoted strings.';
    if (message.startsWith('Message is too deep')) return 'Messages are nested too deeply: check for unbalanced braces.';
    return 'Fix the text-format syntax at that position (`field: value`, `message { … }`).';
  }

  private warn(pos: SourcePosition, message: string): void {
    this.warnings.push({ ...pos, message, severity: 'warning' });
  }

  private pos(t: Token = this.tok.current): SourcePosition {
    return { line: t.line + 1, column: t.column + 1 };
  }

  // --- token helpers -----------------------------------------------------------------

  private lookingAt(text: string): boolean {
    const c = this.tok.current;
    return c.type !== Tok.STRING && c.type !== Tok.END && c.text === text;
  }

  private tryConsume(text: string): boolean {
    if (this.lookingAt(text)) {
      this.tok.next();
      return true;
    }
    return false;
  }

  private consume(text: string): void {
    if (!this.tryConsume(text)) this.fail(`Expected "${text}", found "${this.tok.current.text}".`);
  }

  private consumeIdentifier(): string {
    const c = this.tok.current;
    if (c.type === Tok.IDENTIFIER) {
      this.tok.next();
      return c.text;
    }
    return this.fail(`Expected identifier, got: ${c.text}`);
  }

  // --- grammar -----------------------------------------------------------------------

  /** JSON Pointer of a child of `path`. */
  private static child(path: string, seg: string | number): string {
    return `${path}/${typeof seg === 'number' ? seg : seg.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  }

  /** Records where `pointer` was written (newest occurrence wins unless `ifAbsent`). */
  private record(pointer: string, name: SourcePosition, value: SourcePosition, ifAbsent = false): void {
    if (!this.track) return;
    if (ifAbsent && this.locations.has(pointer)) return;
    if (!this.locations.has(pointer)) this.collectors[this.collectors.length - 1]?.push(pointer);
    this.locations.set(pointer, { name, value });
  }

  private consumeField(desc: MessageDesc, obj: Record<string, unknown>, path: string): void {
    const namePos = this.pos();
    if (desc.isAny && this.lookingAt('[')) {
      this.consumeAnyExpanded(obj, path, namePos);
      if (!this.tryConsume(';')) this.tryConsume(',');
      return;
    }
    if (this.lookingAt('[')) {
      const { prefix, name } = this.consumeTypeUrlOrName();
      if (prefix) this.fail('Extension name contains "/"');
      this.fail(`Extension "${name}" is not defined or is not an extension of "${desc.fullName}".`);
    }
    const name = this.consumeIdentifier();
    const field = desc.fields.get(name);
    if (!field) {
      if (desc.reservedName(name)) {
        this.skipFieldAfterName();
        return;
      }
      const known = [...desc.fields.keys()];
      const close = known.find((k) => k.toLowerCase() === name.toLowerCase() || k.replace(/_/g, '') === name.replace(/_/g, '').toLowerCase());
      this.fail(
        `Message type "${desc.fullName}" has no field named "${name}".`,
        close !== undefined
          ? `Did you mean "${close}"? Field names are case-sensitive.`
          : known.length > 0
            ? `${desc.fullName} has the fields: ${known.join(', ')}.`
            : `${desc.fullName} has no fields.`,
      );
    }
    if (field.deprecated) this.warn(namePos, `text format contains deprecated field "${name}"`);
    const outer = this.field;
    this.field = field;

    if (field.kind === 'message') {
      this.tryConsume(':'); // optional before a message
    } else {
      this.consume(':');
    }

    if (field.repeated && this.tryConsume('[')) {
      if (!this.tryConsume(']')) {
        for (;;) {
          this.consumeOneValue(field, obj, path, namePos);
          if (this.tryConsume(']')) break;
          this.consume(',');
        }
      }
      this.record(Parser.child(path, name), namePos, namePos, true);
    } else {
      this.consumeOneValue(field, obj, path, namePos);
    }
    this.field = outer;
    if (!this.tryConsume(';')) this.tryConsume(',');
  }

  /** One value (scalar or message) of `field`, stored into `obj`. */
  private consumeOneValue(field: FieldDesc, obj: Record<string, unknown>, path: string, namePos: SourcePosition): void {
    const valuePos = this.pos();
    const fieldPath = Parser.child(path, field.name);
    if (field.map) {
      this.consumeMapEntry(field, obj, fieldPath, namePos, valuePos);
      return;
    }
    if (field.kind === 'message') {
      const sub = field.message!;
      let target: Record<string, unknown>;
      let targetPath: string;
      if (field.repeated) {
        const arr = obj[field.name] as unknown[];
        target = newMessageObject(sub);
        targetPath = Parser.child(fieldPath, arr.length);
        arr.push(target);
        this.record(fieldPath, namePos, valuePos, true);
      } else {
        this.setOneof(field, obj, path, namePos);
        const existing = obj[field.name];
        if (existing !== undefined && typeof existing === 'object') {
          target = existing as Record<string, unknown>;
          this.warn(namePos, `Non-repeated field "${field.name}" is specified multiple times; its contents are merged (as upstream does).`);
        } else {
          target = newMessageObject(sub);
          obj[field.name] = target;
        }
        targetPath = fieldPath;
      }
      this.record(targetPath, namePos, valuePos);
      this.consumeMessageBody(sub, target, targetPath);
      return;
    }
    const value = this.consumeScalar(field);
    if (field.repeated) {
      const arr = obj[field.name] as unknown[];
      this.record(Parser.child(fieldPath, arr.length), namePos, valuePos);
      this.record(fieldPath, namePos, valuePos, true);
      arr.push(value);
    } else {
      this.setOneof(field, obj, path, namePos);
      if (obj[field.name] !== undefined) {
        this.warn(namePos, `Non-repeated field "${field.name}" is specified multiple times; the last value is used (as upstream does).`);
      }
      obj[field.name] = value;
      this.record(fieldPath, namePos, valuePos);
    }
  }

  /** Setting a oneof member clears the other members (upstream reflection semantics). */
  private setOneof(field: FieldDesc, obj: Record<string, unknown>, path: string, namePos: SourcePosition): void {
    if (!field.oneof) return;
    const current = obj[field.oneof.name];
    if (typeof current === 'string' && current !== field.name) {
      this.warn(
        namePos,
        `Field "${field.name}" replaces field "${current}" set earlier: both are members of oneof "${field.oneof.name}" and only the last one counts (as upstream does).`,
      );
      delete obj[current];
      if (this.track) {
        // Rare (a config that sets two members of a oneof): a scan is fine here.
        const prefix = Parser.child(path, current);
        for (const k of [...this.locations.keys()]) if (k === prefix || k.startsWith(prefix + '/')) this.locations.delete(k);
      }
    }
    obj[field.oneof.name] = field.name;
  }

  private consumeMessageBody(desc: MessageDesc, obj: Record<string, unknown>, path: string): void {
    let delimiter: string;
    const at = this.pos();
    if (this.tryConsume('<')) delimiter = '>';
    else {
      this.consume('{');
      delimiter = '}';
    }
    if (--this.depth < 0) this.fail(`Message is too deep, the parser exceeded the configured recursion limit of ${this.recursionLimit}.`);
    this.open.push({ close: delimiter, at });
    const outer = this.field;
    while (!this.lookingAt('>') && !this.lookingAt('}')) {
      this.consumeField(desc, obj, path); // at the end of the file: "Expected identifier, got: "
    }
    this.field = outer;
    this.consume(delimiter);
    this.open.pop();
    this.depth++;
  }

  private consumeMapEntry(field: FieldDesc, obj: Record<string, unknown>, fieldPath: string, namePos: SourcePosition, valuePos: SourcePosition): void {
    const entryDesc = field.map!;
    const entry = newMessageObject(entryDesc);
    // The key may come after the value: record under a temporary segment, re-key afterwards.
    const tmpPath = Parser.child(fieldPath, `\u0000entry${this.entryCounter++}`);
    const inserted: string[] = [];
    this.collectors.push(inserted);
    try {
      this.consumeMessageBody(entryDesc, entry, tmpPath);
    } finally {
      this.collectors.pop();
    }
    const keyField = entryDesc.fields.get('key')!;
    const valueField = entryDesc.fields.get('value')!;
    const key = String(entry['key'] ?? defaultOf(keyField));
    const value = entry['value'] ?? defaultOf(valueField);
    const map = obj[field.name] as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(map, key)) {
      this.warn(namePos, `Map key "${key}" of field "${field.name}" is given more than once; the last entry is used (as upstream does).`);
    }
    map[key] = value;
    if (!this.track) return;
    // …/<tmp>/value/x → …/<key>/x and …/<tmp> → …/<key>; …/<tmp>/key is dropped.
    const keyPointer = Parser.child(fieldPath, key);
    const valueLoc = this.locations.get(tmpPath + '/value');
    const moved = inserted.map((k) => [k, this.locations.get(k)] as const);
    for (const k of inserted) this.locations.delete(k);
    this.record(keyPointer, namePos, valueLoc?.value ?? valuePos);
    for (const [k, loc] of moved) {
      const rest = k.slice(tmpPath.length);
      if (loc && rest.startsWith('/value/')) this.record(keyPointer + rest.slice('/value'.length), loc.name, loc.value);
    }
    this.record(fieldPath, namePos, valuePos, true);
  }

  private consumeScalar(field: FieldDesc): unknown {
    const c = this.tok.current;
    switch (field.kind) {
      case 'int32':
      case 'sint32':
      case 'sfixed32':
        return Number(this.consumeSignedInteger(INT32_MAX));
      case 'uint32':
      case 'fixed32':
        return Number(this.consumeUnsignedInteger(UINT32_MAX));
      case 'int64':
      case 'sint64':
      case 'sfixed64':
        return this.consumeSignedInteger(INT64_MAX).toString();
      case 'uint64':
      case 'fixed64':
        return this.consumeUnsignedInteger(UINT64_MAX).toString();
      case 'float':
        return Math.fround(this.consumeDouble());
      case 'double':
        return this.consumeDouble();
      case 'string':
        return this.consumeStringBytes().toString('utf8');
      case 'bytes':
        return new Uint8Array(this.consumeStringBytes());
      case 'bool': {
        if (c.type === Tok.INTEGER) return this.consumeUnsignedInteger(1n) === 1n;
        const v = this.consumeIdentifier();
        if (v === 'true' || v === 'True' || v === 't') return true;
        if (v === 'false' || v === 'False' || v === 'f') return false;
        // upstream reports at the token after the identifier
        return this.fail(`Invalid value for boolean field "${field.name}". Value: "${v}".`);
      }
      case 'enum': {
        const en = field.enumType!;
        if (c.type === Tok.IDENTIFIER) {
          const name = this.consumeIdentifier();
          if (Object.prototype.hasOwnProperty.call(en.values, name)) return name;
          return this.fail(`Unknown enumeration value of "${name}" for field "${field.name}".`);
        }
        if (this.lookingAt('-') || c.type === Tok.INTEGER) {
          const n = Number(this.consumeSignedInteger(INT32_MAX));
          const name = en.valuesById[n];
          // proto3 enums are open: unknown numbers are kept as numbers.
          return name ?? n;
        }
        return this.fail(`Expected integer or identifier, got: ${c.text}`);
      }
      default:
        return this.fail(`Unsupported field type ${field.kind}`);
    }
  }

  private consumeUnsignedInteger(max: bigint): bigint {
    const c = this.tok.current;
    if (c.type !== Tok.INTEGER) this.fail(`Expected integer, got: ${c.text}`);
    const v = parseInteger(c.text, max);
    if (v === undefined) this.fail(`Integer out of range (${c.text})`);
    this.tok.next();
    return v;
  }

  private consumeSignedInteger(max: bigint): bigint {
    if (this.tryConsume('-')) return -this.consumeUnsignedInteger(max + 1n);
    return this.consumeUnsignedInteger(max);
  }

  private consumeDouble(): number {
    const negative = this.tryConsume('-');
    const c = this.tok.current;
    let v: number;
    if (c.type === Tok.INTEGER) {
      if (/^0[xX]/.test(c.text) || (c.text.length > 1 && c.text.startsWith('0'))) this.fail(`Expect a decimal number, got: ${c.text}`);
      v = Number(c.text);
      this.tok.next();
    } else if (c.type === Tok.FLOAT) {
      v = parseFloatToken(c.text);
      this.tok.next();
    } else if (c.type === Tok.IDENTIFIER) {
      const t = c.text.toLowerCase();
      if (t === 'inf' || t === 'infinity') v = Infinity;
      else if (t === 'nan') v = NaN;
      else this.fail(`Expected double, got: ${t}`);
      this.tok.next();
    } else {
      this.fail(`Expected double, got: ${c.text}`);
    }
    return negative ? -v : v;
  }

  private consumeStringBytes(): Buffer {
    if (this.tok.current.type !== Tok.STRING) this.fail(`Expected string, got: ${this.tok.current.text}`);
    const parts: Buffer[] = [];
    while (this.tok.current.type === Tok.STRING) {
      parts.push(unescapeString(this.buf, this.tok.current.start, this.tok.current.end));
      this.tok.next();
    }
    return Buffer.concat(parts);
  }

  /** `[prefix/full.Type.Name]` (Any) or `[full.ext.name]` (extension); brackets consumed. */
  private consumeTypeUrlOrName(): { prefix: string; name: string } {
    this.tok.urlMode = true;
    this.consume('[');
    let text = '';
    while (this.tok.current.type === Tok.URL_CHARS) {
      text += this.tok.current.text;
      this.tok.next();
    }
    this.tok.urlMode = false;
    this.consume(']');
    const slash = text.lastIndexOf('/');
    const prefix = slash < 0 ? '' : text.slice(0, slash + 1);
    const name = slash < 0 ? text : text.slice(slash + 1);
    if (prefix === '/') this.fail('Type URL prefix is empty');
    if (prefix.startsWith('/')) this.fail('Type URL starts with "/"');
    for (const id of name.split('.')) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(id)) this.fail(`Invalid identifier in type name, got: "${id}"`);
    }
    return { prefix, name };
  }

  private consumeAnyExpanded(obj: Record<string, unknown>, path: string, namePos: SourcePosition): void {
    const { prefix, name } = this.consumeTypeUrlOrName();
    if (!prefix) this.fail('Type URL prefix is missing');
    this.tryConsume(':');
    const url = prefix + name;
    let inner: protobuf.Type | undefined;
    if (prefix === 'type.googleapis.com/' || prefix === 'type.googleprod.com/') {
      try {
        inner = this.type.root.lookupType(name);
      } catch {
        inner = undefined;
      }
    }
    if (!inner) this.fail(`Could not find type "${url}" stored in google.protobuf.Any.`);
    const valuePos = this.pos();
    const innerDesc = describe(inner);
    const innerObj = newMessageObject(innerDesc);
    this.consumeMessageBody(innerDesc, innerObj, Parser.child(path, 'value'));
    obj['type_url'] = url;
    obj['value'] = inner.encode(inner.fromObject(innerObj)).finish();
    this.record(Parser.child(path, 'type_url'), namePos, namePos);
    this.record(Parser.child(path, 'value'), valuePos, valuePos);
  }

  /** Skips the value of a reserved field (name already consumed), as upstream SkipField. */
  private skipFieldAfterName(): void {
    if (this.tryConsume(':') && !this.lookingAt('{') && !this.lookingAt('<')) this.skipFieldValue();
    else this.skipFieldMessage();
    if (!this.tryConsume(';')) this.tryConsume(',');
  }

  private skipFieldMessage(): void {
    let delimiter: string;
    if (this.tryConsume('<')) delimiter = '>';
    else {
      this.consume('{');
      delimiter = '}';
    }
    while (!this.lookingAt('>') && !this.lookingAt('}')) {
      if (this.lookingAt('[')) this.consumeTypeUrlOrName();
      else this.consumeIdentifier();
      this.skipFieldAfterName();
    }
    this.consume(delimiter);
  }

  private skipFieldValue(): void {
    const c = this.tok.current;
    if (c.type === Tok.STRING) {
      while (this.tok.current.type === Tok.STRING) this.tok.next();
      return;
    }
    if (this.tryConsume('[')) {
      if (!this.tryConsume(']')) {
        for (;;) {
          if (this.lookingAt('{') || this.lookingAt('<')) this.skipFieldMessage();
          else this.skipFieldValue();
          if (this.tryConsume(']')) break;
          this.consume(',');
        }
      }
      return;
    }
    const minus = this.tryConsume('-');
    const t = this.tok.current;
    if (t.type !== Tok.INTEGER && t.type !== Tok.FLOAT && t.type !== Tok.IDENTIFIER) this.fail(`Cannot skip field value, unexpected token: ${t.text}`);
    if (minus && t.type === Tok.IDENTIFIER) {
      const l = t.text.toLowerCase();
      if (l !== 'inf' && l !== 'infinity' && l !== 'nan') this.fail(`Invalid float number: ${l}`);
    }
    this.tok.next();
  }
}

// ---------------------------------------------------------------------------------------
// Printer: the toObject shape back to text format (used by `tfs validate` and round-trip
// tests). Output is canonical: fields in declaration order, two-space indentation.

function escapeBytes(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0x0a) s += '\\n';
    else if (b === 0x0d) s += '\\r';
    else if (b === 0x09) s += '\\t';
    else if (b === 0x22) s += '\\"';
    else if (b === 0x27) s += "\\'";
    else if (b === 0x5c) s += '\\\\';
    else if (b < 0x20 || b >= 0x7f) s += '\\' + b.toString(8).padStart(3, '0');
    else s += String.fromCharCode(b);
  }
  return `"${s}"`;
}

function formatScalar(f: FieldDesc, v: unknown): string {
  switch (f.kind) {
    case 'string':
      return escapeBytes(Buffer.from(String(v), 'utf8'));
    case 'bytes':
      return escapeBytes(v instanceof Uint8Array ? v : Buffer.from(String(v), 'base64'));
    case 'float':
    case 'double': {
      const n = Number(v);
      if (Number.isNaN(n)) return 'nan';
      if (n === Infinity) return 'inf';
      if (n === -Infinity) return '-inf';
      return String(n);
    }
    case 'bool':
      return v ? 'true' : 'false';
    default:
      return String(v);
  }
}

function printMessage(desc: MessageDesc, obj: Record<string, unknown>, indent: string, out: string[]): void {
  for (const f of desc.fields.values()) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    if (f.map) {
      const valueField = f.map.fields.get('value')!;
      const keyField = f.map.fields.get('key')!;
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        out.push(`${indent}${f.name} {`);
        out.push(`${indent}  key: ${formatScalar(keyField, keyField.kind === 'bool' ? k === 'true' : k)}`);
        if (valueField.kind === 'message') {
          out.push(`${indent}  value {`);
          printMessage(valueField.message!, val as Record<string, unknown>, indent + '    ', out);
          out.push(`${indent}  }`);
        } else {
          out.push(`${indent}  value: ${formatScalar(valueField, val)}`);
        }
        out.push(`${indent}}`);
      }
      continue;
    }
    const values = f.repeated ? (v as unknown[]) : [v];
    for (const item of values) {
      if (f.kind === 'message') {
        out.push(`${indent}${f.name} {`);
        const sub = f.message!;
        const itemObj = item as Record<string, unknown>;
        if (sub.isAny && typeof itemObj['type_url'] === 'string' && itemObj['value'] instanceof Uint8Array) {
          const url = itemObj['type_url'];
          const inner = tryLookup(desc.type ?? sub.type, url.slice(url.lastIndexOf('/') + 1));
          if (inner) {
            out.push(`${indent}  [${url}] {`);
            const decoded = inner.toObject(inner.decode(itemObj['value']), TO_OBJECT);
            printMessage(describe(inner), decoded, indent + '    ', out);
            out.push(`${indent}  }`);
            out.push(`${indent}}`);
            continue;
          }
        }
        printMessage(sub, itemObj, indent + '  ', out);
        out.push(`${indent}}`);
      } else {
        out.push(`${indent}${f.name}: ${formatScalar(f, item)}`);
      }
    }
  }
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: Uint8Array as unknown as typeof String, arrays: true, objects: true, oneofs: true };

function tryLookup(from: protobuf.Type | undefined, name: string): protobuf.Type | undefined {
  if (!from) return undefined;
  try {
    return from.root.lookupType(name);
  } catch {
    return undefined;
  }
}

/**
 * Prints a toObject-style object of message `type` as text format (canonical layout).
 * `parseTextFormat(type, formatTextFormat(type, obj))` gives `obj` back.
 */
export function formatTextFormat(type: protobuf.Type, obj: Record<string, unknown>): string {
  const out: string[] = [];
  printMessage(describe(type), obj, '', out);
  return out.length ? out.join('\n') + '\n' : '';
}
