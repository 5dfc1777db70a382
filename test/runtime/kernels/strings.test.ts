/**
 * String kernels against TensorFlow 2.21's answers (computed with tf.strings / tf.io on the
 * same inputs), and RE2 patterns that tfs must refuse rather than run with another meaning.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Code, TfsError } from '../../../src/errors.js';
import { printf } from '../../../src/runtime/kernels/format.js';
import { re2Replace, re2ToJs } from '../../../src/runtime/kernels/regex.js';
import { STRING_KERNELS } from '../../../src/runtime/kernels/strings.js';
import { readWide } from '../../../src/runtime/wide-values.js';
import { run as runIn, s, str, texts, utf8s, values } from './helpers.js';

const run = (op: string, inputs: tf.Tensor[], raw = {}): tf.Tensor[] => runIn(STRING_KERNELS, op, inputs, raw);
const BYTES = ['', 'plain', '\xff\xfe\x00abc', Buffer.from('été').toString('latin1')];

await tf.setBackend('cpu');

test('hash buckets: legacy Hash64 and SipHash-2-4 (also with an int64 key beyond 2^53) as TF', () => {
  assert.deepEqual(values(run('StringToHashBucket', [str(BYTES)], { num_buckets: { i: 1000 } })[0]!), [899, 251, 91, 722]);
  assert.deepEqual(values(run('StringToHashBucketStrong', [str(BYTES)], { num_buckets: { i: 1000 }, key: { list: { i: [1, 2] } } })[0]!), [435, 196, 195, 269]);
  // The attr's number is lossy, as in tfjs's graph JSON; the exact key rides in _tfs_int_key.
  // eslint-disable-next-line no-loss-of-precision
  const big = { num_buckets: { i: 2 ** 31 - 1 }, key: { list: { i: [-5, 12345678901234567] } }, _tfs_int_key: s('-5,12345678901234567') };
  assert.deepEqual(values(run('StringToHashBucketStrong', [str(BYTES)], big)[0]!), [304404366, 1746954936, 1076275996, 1906860420]);
});

test('AsString formats as snprintf, ties to even', () => {
  const f = (v: number[], raw: object): string[] => texts(run('AsString', [tf.tensor1d(v)], { T: { type: 'DT_FLOAT' }, ...raw })[0]!);
  assert.deepEqual(f([0.125, 2.5, -0.5, 1234.5678, 0], { precision: { i: 2 } }), ['0.12', '2.50', '-0.50', '1234.57', '0.00']);
  assert.deepEqual(f([0.125, -1234.5678, 0, 1e-10], { scientific: { b: true } }), ['1.250000e-01', '-1.234568e+03', '0.000000e+00', '1.000000e-10']);
  assert.deepEqual(f([0.125, 123456, 1234567, 0.0001, 0.00001], { shortest: { b: true } }), ['0.125', '123456', '1.23457e+06', '0.0001', '1e-05']);
  const ints = run('AsString', [tf.tensor1d([5, -5, 123456789], 'int32')], { T: { type: 'DT_INT64' }, width: { i: 6 }, fill: s('0') });
  assert.deepEqual(texts(ints[0]!), ['000005', '-00005', '123456789']);
  assert.equal(printf(2.5, { flags: '', width: -1, precision: 0, conv: 'f' }), '2');
});

test('regex: RE2 replace rules (first match, empty matches after a match) and full match', () => {
  const x = str(['Hello World', 'baaa', 'abc']);
  assert.deepEqual(texts(run('_TfsStaticRegexReplace', [x], { pattern: s('(\\w+)'), rewrite: s('<\\1>'), replace_global: { b: false } })[0]!), ['<Hello> World', '<baaa>', '<abc>']);
  assert.deepEqual(texts(run('_TfsStaticRegexReplace', [x], { pattern: s('a*'), rewrite: s('-') })[0]!), ['-H-e-l-l-o- -W-o-r-l-d-', '-b-', '-b-c-']);
  const m = run('StaticRegexFullMatch', [str(['Hello World', 'a\nb', 'x y'])], { pattern: s('[A-Za-z ]+|a.b|\\S\\s\\S') });
  assert.deepEqual(values(m[0]!), [1, 1, 1]);
  // RE2's `.` skips only \n (JS's also \r).
  assert.deepEqual(values(run('StaticRegexFullMatch', [str(['a\nb', 'a\rb'])], { pattern: s('a.b') })[0]!), [0, 1]);
  // Upper case survives (tfjs lower-cases string attrs).
  assert.deepEqual(values(run('RegexFullMatch', [str(['ABC', 'abc']), str(['[A-Z]+'], [])])[0]!), [1, 0]);
  assert.equal(re2Replace('baaa', 'a*', '-', true), '-b-');
});

test('regex: patterns without an exact JS meaning are refused, not approximated', () => {
  for (const p of ['(?i)abc', '\\pL+', '\\Qa.b\\E', '(?=a)', '[[:^alpha:]]', '\\1']) {
    assert.throws(() => re2ToJs(p), (e: unknown) => e instanceof TfsError && e.code === Code.UNIMPLEMENTED, p);
  }
  assert.equal(re2ToJs('a{,2}\\s.'), 'a\\{,2\\}[\\t\\n\\f\\r ][^\\n]');
});

test('split, substr (UTF8_CHAR), length, join, base64, unicode decode', () => {
  const [idx, vals, shape] = run('StringSplitV2', [str(['  a  b  c ', 'a,b,,c', '']), str([''], [])]);
  assert.deepEqual(texts(vals!), ['a', 'b', 'c', 'a,b,,c']);
  assert.deepEqual(values(idx!), [0, 0, 0, 1, 0, 2, 1, 0]);
  assert.deepEqual(values(shape!), [3, 3]);
  assert.deepEqual(texts(run('StringSplitV2', [str(['a,b,,c', '']), str([','], [])])[1]!), ['a', 'b', '', 'c', '']);
  const words = tf.tensor([Buffer.from('hello'), Buffer.from('été!')].map((b) => new Uint8Array(b)), [2], 'string');
  assert.deepEqual(utf8s(run('Substr', [words, tf.scalar(1, 'int32'), tf.scalar(2, 'int32')], { unit: s('UTF8_CHAR') })[0]!), ['el', 'té']);
  assert.deepEqual(values(run('StringLength', [words], { unit: s('UTF8_CHAR') })[0]!), [5, 4]);
  assert.throws(() => run('Substr', [str(['hello']), tf.scalar(7, 'int32'), tf.scalar(2, 'int32')]), /pos 7 out of range for string b'hello' at index 0/);
  assert.deepEqual(texts(run('ReduceJoin', [str(['a', 'b', 'c', 'd'], [2, 2]), tf.tensor1d([0], 'int32')], { separator: s('-') })[0]!), ['a-c', 'b-d']);
  const raw = str(['\xff\xfe\x00abc', 'hi']);
  assert.deepEqual(texts(run('EncodeBase64', [raw])[0]!), ['__4AYWJj', 'aGk']);
  assert.deepEqual(texts(run('EncodeBase64', [raw], { pad: { b: true } })[0]!), ['__4AYWJj', 'aGk=']);
  assert.deepEqual(texts(run('DecodeBase64', [str(['__4AYWJj', 'aGk='])])[0]!), ['\xff\xfe\x00abc', 'hi']);
  assert.throws(() => run('DecodeBase64', [str(['aGk+'])]), /Invalid character found in base64\./);
  const [splits, cps] = run('UnicodeDecode', [tf.tensor([new Uint8Array(Buffer.from('aé日'))], [1], 'string')], { input_encoding: s('UTF-8') });
  assert.deepEqual([values(splits!), values(cps!)], [[0, 3], [97, 233, 26085]]);
});

test('StringToNumber: TF accepts and refuses the same texts; int64 and float64 are exact', () => {
  const f = run('StringToNumber', [str([' 12 ', '1e40', '0x10', '+3', '-0.5'])], { out_type: { type: 'DT_FLOAT' } });
  assert.deepEqual(values(f[0]!), [12, Infinity, 16, 3, -0.5]);
  assert.throws(() => run('StringToNumber', [str(['1.5e'])], { out_type: { type: 'DT_FLOAT' } }), /StringToNumberOp could not correctly convert string: 1\.5e/);
  assert.throws(() => run('StringToNumber', [str(['1.0'])], { out_type: { type: 'DT_INT32' } }), /could not correctly convert/);
  const big = run('StringToNumber', [str(['123456789012', '9223372036854775807', '-9007199254740993'])], { out_type: { type: 'DT_INT64' } });
  assert.deepEqual([...readWide(big[0]!, 'int64')], [123456789012n, 9223372036854775807n, -9007199254740993n]);
  assert.throws(() => run('StringToNumber', [str(['9223372036854775808'])], { out_type: { type: 'DT_INT64' } }), /could not correctly convert/);
  const d = run('StringToNumber', [str(['0.1', '1.000000000001'])], { out_type: { type: 'DT_DOUBLE' } });
  assert.deepEqual([...readWide(d[0]!, 'float64')], [0.1, 1.000000000001]);
});

test('lower/upper are ASCII unless encoding is utf-8', () => {
  const x = tf.tensor([new Uint8Array(Buffer.from('ÀBC'))], [1], 'string');
  assert.deepEqual(utf8s(run('StringLower', [x])[0]!), ['Àbc']);
  assert.deepEqual(utf8s(run('StringLower', [x], { encoding: s('utf-8') })[0]!), ['àbc']);
  assert.deepEqual(texts(run('StringStrip', [str(['\x0b a \x0c'])])[0]!), ['a']);
});

test('a constant pattern tfs cannot run exactly is refused when the graph is frozen', async () => {
  const { familyNode } = await import('../../../src/runtime/kernels/index.js');
  const attr = { pattern: s('(?i)abc') };
  assert.throws(() => familyNode('StaticRegexFullMatch', {}, attr), (e: unknown) => e instanceof TfsError && /\(\?i\)abc/.test(e.message));
  assert.equal(familyNode('StaticRegexReplace', {}, { pattern: s('[a-z]+'), rewrite: s('x') }), '_TfsStaticRegexReplace');
  const typed = { T: { type: 'DT_INT32' } };
  familyNode('Invert', { T: { type: 'DT_UINT16' } }, typed);
  assert.deepEqual(typed, { T: { type: 'DT_INT32' }, _tfs_type_T: s('DT_UINT16') });
});

test('Add on strings concatenates with broadcasting, bytes kept as they are', () => {
  // tf.constant([[b"a", b"\xff"], [b"", b"c"]]) + b"\x00|", and + [b"x", b"y"]
  const x = str(['a', '\xff', '', 'c'], [2, 2]);
  const r = run('_TfsStringAdd', [x, str(['\x00|'], [])])[0]!;
  assert.deepEqual(r.shape, [2, 2]);
  assert.deepEqual(texts(r), ['a\x00|', '\xff\x00|', '\x00|', 'c\x00|']);
  assert.deepEqual(texts(run('_TfsStringAdd', [x, str(['x', 'y'])])[0]!), ['ax', '\xffy', 'x', 'cy']);
  assert.throws(() => run('_TfsStringAdd', [x, str(['x', 'y', 'z'])]), /Incompatible shapes/);
});
