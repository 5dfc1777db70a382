import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, crc32cExtend, maskCrc, unmaskCrc } from '../../src/savedmodel/crc32c.js';
import { SnappyError, snappyUncompress, snappyUncompressedLength } from '../../src/savedmodel/snappy.js';
import { snappyCompress } from './helpers/bundle-writer.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

test('crc32c matches the standard check values (RFC 3720 B.4)', () => {
  assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test('crc32c extends across chunks of any alignment', () => {
  const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
  const whole = crc32c(data);
  for (const cut of [0, 1, 3, 7, 8, 9, 500, 999, 1000]) {
    assert.equal(crc32cExtend(crc32cExtend(0, data.subarray(0, cut)), data.subarray(cut)), whole, `cut at ${cut}`);
  }
});

test('masking is what LevelDB/TF store and round-trips', () => {
  // mask(0) = rotr(0,15) + 0xa282ead8
  assert.equal(maskCrc(0), 0xa282ead8);
  for (const c of [0, 1, 0xe3069283, 0xffffffff, 0x80000000]) assert.equal(unmaskCrc(maskCrc(c)), c);
  assert.notEqual(maskCrc(0xe3069283), 0xe3069283);
});

test('snappy: a literal-only block', () => {
  const block = Uint8Array.of(5, (5 - 1) << 2, ...ascii('hello'));
  assert.equal(snappyUncompressedLength(block), 5);
  assert.equal(text(snappyUncompress(block)), 'hello');
});

test('snappy: 1-byte-offset copy that overlaps its own output repeats the pattern', () => {
  // "ab" then copy len 8 offset 2 -> "ababababab"
  const tag = 1 | ((8 - 4) << 2) | ((2 >> 8) << 5);
  const block = Uint8Array.of(10, 1 << 2, ...ascii('ab'), tag, 2);
  assert.equal(text(snappyUncompress(block)), 'ababababab');
  // offset 1: run-length of a single byte
  const rle = Uint8Array.of(12, 0 << 2, ...ascii('z'), 1 | ((11 - 4) << 2), 1);
  assert.equal(text(snappyUncompress(rle)), 'zzzzzzzzzzzz');
});

test('snappy: 2-byte and 4-byte offset copies, non-overlapping and overlapping', () => {
  // "abcdef" + copy2(len 6, off 6) + copy4(len 5, off 3)
  const block = Uint8Array.of(17, 5 << 2, ...ascii('abcdef'), 2 | (5 << 2), 6, 0, 3 | (4 << 2), 3, 0, 0, 0);
  assert.equal(text(snappyUncompress(block)), 'abcdefabcdefdefde');
  // an 11-bit offset with its high bits in the tag: 300 bytes, then copy 4 bytes from 260 back
  const lit = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  const off = 260;
  const long = Uint8Array.of(...[0xb0, 0x02] /* 304 */, 61 << 2, (300 - 1) & 0xff, (300 - 1) >> 8, ...lit, 1 | (0 << 2) | ((off >> 8) << 5), off & 0xff);
  const out = snappyUncompress(long);
  assert.equal(out.length, 304);
  assert.deepEqual([...out.subarray(300)], [...lit.subarray(40, 44)]);
});

test('snappy: literal lengths in 1..4 extra bytes', () => {
  for (const n of [61, 200, 256, 300, 70000]) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
    const extra = n - 1 <= 0xff ? 1 : n - 1 <= 0xffff ? 2 : 3;
    const lenBytes = [(n - 1) & 0xff, ((n - 1) >> 8) & 0xff, ((n - 1) >> 16) & 0xff].slice(0, extra);
    const pre: number[] = [];
    for (let v = n; ; v >>>= 7) {
      if (v < 0x80) {
        pre.push(v);
        break;
      }
      pre.push((v & 0x7f) | 0x80);
    }
    const block = Uint8Array.of(...pre, (59 + extra) << 2, ...lenBytes, ...data);
    assert.deepEqual(snappyUncompress(block), data, `literal of ${n}`);
  }
});

test('snappy: round-trips a test compressor on repetitive and random data', () => {
  let seed = 42;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const cases = [
    new Uint8Array(0),
    ascii('the quick brown fox jumps over the lazy dog; the quick brown fox jumps again'),
    Uint8Array.from({ length: 5000 }, (_, i) => i % 17),
    Uint8Array.from({ length: 5000 }, () => rnd()),
  ];
  for (const c of cases) assert.deepEqual(snappyUncompress(snappyCompress(c)), c);
});

test('snappy: malformed blocks are errors, never short output', () => {
  const bad: [string, Uint8Array, RegExp][] = [
    ['empty input', new Uint8Array(0), /truncated length preamble/],
    ['offset zero', Uint8Array.of(6, 1 << 2, ...ascii('ab'), 1, 0), /copy offset 0/],
    ['offset past the output', Uint8Array.of(6, 1 << 2, ...ascii('ab'), 1, 3), /copy offset 3 is outside the 2 bytes/],
    ['literal past the input', Uint8Array.of(5, 4 << 2, ...ascii('hel')), /runs past the end/],
    ['shorter than declared', Uint8Array.of(6, 4 << 2, ...ascii('hello')), /produced 5 bytes, the preamble declared 6/],
    ['longer than declared', Uint8Array.of(4, 4 << 2, ...ascii('hello')), /longer than the declared length/],
    ['truncated copy', Uint8Array.of(6, 1 << 2, ...ascii('ab'), 2 | (3 << 2), 2), /truncated copy/],
    ['impossible length', Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0), /impossible/],
  ];
  for (const [name, block, re] of bad) {
    assert.throws(() => snappyUncompress(block), (err: unknown) => err instanceof SnappyError && re.test(err.message), name);
  }
});
