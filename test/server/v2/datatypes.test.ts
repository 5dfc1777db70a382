/**
 * Every V2 datatype both ways through the one dtype table: JSON data → Tensor → raw bytes →
 * Tensor → JSON data, and raw bytes as the spec lays them out (little-endian, BYTES
 * length-prefixed), checked against bytes built here independently with Buffer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJson } from '../../../src/tensor/json-parser.js';
import { dtypeOfV2, tensorFromV2Json, tensorFromV2Raw, tensorToV2JsonData, tensorToV2Raw, v2DatatypeOf } from '../../../src/server/v2/datatypes.js';
import { parseV2InferBody, encodeV2InferResponse } from '../../../src/server/v2/rest-codec.js';
import { TfsError } from '../../../src/errors.js';

const CASES: Array<[string, string, string, (b: Buffer) => Buffer]> = [
  ['BOOL', 'DT_BOOL', '[true,false,true,true]', () => Buffer.from([1, 0, 1, 1])],
  ['UINT8', 'DT_UINT8', '[0,1,254,255]', () => Buffer.from([0, 1, 254, 255])],
  ['INT8', 'DT_INT8', '[-128,-1,0,127]', (b) => (b.writeInt8(-128, 0), b.writeInt8(-1, 1), b.writeInt8(0, 2), b.writeInt8(127, 3), b.subarray(0, 4))],
  ['UINT16', 'DT_UINT16', '[0,1,65534,65535]', (b) => ([0, 1, 65534, 65535].forEach((v, i) => b.writeUInt16LE(v, 2 * i)), b.subarray(0, 8))],
  ['INT16', 'DT_INT16', '[-32768,-1,0,32767]', (b) => ([-32768, -1, 0, 32767].forEach((v, i) => b.writeInt16LE(v, 2 * i)), b.subarray(0, 8))],
  ['UINT32', 'DT_UINT32', '[0,1,4294967294,4294967295]', (b) => ([0, 1, 4294967294, 4294967295].forEach((v, i) => b.writeUInt32LE(v, 4 * i)), b.subarray(0, 16))],
  ['INT32', 'DT_INT32', '[-2147483648,-1,0,2147483647]', (b) => ([-2147483648, -1, 0, 2147483647].forEach((v, i) => b.writeInt32LE(v, 4 * i)), b.subarray(0, 16))],
  ['UINT64', 'DT_UINT64', '[0,1,9007199254740993,18446744073709551615]', (b) => ([0n, 1n, 9007199254740993n, 18446744073709551615n].forEach((v, i) => b.writeBigUInt64LE(v, 8 * i)), b.subarray(0, 32))],
  ['INT64', 'DT_INT64', '[-9223372036854775808,-1,9007199254740993,9223372036854775807]', (b) => ([-9223372036854775808n, -1n, 9007199254740993n, 9223372036854775807n].forEach((v, i) => b.writeBigInt64LE(v, 8 * i)), b.subarray(0, 32))],
  ['FP16', 'DT_HALF', '[0,1,-2,0.5]', (b) => ([0x0000, 0x3c00, 0xc000, 0x3800].forEach((v, i) => b.writeUInt16LE(v, 2 * i)), b.subarray(0, 8))],
  ['BF16', 'DT_BFLOAT16', '[0,1,-2,0.5]', (b) => ([0x0000, 0x3f80, 0xc000, 0x3f00].forEach((v, i) => b.writeUInt16LE(v, 2 * i)), b.subarray(0, 8))],
  ['FP32', 'DT_FLOAT', '[0,1.5,-2.25,3]', (b) => ([0, 1.5, -2.25, 3].forEach((v, i) => b.writeFloatLE(v, 4 * i)), b.subarray(0, 16))],
  ['FP64', 'DT_DOUBLE', '[0,0.1,-2.25,1e+300]', (b) => ([0, 0.1, -2.25, 1e300].forEach((v, i) => b.writeDoubleLE(v, 8 * i)), b.subarray(0, 32))],
];

test('every V2 datatype: JSON → tensor → raw → tensor → JSON, and raw bytes as the spec lays them out', () => {
  for (const [v2, tf, json, bytes] of CASES) {
    assert.equal(dtypeOfV2(v2), tf);
    assert.equal(v2DatatypeOf(tf as never), v2);
    const t = tensorFromV2Json('t', v2, [2, 2], parseJson(json));
    assert.equal(t.dtype, tf);
    const raw = tensorToV2Raw(t);
    assert.deepEqual(Buffer.from(raw), bytes(Buffer.alloc(64)), v2);
    const back = tensorFromV2Raw('t', v2, [2, 2], raw);
    assert.deepEqual(back, t, v2);
    assert.equal(tensorToV2JsonData(back), json, v2);
  }
});

test('BYTES: length-prefixed raw elements, UTF-8 JSON strings', () => {
  const t = tensorFromV2Json('s', 'BYTES', [3], parseJson('["a","", "héllo"]'));
  const raw = Buffer.from(tensorToV2Raw(t));
  const expect = Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from('a'), Buffer.from([0, 0, 0, 0]), Buffer.from([6, 0, 0, 0]), Buffer.from('héllo')]);
  assert.deepEqual(raw, expect);
  const back = tensorFromV2Raw('s', 'BYTES', [3], raw);
  assert.deepEqual((back.data as Uint8Array[]).map((b) => [...b]), (t.data as Uint8Array[]).map((b) => [...b]));
  assert.equal(tensorToV2JsonData(t), '["a","","héllo"]');
  const bad = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: unknown) => e instanceof TfsError && e.code === 3 && re.test(e.message));
  bad(() => tensorFromV2Raw('s', 'BYTES', [3], raw.subarray(0, raw.length - 1)), /runs past the end/);
  bad(() => tensorFromV2Raw('s', 'BYTES', [2], raw), /unexpected total byte size/);
  bad(() => tensorFromV2Raw('s', 'BYTES', [4], raw), /ends inside element 3/);
});

test('JSON values out of range or of the wrong type are INVALID_ARGUMENT', () => {
  const bad = (dt: string, json: string): void =>
    assert.throws(() => tensorFromV2Json('v', dt, [1], parseJson(json)), (e: unknown) => e instanceof TfsError && e.code === 3, `${dt} ${json}`);
  bad('UINT8', '[256]');
  bad('INT8', '[-129]');
  bad('INT32', '[1.5]');
  bad('UINT64', '[-1]');
  bad('INT64', '[9223372036854775808]');
  bad('BOOL', '[1]');
  bad('FP32', '["x"]');
  bad('BYTES', '[1]');
  assert.throws(() => tensorFromV2Json('v', 'FP32', [-1], parseJson('[1]')), /not a non-negative integer/);
  assert.deepEqual(tensorFromV2Json('v', 'INT32', [2, 2], parseJson('[[1,2],[3,4]]')).data, new Int32Array([1, 2, 3, 4]));
});

test('binary extension body: header split, sizes in input order, binary outputs after the JSON header', () => {
  const head = Buffer.from(JSON.stringify({
    id: 'r',
    inputs: [
      { name: 'a', datatype: 'INT32', shape: [2], parameters: { binary_data_size: 8 } },
      { name: 'b', datatype: 'FP32', shape: [1], data: [0.5] },
      { name: 'c', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 6 } },
    ],
    outputs: [{ name: 'y', parameters: { binary_data: true } }, { name: 'z' }],
  }));
  const body = Buffer.concat([head, Buffer.from([1, 0, 0, 0, 2, 0, 0, 0]), Buffer.from([2, 0, 0, 0, 0x68, 0x69])]);
  const p = parseV2InferBody(body, String(head.length), 'm', undefined);
  assert.equal(p.request.id, 'r');
  const plain = (d: unknown): unknown => (Array.isArray(d) ? d.map((b: Uint8Array) => [...b]) : d);
  assert.deepEqual(p.request.inputs.map((i) => [i.name, plain(i.tensor.data)]), [
    ['a', new Int32Array([1, 2])],
    ['b', new Float32Array([0.5])],
    ['c', [[0x68, 0x69]]],
  ]);
  assert.deepEqual(p.request.outputs, [{ name: 'y', binary: true }, { name: 'z', binary: false }]);
  const enc = encodeV2InferResponse(
    {
      model: 'm',
      version: '1',
      id: 'r',
      outputs: [
        { name: 'y', datatype: 'INT32', binary: true, tensor: { dtype: 'DT_INT32', shape: [2], data: new Int32Array([7, 8]) } },
        { name: 'z', datatype: 'FP32', binary: false, tensor: { dtype: 'DT_FLOAT', shape: [1], data: new Float32Array([1.5]) } },
      ],
    },
    false,
  );
  const json = JSON.parse(enc.body.subarray(0, enc.headerLength).toString());
  assert.deepEqual(json, {
    model_name: 'm',
    model_version: '1',
    id: 'r',
    outputs: [
      { name: 'y', datatype: 'INT32', shape: [2], parameters: { binary_data_size: 8 } },
      { name: 'z', datatype: 'FP32', shape: [1], data: [1.5] },
    ],
  });
  assert.deepEqual([...enc.body.subarray(enc.headerLength!)], [7, 0, 0, 0, 8, 0, 0, 0]);
  for (const h of ['-1', 'abc', String(body.length + 1), '1e3']) {
    assert.throws(() => parseV2InferBody(body, h, 'm', undefined), /Inference-Header-Content-Length/, h);
  }
});
