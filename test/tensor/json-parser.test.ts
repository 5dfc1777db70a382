import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TfsError, Code } from '../../src/errors.js';
import { JsonBytes, JsonInt, JsonObject, type JsonValue, isBase64Object, jsonTypeName, parseJson } from '../../src/tensor/json-parser.js';

function parseError(body: string | Uint8Array): string {
  try {
    parseJson(body);
  } catch (e) {
    assert.ok(e instanceof TfsError);
    assert.equal(e.code, Code.INVALID_ARGUMENT);
    return e.message;
  }
  assert.fail(`expected a parse error for ${String(body)}`);
}

test('numbers keep rapidjson integer vs double classification', () => {
  const v = parseJson('[2, 2.0, -0, -0.0, 1e2, 18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809, 4294967295]') as JsonValue[];
  assert.ok(v[0] instanceof JsonInt && v[0].value === 2);
  assert.equal(v[1], 2);
  assert.ok(v[2] instanceof JsonInt && Object.is(v[2].value, 0));
  assert.ok(Object.is(v[3], -0));
  assert.equal(v[4], 100);
  assert.ok(v[5] instanceof JsonInt && v[5].big === 18446744073709551615n);
  assert.equal(typeof v[6], 'number', 'beyond uint64 is a double');
  assert.ok(v[7] instanceof JsonInt && v[7].toBigInt() === -(2n ** 63n));
  assert.equal(typeof v[8], 'number', 'below int64 is a double');
  assert.ok(v[9] instanceof JsonInt && v[9].value === 4294967295);
});

test('decimal values are correctly rounded doubles', () => {
  const texts = ['0.1', '3.14159', '1e-7', '123456789.123456789', '2.2250738585072014e-308', '1.7976931348623157e308', '0.30000000000000004', '5e-324', '1e-400'];
  const v = parseJson(`[${texts.join(',')}]`) as number[];
  texts.forEach((t, i) => assert.equal(v[i], Number(t), t));
});

test('NaN, Infinity, Inf and their negatives are accepted (case-sensitive)', () => {
  const v = parseJson('[NaN, -NaN, Infinity, -Infinity, Inf, -Inf]') as number[];
  assert.ok(Number.isNaN(v[0]) && Number.isNaN(v[1]));
  assert.deepEqual(v.slice(2), [Infinity, -Infinity, Infinity, -Infinity]);
  assert.equal(parseError('[Nan]'), 'JSON Parse error: Invalid value. at offset: 3');
  assert.equal(parseError('[Infinit]'), 'JSON Parse error: Invalid value. at offset: 8');
});

test('stop-when-done: bytes after the root value are ignored; NUL ends the input', () => {
  const o = parseJson('{"instances":[1]} garbage {') as JsonObject;
  assert.ok(o instanceof JsonObject && o.has('instances'));
  assert.deepEqual(parseJson('[1]]]]'), [new JsonInt(1, null)]);
  assert.equal(parseError(Buffer.from('[1,\u00002]')), 'JSON Parse error: Invalid value. at offset: 3');
});

test('rapidjson error messages and byte offsets', () => {
  const cases: [string, string][] = [
    ['', 'JSON Parse error: The document is empty'],
    ['  \n', 'JSON Parse error: The document is empty. at offset: 3'],
    ['x', 'JSON Parse error: Invalid value. at offset: 0'],
    [']', 'JSON Parse error: The document is empty. at offset: 0'],
    ['[1,]', 'JSON Parse error: Invalid value. at offset: 3'],
    ['[1 2]', "JSON Parse error: Missing a comma or ']' after an array element. at offset: 3"],
    ['{"a" 1}', 'JSON Parse error: Missing a colon after a name of object member. at offset: 5'],
    ['{"a":1', "JSON Parse error: Missing a comma or '}' after an object member. at offset: 6"],
    ['{"a":1,}', 'JSON Parse error: Missing a name for object member. at offset: 7'],
    ['{1:2}', 'JSON Parse error: Missing a name for object member. at offset: 1'],
    ['{"a":}', 'JSON Parse error: Invalid value. at offset: 5'],
    ['"abc', 'JSON Parse error: Missing a closing quotation mark in string. at offset: 4'],
    ['"a\\x"', 'JSON Parse error: Invalid escape character in string. at offset: 2'],
    ['"a\tb"', 'JSON Parse error: Invalid escape character in string. at offset: 2'],
    ['"\\u12G4"', 'JSON Parse error: Incorrect hex digit after \\u escape in string. at offset: 1'],
    ['"\\ud800x"', 'JSON Parse error: The surrogate pair in string is invalid. at offset: 1'],
    ['"\\ud800\\u0041"', 'JSON Parse error: The surrogate pair in string is invalid. at offset: 1'],
    ['[1.]', 'JSON Parse error: Miss fraction part in number. at offset: 3'],
    ['[1e+]', 'JSON Parse error: Miss exponent in number. at offset: 4'],
    ['[1e309]', 'JSON Parse error: Number too big to be stored in double. at offset: 1'],
    [`[${'9'.repeat(400)}]`, 'JSON Parse error: Number too big to be stored in double. at offset: 1'],
    ['[-]', 'JSON Parse error: Invalid value. at offset: 2'],
    ['tru', 'JSON Parse error: Invalid value. at offset: 3'],
    ['nulL', 'JSON Parse error: Invalid value. at offset: 3'],
    ['{"a":[1,{"b":2]}', "JSON Parse error: Missing a comma or '}' after an object member. at offset: 14"],
  ];
  for (const [body, message] of cases) assert.equal(parseError(body), message, JSON.stringify(body));
});

test('strings: escapes, surrogate pairs, raw bytes kept when not UTF-8', () => {
  assert.equal(parseJson('"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"'), 'a"b\\c/d\b\f\n\r\té😀');
  assert.equal(parseJson('"héllo"'), 'héllo');
  const raw = parseJson(Buffer.from([0x22, 0x61, 0xff, 0xfe, 0x22]));
  assert.ok(raw instanceof JsonBytes);
  assert.deepEqual([...raw.bytes], [0x61, 0xff, 0xfe]);
  assert.equal(parseJson('"\ufffd"'), '\ufffd', 'a real U+FFFD stays a string');
  // A long escaped string grows the scratch buffer.
  const long = 'x\\n'.repeat(1000);
  assert.equal(parseJson(`"${long}"`), 'x\n'.repeat(1000));
});

test('a UTF-8 byte-order mark is skipped; offsets still count it', () => {
  assert.deepEqual(parseJson(Buffer.from('\ufeff[1]', 'utf8')), [new JsonInt(1, null)]);
  assert.equal(parseError(Buffer.from('\ufeff[1,]', 'utf8')), 'JSON Parse error: Invalid value. at offset: 6');
});

test('objects keep order and duplicates; lookups return the first', () => {
  const o = parseJson('{"a":1,"b":2,"a":3}') as JsonObject;
  assert.deepEqual(o.keys, ['a', 'b', 'a']);
  assert.deepEqual(o.get('a'), new JsonInt(1, null));
  assert.equal(o.get('z'), undefined);
});

test('no recursion: 500000-deep nesting parses (as upstream tests require)', () => {
  const depth = 500_000;
  const text = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  let v = parseJson(text);
  let d = 0;
  while (Array.isArray(v)) {
    v = v[0]!;
    d++;
  }
  assert.equal(d, depth);
  assert.equal(parseError(`${'{"a":'.repeat(100_000)}`), 'JSON Parse error: Invalid value. at offset: 500000');
});

test('type names and base64 objects', () => {
  const v = parseJson('[null, true, false, 1, 1.5, "s", [], {}, {"b64": "AA=="}, {"b64": 1}, {"b64": "x", "c": 1}]') as JsonValue[];
  assert.deepEqual(v.map(jsonTypeName), ['Null', 'True', 'False', 'Number', 'Number', 'String', 'Array', 'Object', 'Object', 'Object', 'Object']);
  assert.deepEqual(v.map(isBase64Object), [false, false, false, false, false, false, false, false, true, false, false]);
});

test('random bytes never crash the parser: only TfsErrors or values', () => {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const alphabet = Buffer.from('{}[]",:0123456789.eE+-tfnulNaIiy \\u\n\tab');
  for (let i = 0; i < 3000; i++) {
    const n = rnd() % 40;
    const buf = Buffer.alloc(n);
    for (let k = 0; k < n; k++) buf[k] = rnd() % 4 === 0 ? rnd() % 256 : alphabet[rnd() % alphabet.length]!;
    try {
      parseJson(buf);
    } catch (e) {
      assert.ok(e instanceof TfsError, `non-TfsError for ${buf.toString('hex')}: ${String(e)}`);
      assert.match(e.message, /^JSON Parse error: /);
    }
  }
});

test('the numeric-array fast path gives exactly what the general path gives', () => {
  let seed = 99;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const token = (): string => {
    const r = rnd();
    const sign = rnd() < 0.3 ? '-' : '';
    if (r < 0.25) return `${sign}${Math.floor(rnd() * 1e6)}`;
    if (r < 0.35) return `${sign}${Math.floor(rnd() * 9e15) + 1}${Math.floor(rnd() * 1000)}`; // beyond 2^53
    if (r < 0.4) return `${sign}18446744073709551615`;
    if (r < 0.45) return `${sign}0`;
    if (r < 0.8) return `${sign}${(rnd() * 10).toFixed(Math.floor(rnd() * 18) + 1)}`;
    return `${sign}${(rnd() * 10).toFixed(3)}e${rnd() < 0.5 ? '-' : '+'}${Math.floor(rnd() * 99)}`;
  };
  for (let i = 0; i < 300; i++) {
    const items = Array.from({ length: 1 + Math.floor(rnd() * 12) }, token);
    const fast = parseJson(`[${items.join(', ')}]`) as JsonValue[];
    // A NaN element sends the same numbers through the general (per-token) path.
    const slow = (parseJson(`[${items.join(', ')}, NaN]`) as JsonValue[]).slice(0, -1);
    assert.deepEqual(fast, slow, items.join(', '));
  }
  // Texts the fast path must leave to the general path (rapidjson errors or NaN/Infinity).
  assert.deepEqual(parseJson('[1, Infinity]'), [new JsonInt(1, null), Infinity]);
  assert.equal(parseError('[01]'), "JSON Parse error: Missing a comma or ']' after an array element. at offset: 2");
  assert.equal(parseError('[1, 1e999]'), 'JSON Parse error: Number too big to be stored in double. at offset: 4');
  assert.equal(parseError('[1, .5]'), 'JSON Parse error: Invalid value. at offset: 4');
  assert.equal(parseError('[1, 2'), "JSON Parse error: Missing a comma or ']' after an array element. at offset: 5");
});
