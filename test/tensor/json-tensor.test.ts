import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, TfsError } from '../../src/errors.js';
import type { TensorSpec } from '../../src/tensor/tensor.js';
import { parseJson } from '../../src/tensor/json-parser.js';
import { formatDecimal, formatG, formatRapidJsonDouble } from '../../src/tensor/json-writer.js';
import {
  classifyRegressRequestFromJson,
  classifyResponseJson,
  errorJson,
  jsonDebugString,
  predictRequestFromJson,
  predictResponseJson,
  regressResponseJson,
} from '../../src/tensor/json-tensor.js';
import type { DTypeName } from '../../src/tensor/dtypes.js';
import { type Tensor, utf8 } from '../../src/tensor/tensor.js';

const spec = (dtype: DTypeName, name = 'x:0'): TensorSpec => ({ name, dtype, shape: null });
const one = (dtype: DTypeName): Record<string, TensorSpec> => ({ x: spec(dtype) });

function convertError(body: string, inputs: Record<string, TensorSpec>): TfsError {
  try {
    predictRequestFromJson(body, inputs);
  } catch (e) {
    assert.ok(e instanceof TfsError, String(e));
    return e;
  }
  assert.fail(`expected an error for ${body}`);
}
const msg = (body: string, inputs: Record<string, TensorSpec>): string => convertError(body, inputs).message;

test('WriteDecimal formatting (spec §1.7 examples)', () => {
  const f = (v: number) => formatDecimal(Math.fround(v), true);
  assert.equal(f(3), '3.0');
  assert.equal(f(0.5), '0.5');
  assert.equal(f(9000000), '9e+06');
  assert.equal(f(0.00003), '3e-05');
  assert.equal(f(999999), '999999.0');
  assert.equal(f(555557.5), '555557.5');
  assert.equal(f(1234567), '1234567.0');
  assert.equal(f(1 / 3), '0.333333343');
  assert.equal(f(0.1), '0.1');
  assert.equal(f(-2.5), '-2.5');
  assert.equal(f(NaN), 'NaN');
  assert.equal(f(Infinity), 'Infinity');
  assert.equal(f(-Infinity), '-Infinity');
  assert.equal(formatDecimal(0.1, false), '0.1');
  // printf rounds exact decimal ties to even (JS's toPrecision rounds them up).
  assert.equal(formatDecimal(453419.5625, true), '453419.562');
  assert.equal(formatDecimal(-380338.3125, true), '-380338.312');
  assert.equal(formatDecimal(1533286.625, true), '1533286.62');
  assert.equal(formatDecimal(208550.8125, true), '208550.812');
  // eslint-disable-next-line no-loss-of-precision -- the literal is what a client sends; its nearest double is the point
  assert.equal(formatDecimal(-1362070260909021.2, false), '-1362070260909021.2');
  assert.equal(formatDecimal(Math.fround(3e-5), true), '3e-05');
  assert.equal(formatDecimal(Math.fround(0.00009999999), true), '9.99999902e-05');
  assert.equal(formatDecimal(-0, true), '-0.0');
  assert.equal(formatDecimal(Math.fround(3e38), true), '3e+38');
  assert.equal(formatDecimal(1 / 3, false), '0.33333333333333331');
  assert.equal(formatG(1e-5, 6), '1e-05');
  assert.equal(formatG(123456789, 6), '1.23457e+08');
  assert.equal(formatG(0.0001, 6), '0.0001');
  assert.deepEqual([2, 0.1, 1e21, 1.5e-7, 123.456, -0, 1e-6].map(formatRapidJsonDouble), ['2.0', '0.1', '1e21', '1.5e-7', '123.456', '-0.0', '0.000001']);
});

test('row format: values, shapes, dtypes', () => {
  const r = predictRequestFromJson('{"instances": [[1.0, 2], [3, 4.5]]}', one('DT_FLOAT'));
  assert.equal(r.format, 'row');
  assert.deepEqual(r.inputs['x']!.shape, [2, 2]);
  assert.deepEqual([...(r.inputs['x']!.data as Float32Array)], [1, 2, 3, 4.5]);
  // Scalars per instance → rank 1.
  assert.deepEqual(predictRequestFromJson('{"instances": [1, 2, 3]}', one('DT_INT32')).inputs['x']!.shape, [3]);
  // Named inputs (list of objects), b64 strings, int64 beyond 2^53, bools.
  const named = predictRequestFromJson(
    '{"signature_name": "s", "instances": [{"a": "x", "b": {"b64": "AAEC"}, "c": 9007199254740993, "d": true}, {"a": "y", "b": {"b64": "/w=="}, "c": -1, "d": false}]}',
    { a: spec('DT_STRING'), b: spec('DT_STRING'), c: spec('DT_INT64'), d: spec('DT_BOOL') },
  );
  assert.equal(named.signatureName, 's');
  assert.deepEqual((named.inputs['a']!.data as Uint8Array[]).map((b) => Buffer.from(b).toString()), ['x', 'y']);
  assert.deepEqual((named.inputs['b']!.data as Uint8Array[]).map((b) => [...b]), [[0, 1, 2], [255]]);
  assert.deepEqual([...(named.inputs['c']!.data as BigInt64Array)], [9007199254740993n, -1n]);
  assert.deepEqual([...(named.inputs['d']!.data as Uint8Array)], [1, 0]);
  // Plain list of b64 objects is a single-input list, not named objects.
  const b64 = predictRequestFromJson('{"instances": [{"b64": "aGk="}]}', one('DT_STRING'));
  assert.equal(Buffer.from((b64.inputs['x']!.data as Uint8Array[])[0]!).toString(), 'hi');
  // Floats: beyond float32 range → inf; integer literals allowed; precision loss as TF.
  const fl = predictRequestFromJson('{"instances": [1e39, 1435774380, NaN]}', one('DT_FLOAT')).inputs['x']!.data as Float32Array;
  assert.deepEqual([fl[0], fl[1]], [Infinity, 1435774336]);
  assert.ok(Number.isNaN(fl[2]));
  // uint64 up to 2^64-1, uint32 range.
  assert.deepEqual([...(predictRequestFromJson('{"instances": [18446744073709551615]}', one('DT_UINT64')).inputs['x']!.data as BigUint64Array)], [18446744073709551615n]);
  assert.deepEqual([...(predictRequestFromJson('{"instances": [4294967295]}', one('DT_UINT32')).inputs['x']!.data as Uint32Array)], [4294967295]);
});

test('columnar format: bare values, named maps with extra keys ignored, empty lists', () => {
  const r = predictRequestFromJson('{"inputs": [[1], [2]]}', one('DT_FLOAT'));
  assert.equal(r.format, 'columnar');
  assert.deepEqual(r.inputs['x']!.shape, [2, 1]);
  const scalar = predictRequestFromJson('{"inputs": 5}', one('DT_INT64'));
  assert.deepEqual(scalar.inputs['x']!.shape, []);
  const named = predictRequestFromJson('{"inputs": {"a": [1, 2], "b": [], "extra": "ignored"}}', { a: spec('DT_DOUBLE'), b: spec('DT_FLOAT') });
  assert.deepEqual(named.inputs['b']!.shape, [0]);
  assert.deepEqual([...(named.inputs['a']!.data as Float64Array)], [1, 2]);
  assert.deepEqual(Object.keys(named.inputs).sort(), ['a', 'b']);
});

test('request structure errors (spec §1.6 order and texts)', () => {
  const x = one('DT_FLOAT');
  assert.equal(msg('', x), 'JSON Parse error: The document is empty');
  assert.equal(msg('[1]', x), 'JSON Value: [1] Is not object');
  assert.equal(msg('{"signature_name": 1, "instances": [1]}', x), `JSON Value: {\n    "signature_name": 1,\n    "instances": [1]\n} not formatted correctly. 'signature_name' key must be a string value.`);
  assert.equal(msg('{"instances": [1]}', {}), 'Failed to get input map for signature: DEFAULT');
  assert.equal(msg('{"signature_name": "s", "instances": [1]}', {}), 'Failed to get input map for signature: s');
  assert.equal(msg('{"instances": [1], "inputs": [1]}', x), `JSON Value: {\n    "instances": [1],\n    "inputs": [1]\n} Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist `);
  assert.equal(msg('{"foo": 1}', x), "Missing 'inputs' or 'instances' key");
  assert.equal(msg('{"instances": 1}', x), `JSON Value: {\n    "instances": 1\n} Expecting 'instances' to be an list/array`);
  assert.equal(msg('{"instances": []}', x), `JSON Value: {\n    "instances": []\n} No values in 'instances' array`);
  const two = { a: spec('DT_FLOAT'), b: spec('DT_FLOAT') };
  assert.equal(msg('{"instances": [1]}', two), 'instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map');
  assert.equal(msg('{"instances": [{"a": 1, "b": 2}, [1]]}', two), 'Expecting object but got list at item 1 of input list');
  assert.equal(msg('{"instances": [1, {"x": 2}]}', x), 'Expecting value/list but got object at item 1 of input list');
  assert.equal(
    msg('{"instances": [{"a": 1, "c": 2}]}', two),
    "Failed to process element: 0 key: c of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: c",
  );
  assert.equal(
    msg('{"instances": [{"a": 1}]}', two),
    `Failed to process element: 0 of 'instances' list. JSON object: {\n    "a": 1\n} keys must be equal to: a,b`,
  );
  assert.equal(msg('{"instances": [[1], [2, 3]]}', x), "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting tensor size: 1 but got: 2");
  assert.equal(msg('{"instances": [[1, 2], [[3], [4]]]}', x), "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape [2] but got: [2,1]");
  assert.equal(msg('{"inputs": {"a": 1}}', two), "Missing named input: b in 'inputs' object.");
  assert.equal(msg('{"inputs": [1]}', two), 'inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map');
  assert.equal(msg('{"inputs": {"b64": "AA=="}}', two), 'inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map');
});

test('ragged lists and values at the wrong level', () => {
  const x = one('DT_FLOAT');
  assert.equal(msg('{"inputs": [[1, 2], [3]]}', x), 'Encountered list at unexpected size: 1 at level: 1 expected size: 2');
  assert.equal(msg('{"inputs": [[1], 2]}', x), 'JSON Value: 2 found at incorrect level: 2 in the JSON DOM. Expected at level: 2');
  assert.equal(msg('{"inputs": [1, [2]]}', x), 'Encountered list at unexpected level: 1 expected < 1');
  assert.equal(msg('{"inputs": [[], [1]]}', x), 'Encountered list at unexpected size: 1 at level: 1 expected size: 0');
});

test('dtype rules and type error texts', () => {
  const cases: [DTypeName, string, string][] = [
    ['DT_FLOAT', '"x"', 'JSON Value: "x" Type: String is not of expected type: float'],
    ['DT_INT32', '1.0', 'JSON Value: 1.0 Type: Number is not of expected type: int32'],
    ['DT_INT32', '2147483648', 'JSON Value: 2147483648 Type: Number is not of expected type: int32'],
    ['DT_UINT8', 'true', 'JSON Value: true Type: True is not of expected type: uint8'],
    ['DT_INT64', '9223372036854775808', 'JSON Value: 9223372036854775808 Type: Number is not of expected type: int64'],
    ['DT_UINT32', '-1', 'JSON Value: -1 Type: Number is not of expected type: uint32'],
    ['DT_UINT64', '-1', 'JSON Value: -1 Type: Number is not of expected type: uint64'],
    ['DT_BOOL', '1', 'JSON Value: 1 Type: Number is not of expected type: bool'],
    ['DT_STRING', '1', 'JSON Value: 1 Type: Number is not of expected type: string'],
    ['DT_STRING', 'null', 'JSON Value: null Type: Null is not of expected type: string'],
    ['DT_DOUBLE', '{"a": 1}', 'JSON Value: {\n    "a": 1\n} Type: Object is not of expected type: double'],
    ['DT_STRING', '{"a": 1}', 'JSON Value: {\n    "a": 1\n} not formatted correctly for base64 data'],
    ['DT_STRING', '{"b64": "a"}', 'Unable to base64 decode'],
    ['DT_STRING', '{"b64": "a-_b"}', 'Unable to base64 decode'],
  ];
  for (const [dtype, leaf, text] of cases) {
    const e = convertError(`{"inputs": [${leaf}]}`, one(dtype));
    assert.equal(e.message, text, `${dtype} ${leaf}`);
    assert.equal(e.code, Code.INVALID_ARGUMENT);
  }
  // Unsupported dtypes: UNIMPLEMENTED (501) in columnar form; wrapped as INVALID_ARGUMENT in row form.
  const half = convertError('{"inputs": [1.5]}', one('DT_HALF'));
  assert.equal(half.code, Code.UNIMPLEMENTED);
  assert.equal(half.message, 'Conversion of JSON Value: 1.5 to type: half');
  const rowHalf = convertError('{"instances": [1.5]}', one('DT_HALF'));
  assert.equal(rowHalf.code, Code.INVALID_ARGUMENT);
  assert.equal(rowHalf.message, "Failed to process element: 0 of 'instances' list. Error: UNIMPLEMENTED: Conversion of JSON Value: 1.5 to type: half");
  // The `{"instances": ["x","y"]}` example of the spec.
  assert.equal(
    msg('{"instances": ["x","y"]}', one('DT_FLOAT')),
    "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: \"x\" Type: String is not of expected type: float",
  );
});

test('debug strings are cut at 256 bytes', () => {
  const long = `{"signature_name": 5, "instances": [${Array.from({ length: 200 }, (_, i) => i).join(',')}]}`;
  const m = msg(long, one('DT_FLOAT'));
  const dbg = m.slice('JSON Value: '.length, m.indexOf(" not formatted correctly. 'signature_name'"));
  assert.equal(Buffer.byteLength(dbg), 256);
  assert.ok(dbg.startsWith('{\n    "signature_name": 5,\n    "instances": [0, 1, 2'));
  assert.equal(jsonDebugString(parseJson('[1.5, 2.0, "a\\"b", null, {"k": [true]}]')), '[1.5, 2.0, "a\\"b", null, {\n        "k": [true]\n    }]');
});

test('duplicate instance keys make the tensor unparsable, as in TF', () => {
  const e = convertError('{"instances": [{"x": 1, "x": 2}]}', one('DT_FLOAT'));
  assert.equal(e.message, 'tensor parsing error: x');
});

const f32 = (shape: number[], v: number[]): Tensor => ({ dtype: 'DT_FLOAT', shape, data: new Float32Array(v) });

test('predict responses: byte layout of row and columnar forms', () => {
  assert.equal(predictResponseJson({ y: f32([3], [3, 3.5, 4]) }, 'row'), '{\n    "predictions": [3.0, 3.5, 4.0\n    ]\n}');
  assert.equal(predictResponseJson({ y: f32([2, 2], [2.5, 3, 3.5, 4]) }, 'row'), '{\n    "predictions": [[2.5, 3.0], [3.5, 4.0]\n    ]\n}');
  assert.equal(predictResponseJson({ y: f32([0], []) }, 'row'), '{\n    "predictions": []\n}');
  assert.equal(
    predictResponseJson({ b: f32([2], [3, 4]), a: f32([2, 1], [1, 2]) }, 'row'),
    '{\n    "predictions": [\n        {\n            "a": [1.0],\n            "b": 3.0\n        },\n        {\n            "a": [2.0],\n            "b": 4.0\n        }\n    ]\n}',
  );
  assert.equal(predictResponseJson({ y: f32([3], [3, 3.5, 4]) }, 'columnar'), '{\n    "outputs": [\n        3.0,\n        3.5,\n        4.0\n    ]\n}');
  assert.equal(predictResponseJson({ y: f32([], [7]) }, 'columnar'), '{\n    "outputs": 7.0\n}');
  assert.equal(
    predictResponseJson({ a: f32([1], [1]), b: f32([], [2]) }, 'columnar'),
    '{\n    "outputs": {\n        "a": [\n            1.0\n        ],\n        "b": 2.0\n    }\n}',
  );
});

test('predict responses: value encodings per dtype and their errors', () => {
  const t = (dtype: DTypeName, data: Tensor['data'], shape = [data.length]): Tensor => ({ dtype, shape, data });
  const cols = (outputs: Record<string, Tensor>): unknown => JSON.parse(predictResponseJson(outputs, 'columnar').replace(/\bNaN\b/g, '"NaN"'));
  assert.deepEqual(cols({ i: t('DT_INT64', new BigInt64Array([2n ** 62n])) }), { outputs: [2 ** 62] });
  assert.ok(predictResponseJson({ i: t('DT_UINT64', new BigUint64Array([18446744073709551615n])) }, 'columnar').includes('18446744073709551615'));
  assert.deepEqual(cols({ b: t('DT_BOOL', new Uint8Array([1, 0])) }), { outputs: [true, false] });
  assert.deepEqual(cols({ s: t('DT_STRING', [utf8('hé'), utf8('"q"')]) }), { outputs: ['hé', '"q"'] });
  assert.deepEqual(cols({ s_bytes: t('DT_STRING', [new Uint8Array([0, 255])]) }), { outputs: [{ b64: 'AP8=' }] });
  assert.deepEqual(cols({ d: t('DT_DOUBLE', new Float64Array([0.1, NaN])) }), { outputs: [0.1, 'NaN'] });
  assert.deepEqual(cols({ u: t('DT_UINT8', new Uint8Array([255])) }), { outputs: [255] });
  assert.throws(() => predictResponseJson({ h: t('DT_HALF', new Uint16Array([0x3c00])) }, 'columnar'), { message: 'Failed to write JSON value for tensor type: half' });
  assert.throws(() => predictResponseJson({ y: f32([], [1]) }, 'row'), { message: 'Tensor name: y has no shape information ' });
  assert.throws(() => predictResponseJson({ a: f32([1], [1]), b: f32([2], [1, 2]) }, 'row'), { message: 'Tensor name: b has inconsistent batch size: 2 expecting: 1' });
  assert.throws(() => predictResponseJson({}, 'row'), { message: 'Cannot convert empty tensor map to JSON' });
});

test('classify/regress request JSON → tf.Example inputs', () => {
  const r = classifyRegressRequestFromJson(
    '{"signature_name": "c", "examples": [{"x": 2.0, "n": 2, "s": "hi", "b": {"b64": "AQ=="}, "t": [true, false], "e": []}]}',
  );
  assert.equal(r.signatureName, 'c');
  const ex = (r.input as { example_list: { examples: Record<string, any>[] } }).example_list.examples[0]!;
  const feat = ex['features'].feature;
  assert.deepEqual(feat.x, { float_list: { value: [2] } });
  assert.deepEqual(feat.n, { int64_list: { value: [2] } });
  assert.deepEqual(Buffer.from(feat.s.bytes_list.value[0]).toString(), 'hi');
  assert.deepEqual([...feat.b.bytes_list.value[0]], [1]);
  assert.deepEqual(feat.t, { int64_list: { value: [1, 0] } });
  assert.deepEqual(feat.e, {});
  const ctx = classifyRegressRequestFromJson('{"context": {"c": 1.5}, "examples": [{}]}');
  assert.ok('example_list_with_context' in ctx.input);
  const err = (body: string): string => {
    try {
      classifyRegressRequestFromJson(body);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.equal(err('{"x": 1}'), `JSON Value: {\n    "x": 1\n} When method is classify, key 'examples' is expected and was not found`);
  assert.equal(err('{"examples": 1}'), `JSON Value: {\n    "examples": 1\n} Expecting 'examples' value to be an list/array`);
  assert.equal(err('{"examples": []}'), `JSON Value: {\n    "examples": []\n} 'examples' value is an empty array`);
  assert.equal(err('{"examples": [1]}'), 'Example must be JSON object but got JSON Number');
  assert.equal(err('{"context": [], "examples": [{}]}'), 'Example must be JSON object but got JSON Array');
  assert.equal(err('{"examples": [{"x": 9223372036854775808}]}'), 'Feature: x has uint64_t element. Only int64_t is supported.');
  assert.equal(err('{"examples": [{"x": null}]}'), 'Feature: x has element with unexpected JSON type: Null');
  assert.equal(err('{"examples": [{"x": [[1]]}]}'), 'Feature: x has element with unexpected JSON type: Array');
  assert.equal(err('{"examples": [{"x": {"a": 1}}]}'), 'Feature: x has element with unexpected JSON type: Object');
  assert.equal(err('{"examples": [{"x": [1, 2.5]}]}'), 'Unexpected element type in feature: x expecting type: int64');
  assert.equal(err('{"examples": [{"x": [2.5, "a"]}]}'), 'Unexpected element type in feature: x expecting type: float');
});

test('classify/regress/error response layouts', () => {
  assert.equal(classifyResponseJson({ classifications: [{ classes: [{ label: '', score: 3 }] }] }), '{\n    "results": [[["", 3.0]]\n    ]\n}');
  assert.equal(
    classifyResponseJson({ classifications: [{ classes: [{ label: 'a', score: 0.25 }, { label: 'b', score: 0.75 }] }, { classes: [] }] }),
    '{\n    "results": [[["a", 0.25], ["b", 0.75]], []\n    ]\n}',
  );
  assert.equal(regressResponseJson({ regressions: [{ value: 3 }, { value: 4 }] }), '{\n    "results": [3.0, 4.0]\n}');
  assert.throws(() => regressResponseJson({ regressions: [] }), { message: 'Cannot convert empty RegressionResults to JSON' });
  assert.throws(() => classifyResponseJson({ classifications: [] }), { message: 'Cannot convert empty ClassificationResults to JSON' });
  assert.equal(errorJson('bad "x"\n\u0001/é'), '{\n    "error": "bad \\"x\\"\\n\\u0001/é"\n}');
});
