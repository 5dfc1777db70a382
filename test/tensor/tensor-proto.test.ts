import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, TfsError } from '../../src/errors.js';
import { lookupType, toObjectOptions } from '../../src/proto/root.js';
import { DTYPES } from '../../src/tensor/dtypes.js';
import { type Tensor, floatToBfloat16, floatToHalf } from '../../src/tensor/tensor.js';
import {
  decodeTensorProto,
  encodeTensorProto,
  requestTensorFromProto,
  tensorToProto,
  type TensorProtoLike,
} from '../../src/tensor/tensor-proto.js';
import { makeTensorProto, type Val } from '../server/grpc/client.js';

const TP = lookupType('tensorflow.TensorProto');

/** Values for every value dtype (64-bit ints as strings, complex as flat pairs, strings as Buffers). */
const SAMPLES: Record<string, Val[]> = {
  DT_FLOAT: [1.5, -2, 3.25],
  DT_DOUBLE: [1.1, -2.2, 1e300],
  DT_INT32: [1, -2, 2147483647],
  DT_UINT8: [0, 255, 7],
  DT_INT16: [-32768, 32767, 5],
  DT_INT8: [-128, 127, 0],
  DT_STRING: [Buffer.from('a'), Buffer.from(''), Buffer.from([0xff, 0x00, 0x80])],
  DT_COMPLEX64: [1, 2, -3, 4.5, 0, -1],
  DT_INT64: ['9007199254740993', '-9223372036854775808', '5'],
  DT_BOOL: [true, false, true],
  DT_BFLOAT16: [floatToBfloat16(1), floatToBfloat16(-2), 0x7f80],
  DT_UINT16: [0, 65535, 1234],
  DT_COMPLEX128: [1.25, -2, 1e-300, 4, 0, 7],
  DT_HALF: [floatToHalf(1), floatToHalf(-2), 0x7c00],
  DT_UINT32: [0, 4294967295, 7],
  DT_UINT64: ['18446744073709551615', '0', '9007199254740993'],
};

/** A decoded tensor's values in the SAMPLES form. */
function valuesOf(t: Tensor): Val[] {
  const d = t.data;
  if (Array.isArray(d)) return d.map((b) => Buffer.from(b));
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Array.from(d, (v) => v.toString());
  if (t.dtype === 'DT_BOOL') return Array.from(d as Uint8Array, (v) => v !== 0);
  return Array.from(d as Float64Array);
}

function expected(dtype: string, vals: Val[]): Val[] {
  if (dtype === 'DT_FLOAT' || dtype === 'DT_COMPLEX64') return vals.map((v) => Math.fround(v as number));
  return vals;
}

/** Wire bytes → decoded message, as the gRPC server sees a request tensor. */
function wire(obj: Record<string, unknown>): TensorProtoLike {
  return TP.decode(TP.encode(TP.fromObject(obj)).finish()) as unknown as TensorProtoLike;
}

const valueDtypes = DTYPES.filter((d) => d.storage !== 'none');

test('every value dtype decodes from tensor_content and from its typed field', () => {
  for (const d of valueDtypes) {
    const vals = SAMPLES[d.name]!;
    const n = d.storage === 'complex64' || d.storage === 'complex128' ? vals.length / 2 : vals.length;
    for (const typed of [false, true]) {
      const t = requestTensorFromProto(wire(makeTensorProto(d.name, [n], vals, typed)), 'x');
      assert.equal(t.dtype, d.name);
      assert.deepEqual(t.shape, [n]);
      assert.deepEqual(valuesOf(t), expected(d.name, vals), `${d.name} typed=${typed}`);
    }
  }
});

test('every value dtype encodes as AsProtoField and AsProtoTensorContent, and decodes back', () => {
  for (const d of valueDtypes) {
    const vals = SAMPLES[d.name]!;
    const n = d.storage === 'complex64' || d.storage === 'complex128' ? vals.length / 2 : vals.length;
    const t = requestTensorFromProto(wire(makeTensorProto(d.name, [1, n], vals)), 'x');
    for (const asTensorContent of [false, true]) {
      const bytes = encodeTensorProto(t, { asTensorContent });
      const msg = TP.decode(bytes) as unknown as Record<string, unknown> & TensorProtoLike;
      const content = msg.tensor_content as Uint8Array;
      if (asTensorContent) {
        assert.ok(content.length > 0, `${d.name}: tensor_content`);
        assert.equal((msg[d.protoField!] as unknown[]).length, 0);
      } else {
        assert.equal(content.length, 0, `${d.name}: no tensor_content`);
        assert.equal((msg[d.protoField!] as unknown[]).length, vals.length, `${d.name}: ${d.protoField}`);
      }
      const back = requestTensorFromProto(msg, 'y');
      assert.deepEqual(back.shape, [1, n]);
      assert.deepEqual(valuesOf(back), expected(d.name, vals), `${d.name} asTensorContent=${asTensorContent}`);
      // The fast encoder writes exactly what protobufjs writes for the same plain object.
      const plain = tensorToProto(t, { asTensorContent });
      assert.deepEqual(Buffer.from(TP.encode(TP.fromObject(plain)).finish()), Buffer.from(bytes), `${d.name} bytes`);
    }
  }
});

test('typed fields broadcast as TF does: fewer values repeat the last, none gives zeros, extras are ignored', () => {
  const f = requestTensorFromProto(wire({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }, { size: 2 }] }, float_val: [7] }), 'x');
  assert.deepEqual(Array.from(f.data as Float32Array), [7, 7, 7, 7]);
  const g = requestTensorFromProto(wire({ dtype: 'DT_INT32', tensor_shape: { dim: [{ size: 4 }] }, int_val: [1, 2] }), 'x');
  assert.deepEqual(Array.from(g.data as Int32Array), [1, 2, 2, 2]);
  const z = requestTensorFromProto(wire({ dtype: 'DT_DOUBLE', tensor_shape: { dim: [{ size: 3 }] } }), 'x');
  assert.deepEqual(Array.from(z.data as Float64Array), [0, 0, 0]);
  const e = requestTensorFromProto(wire({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }] }, float_val: [1, 2, 3, 4] }), 'x');
  assert.deepEqual(Array.from(e.data as Float32Array), [1, 2]);
  const s = requestTensorFromProto(wire({ dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 3 }] }, string_val: [Buffer.from('a'), Buffer.from('b')] }), 'x');
  assert.deepEqual((s.data as Uint8Array[]).map((b) => Buffer.from(b).toString()), ['a', 'b', 'b']);
  const es = requestTensorFromProto(wire({ dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 2 }] } }), 'x');
  assert.deepEqual((es.data as Uint8Array[]).map((b) => b.length), [0, 0]);
  // Complex values repeat the last (re, im) pair.
  const c = requestTensorFromProto(wire({ dtype: 'DT_COMPLEX64', tensor_shape: { dim: [{ size: 3 }] }, scomplex_val: [1, 2, 3, 4] }), 'x');
  assert.deepEqual(Array.from(c.data as Float32Array), [1, 2, 3, 4, 3, 4]);
  const l = requestTensorFromProto(wire({ dtype: 'DT_INT64', tensor_shape: { dim: [{ size: 3 }] }, int64_val: ['-9007199254740993'] }), 'x');
  assert.deepEqual(Array.from(l.data as BigInt64Array), [-9007199254740993n, -9007199254740993n, -9007199254740993n]);
  const b = requestTensorFromProto(wire({ dtype: 'DT_BOOL', tensor_shape: { dim: [{ size: 3 }] }, bool_val: [false, true] }), 'x');
  assert.deepEqual(Array.from(b.data as Uint8Array), [0, 1, 1]);
  const h = requestTensorFromProto(wire({ dtype: 'DT_HALF', tensor_shape: { dim: [{ size: 2 }] }, half_val: [0x3c00] }), 'x');
  assert.deepEqual(Array.from(h.data as Uint16Array), [0x3c00, 0x3c00]);
  // A typed field of another dtype is not read (the dtype's own field is empty: zeros).
  const o = requestTensorFromProto(wire({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }] }, int_val: [5, 6] }), 'x');
  assert.deepEqual(Array.from(o.data as Float32Array), [0, 0]);
});

test('scalars, empty tensors and narrowing of int_val', () => {
  const s = requestTensorFromProto(wire({ dtype: 'DT_FLOAT', tensor_shape: {}, float_val: [2.5] }), 'x');
  assert.deepEqual(s.shape, []);
  assert.deepEqual(Array.from(s.data as Float32Array), [2.5]);
  const noShape = requestTensorFromProto(wire({ dtype: 'DT_INT32', int_val: [4] }), 'x');
  assert.deepEqual(noShape.shape, []);
  assert.deepEqual(Array.from(noShape.data as Int32Array), [4]);
  // An empty tensor ignores its values, even a tensor_content of the wrong length (TF skips the check).
  const empty = requestTensorFromProto(wire({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 0 }, { size: 3 }] }, tensor_content: Buffer.from([1, 2, 3]) }), 'x');
  assert.deepEqual(empty.shape, [0, 3]);
  assert.equal(empty.data.length, 0);
  const u8 = requestTensorFromProto(wire({ dtype: 'DT_UINT8', tensor_shape: { dim: [{ size: 2 }] }, int_val: [-1, 256] }), 'x');
  assert.deepEqual(Array.from(u8.data as Uint8Array), [255, 0]);
  // The encoder writes a scalar with an empty (present) shape and dims without sizes for zero.
  const bytes = encodeTensorProto({ dtype: 'DT_FLOAT', shape: [], data: new Float32Array([1]) });
  assert.deepEqual(Buffer.from(bytes).toString('hex'), '0801' + '1200' + '2a04' + '0000803f');
});

test('plain-object (toObject) form decodes too: enum names, int64 strings, base64 bytes', () => {
  const msg = wire({ dtype: 'DT_INT64', tensor_shape: { dim: [{ size: 2 }] }, int64_val: ['12345678901234567', '-1'] });
  const plain = TP.toObject(msg as never, toObjectOptions) as TensorProtoLike;
  assert.equal(plain.dtype, 'DT_INT64');
  assert.deepEqual(Array.from(requestTensorFromProto(plain, 'x').data as BigInt64Array), [12345678901234567n, -1n]);
  const b64 = requestTensorFromProto(
    { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '1' }] }, tensor_content: Buffer.from(new Float32Array([4]).buffer).toString('base64') },
    'x',
  );
  assert.deepEqual(Array.from(b64.data as Float32Array), [4]);
  const big = requestTensorFromProto({ dtype: 9, tensor_shape: { dim: [{ size: 1n }] }, int64_val: [2n ** 62n] }, 'x');
  assert.deepEqual(Array.from(big.data as BigInt64Array), [2n ** 62n]);
});

test('decoded tensors own their memory (no aliasing of the request bytes)', () => {
  const content = Buffer.from(new Float32Array([1, 2]).buffer);
  const t = requestTensorFromProto({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }] }, tensor_content: content }, 'x');
  content.fill(0);
  assert.deepEqual(Array.from(t.data as Float32Array), [1, 2]);
  // Strings too, from string_val and from a string-list tensor_content (both Buffers when decoded).
  const sv = Buffer.from('abc');
  const st = requestTensorFromProto({ dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 2 }] }, string_val: [sv] }, 'x');
  const list = Buffer.from([3, 0x61, 0x62, 0x63]);
  const lt = requestTensorFromProto({ dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 1 }] }, tensor_content: list }, 'x');
  sv.fill(0x7a);
  list.fill(0x7a);
  assert.deepEqual((st.data as Uint8Array[]).map((b) => Buffer.from(b).toString()), ['abc', 'abc']);
  assert.equal(Buffer.from((lt.data as Uint8Array[])[0]!).toString(), 'abc');
  (st.data as Uint8Array[])[0]![0] = 0x41;
  assert.equal(Buffer.from((st.data as Uint8Array[])[1]!).toString(), 'abc', 'repeated values are separate copies');
  // Odd offsets (unaligned for a Float32Array view) decode too.
  const odd = Buffer.concat([Buffer.from([9]), Buffer.from(new Float32Array([3]).buffer)]).subarray(1);
  assert.deepEqual(Array.from(requestTensorFromProto({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 1 }] }, tensor_content: odd }, 'x').data as Float32Array), [3]);
});

function parseError(p: TensorProtoLike, alias = 'x'): TfsError {
  try {
    requestTensorFromProto(p, alias);
  } catch (e) {
    assert.ok(e instanceof TfsError);
    return e;
  }
  assert.fail('expected a parsing error');
}

test('undecodable protos give INVALID_ARGUMENT "tensor parsing error: <alias>"', () => {
  const cases: [string, TensorProtoLike][] = [
    ['no dtype', { tensor_shape: { dim: [{ size: 1 }] }, float_val: [1] }],
    ['DT_INVALID', { dtype: 0, float_val: [1] }],
    ['float8 (not held by tfs)', { dtype: 24, tensor_shape: { dim: [{ size: 1 }] } }],
    ['reference dtype', { dtype: 101, float_val: [1] }],
    ['resource', { dtype: 'DT_RESOURCE' }],
    ['quantized', { dtype: 'DT_QINT8', int_val: [1] }],
    ['negative dim', wire({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: -1 }] }, float_val: [1] })],
    ['unknown rank', { dtype: 'DT_FLOAT', tensor_shape: { unknown_rank: true }, float_val: [1] }],
    ['content too short', { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }] }, tensor_content: new Uint8Array(4) }],
    ['content too long', { dtype: 'DT_INT64', tensor_shape: { dim: [{ size: 1 }] }, tensor_content: new Uint8Array(9) }],
    ['bad string list', { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 2 }] }, tensor_content: new Uint8Array([1, 1, 65]) }],
    ['too large', { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 1 << 20 }, { size: 1 << 20 }] }, float_val: [1] }],
    ['too many dims', { dtype: 'DT_FLOAT', tensor_shape: { dim: Array.from({ length: 255 }, () => ({ size: 1 })) } }],
  ];
  for (const [what, p] of cases) {
    const e = parseError(p, 'my_input');
    assert.equal(e.code, Code.INVALID_ARGUMENT, what);
    assert.equal(e.message, 'tensor parsing error: my_input', what);
  }
  // decodeTensorProto says why (for logs and tools).
  assert.throws(() => decodeTensorProto({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }] }, tensor_content: new Uint8Array(3) }), /3 bytes, expected 8/);
});

test('a string tensor_content uses TF string-list layout both ways', () => {
  const t: Tensor = { dtype: 'DT_STRING', shape: [2], data: [Buffer.from('hi'), Buffer.alloc(200, 0x61)] };
  const bytes = encodeTensorProto(t, { asTensorContent: true });
  const msg = TP.decode(bytes) as unknown as TensorProtoLike;
  const content = Buffer.from(msg.tensor_content as Uint8Array);
  // varint(2), varint(200) = c8 01, then the bytes.
  assert.equal(content.subarray(0, 3).toString('hex'), '02c801');
  assert.equal(content.length, 3 + 2 + 200);
  const back = requestTensorFromProto(msg, 'x');
  assert.deepEqual((back.data as Uint8Array[]).map((b) => b.length), [2, 200]);
});
