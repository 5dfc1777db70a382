/**
 * DecodeCompressed (src/runtime/kernels/decode-compressed.ts) against TensorFlow 2.21.
 * Oracle: /work/venv-tf/bin/python, TF 2.21.0 CPU,
 *   tf.io.decode_compressed(tf.constant([...]), compression_type=t)
 * on the payloads below (Python's zlib.compress / gzip.compress(mtime=0) give the same bytes as
 * node's deflateSync / gzipSync at the default level); results and texts copied from its output.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Code, TfsError } from '../../../src/errors.js';
import { DECODE_COMPRESSED_KERNELS } from '../../../src/runtime/kernels/decode-compressed.js';
import { run as runIn, s, texts } from './helpers.js';

const input = (items: Buffer[], shape = [items.length]): tf.Tensor => tf.tensor(items.map((b) => new Uint8Array(b)), shape, 'string');
const decode = (items: Buffer[], type: string, shape?: number[]): tf.Tensor =>
  runIn(DECODE_COMPRESSED_KERNELS, 'DecodeCompressed', [input(items, shape)], { compression_type: s(type) })[0]!;
const lengths = (t: tf.Tensor): number[] => (tf.engine().readSync(t.dataId) as Uint8Array[]).map((b) => b.length);
const B = (x: string | number[]): Buffer => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from(x));

function refuses(fn: () => unknown, code: number, text: string | RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof TfsError && e.code === code && (typeof text === 'string' ? e.message === text : text.test(e.message)));
}

const A = Buffer.from(Array.from({ length: 10240 }, (_, i) => i % 256));
const Z = zlib.deflateSync(A);
const G = zlib.gzipSync(A);

test('DecodeCompressed: ZLIB, GZIP and none, any shape, as TF', () => {
  const hello = 'hello world '.repeat(5);
  const z = decode([zlib.deflateSync(B(hello)), zlib.deflateSync(B('')), B('')], 'ZLIB');
  assert.deepEqual(texts(z), [hello, '', '']);
  const g = decode([zlib.gzipSync(B(hello)), zlib.gzipSync(B(''))], 'GZIP', [2, 1]);
  assert.deepEqual(g.shape, [2, 1]);
  assert.deepEqual(texts(g), [hello, '']);
  assert.deepEqual(texts(decode([B('abc'), B('')], '')), ['abc', '']);
  assert.deepEqual(texts(decode([zlib.deflateSync(B('xy'))], 'ZLIB', [])), ['xy']);
  assert.equal(Buffer.compare(Buffer.from((tf.engine().readSync(decode([Z], 'ZLIB').dataId) as Uint8Array[])[0]!), A), 0);
});

test('DecodeCompressed: truncated streams give the decodable prefix, as TF', () => {
  // TF: ZLIB cut by 1, 4, 5, 8, 9, 12, 186, 362 bytes -> 10240, 10240, 10240, 10061, 9803, 9545, 179, 7 bytes
  const zcuts = [1, 4, 5, 8, 9, 12, 186, 362].map((c) => Z.subarray(0, Z.length - c));
  assert.equal(Z.length, 372);
  assert.deepEqual(lengths(decode(zcuts, 'ZLIB')), [10240, 10240, 10240, 10061, 9803, 9545, 179, 7]);
  // TF: GZIP cut by 1, 8, 9, 12, 192, 374 -> 10240, 10240, 10240, 10061, 177, 0
  const gcuts = [1, 8, 9, 12, 192, 374].map((c) => G.subarray(0, G.length - c));
  assert.deepEqual(lengths(decode(gcuts, 'GZIP')), [10240, 10240, 10240, 10061, 177, 0]);
  assert.deepEqual(texts(decode([zlib.deflateSync(B('ab')).subarray(0, 2), B([0x78])], 'ZLIB')), ['', '']);
});

test('DecodeCompressed: streams and members after the first, as TF', () => {
  const ab = zlib.gzipSync(B('ab'));
  assert.deepEqual(texts(decode([Buffer.concat([ab, zlib.gzipSync(B('cd'))])], 'GZIP')), ['abcd']);
  assert.deepEqual(texts(decode([Buffer.concat([zlib.deflateSync(B('ab')), zlib.deflateSync(B('cd'))])], 'ZLIB')), ['ab']);
  assert.deepEqual(texts(decode([Buffer.concat([zlib.deflateSync(B('ab')), B('xyz')])], 'ZLIB')), ['ab']);
  const tails = [[0x1f], [0x1f, 0x8b], [0]].map((t) => Buffer.concat([ab, B(t)]));
  assert.deepEqual(texts(decode(tails, 'GZIP')), ['ab', 'ab', 'ab']);
  assert.deepEqual(texts(decode([Buffer.concat([ab, zlib.gzipSync(B('cdef')).subarray(0, -10)])], 'GZIP')), ['abcde']);
});

test('DecodeCompressed fails as TF on corrupt data and unknown types', () => {
  const loss = (items: Buffer[], type: string, text: string): void => refuses(() => decode(items, type), Code.DATA_LOSS, text);
  loss([B('not zlib data')], 'ZLIB', 'inflate() failed with error -3: incorrect header check');
  loss([B('not gzip data')], 'GZIP', 'inflate() failed with error -3: incorrect header check');
  loss([zlib.gzipSync(B('ab'))], 'ZLIB', 'inflate() failed with error -3: incorrect header check');
  loss([zlib.deflateSync(B('ab'))], 'GZIP', 'inflate() failed with error -3: incorrect header check');
  loss([Buffer.concat([zlib.gzipSync(B('ab')), B('xyz')])], 'GZIP', 'inflate() failed with error -3: incorrect header check');
  loss([Buffer.concat([zlib.gzipSync(B('ab')), B([0x1f, 0])])], 'GZIP', 'inflate() failed with error -3: incorrect header check');
  loss([Buffer.concat([zlib.gzipSync(B('ab')).subarray(0, -8), B([0, 0, 0, 0, 2, 0, 0, 0])])], 'GZIP', 'inflate() failed with error -3: incorrect data check');
  loss([zlib.deflateSync(B('abcabc'), { dictionary: B('abcdef') })], 'ZLIB', 'inflate() failed with error 2');
  refuses(() => decode([B('ab')], 'NONE'), Code.INVALID_ARGUMENT, 'Only ZLIB, ZSTD, GZIP or NONE are supported compressions');
  refuses(() => decode([B('ab')], 'zlib'), Code.INVALID_ARGUMENT, 'Only ZLIB, ZSTD, GZIP or NONE are supported compressions');
  refuses(() => decode([B('ab')], 'ZSTD'), Code.UNIMPLEMENTED, /DecodeCompressed: tfs cannot compute ZSTD/);
});
