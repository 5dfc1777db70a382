import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, TfsError } from '../../src/errors.js';
import { lookupType } from '../../src/proto/root.js';
import { OBJECT_GRAPH_KEY, TensorBundle } from '../../src/savedmodel/tensor-bundle.js';
import { bfloat16ToFloat, halfToFloat } from '../../src/tensor/tensor.js';
import { fixtures, sharedOrSkip } from '../helpers/paths.js';
import { type WriteOptions, type WriteTensor, writeBundle } from './helpers/bundle-writer.js';

const enc = new TextEncoder();
const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-bundle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One tensor of every dtype the reader can return, with the values expected back. */
function everyDtype(): { tensors: WriteTensor[]; expect: Record<string, unknown[]> } {
  const t: WriteTensor[] = [
    { key: 'f32', dtype: 'DT_FLOAT', shape: [2, 2], raw: bytesOf(Float32Array.of(0.5, -2, 3.25, 1e-30)) },
    { key: 'f64', dtype: 'DT_DOUBLE', shape: [3], raw: bytesOf(Float64Array.of(Math.PI, -0, 1e300)) },
    { key: 'i32', dtype: 'DT_INT32', shape: [3], raw: bytesOf(Int32Array.of(-1, 2147483647, -2147483648)) },
    { key: 'u8', dtype: 'DT_UINT8', shape: [2], raw: Uint8Array.of(0, 255) },
    { key: 'i16', dtype: 'DT_INT16', shape: [2], raw: bytesOf(Int16Array.of(-32768, 1234)) },
    { key: 'i8', dtype: 'DT_INT8', shape: [2], raw: bytesOf(Int8Array.of(-128, 127)) },
    { key: 'u16', dtype: 'DT_UINT16', shape: [1], raw: bytesOf(Uint16Array.of(65535)) },
    { key: 'u32', dtype: 'DT_UINT32', shape: [1], raw: bytesOf(Uint32Array.of(4294967295)) },
    { key: 'i64', dtype: 'DT_INT64', shape: [2], raw: bytesOf(BigInt64Array.of(-(2n ** 63n), 9007199254740993n)) },
    { key: 'u64', dtype: 'DT_UINT64', shape: [1], raw: bytesOf(BigUint64Array.of(2n ** 64n - 1n)) },
    { key: 'bool', dtype: 'DT_BOOL', shape: [3], raw: Uint8Array.of(1, 0, 1) },
    // half: 1.0 = 0x3c00, -2.0 = 0xc000; bfloat16: 1.0 = 0x3f80, 0.5 = 0x3f00
    { key: 'half', dtype: 'DT_HALF', shape: [2], raw: bytesOf(Uint16Array.of(0x3c00, 0xc000)) },
    { key: 'bf16', dtype: 'DT_BFLOAT16', shape: [2], raw: bytesOf(Uint16Array.of(0x3f80, 0x3f00)) },
    { key: 'c64', dtype: 'DT_COMPLEX64', shape: [1], raw: bytesOf(Float32Array.of(1.5, -2.5)) },
    { key: 'c128', dtype: 'DT_COMPLEX128', shape: [1], raw: bytesOf(Float64Array.of(0.1, 0.2)) },
    { key: 'str', dtype: 'DT_STRING', shape: [3], strings: [enc.encode('héllo'), new Uint8Array(0), Uint8Array.of(0, 255, 10)] },
    { key: 'scalar', dtype: 'DT_FLOAT', shape: [], raw: bytesOf(Float32Array.of(7)) },
    { key: 'empty', dtype: 'DT_FLOAT', shape: [0, 4], raw: new Uint8Array(0) },
    { key: 'empty_str', dtype: 'DT_STRING', shape: [0], strings: [] },
  ];
  const expect: Record<string, unknown[]> = {
    f32: [0.5, -2, 3.25, Math.fround(1e-30)],
    f64: [Math.PI, -0, 1e300],
    i32: [-1, 2147483647, -2147483648],
    u8: [0, 255],
    i16: [-32768, 1234],
    i8: [-128, 127],
    u16: [65535],
    u32: [4294967295],
    i64: [-(2n ** 63n), 9007199254740993n],
    u64: [2n ** 64n - 1n],
    bool: [1, 0, 1],
    half: [0x3c00, 0xc000],
    bf16: [0x3f80, 0x3f00],
    c64: [1.5, -2.5],
    c128: [0.1, 0.2],
    str: ['héllo', '', '\u0000\ufffd\n'],
    scalar: [7],
    empty: [],
    empty_str: [],
  };
  return { tensors: t, expect };
}

function checkEvery(b: TensorBundle): void {
  const { tensors, expect } = everyDtype();
  assert.deepEqual(b.keys(), tensors.map((t) => t.key).sort());
  for (const w of tensors) {
    const got = b.read(w.key);
    assert.equal(got.dtype, w.dtype, w.key);
    assert.deepEqual(got.shape, w.shape, w.key);
    const values = Array.isArray(got.data) ? got.data.map((s) => new TextDecoder().decode(s)) : Array.from(got.data as ArrayLike<unknown>);
    assert.deepEqual(values, expect[w.key], w.key);
  }
  const half = b.read('half').data as Uint16Array;
  assert.deepEqual([halfToFloat(half[0]!), halfToFloat(half[1]!)], [1, -2]);
  const bf = b.read('bf16').data as Uint16Array;
  assert.deepEqual([bfloat16ToFloat(bf[0]!), bfloat16ToFloat(bf[1]!)], [1, 0.5]);
  assert.ok(b.read('u64').data instanceof BigUint64Array);
  assert.ok(b.read('c64').data instanceof Float32Array);
}

const layouts: [string, WriteOptions][] = [
  ['plain little-endian bundle', {}],
  ['big-endian bundle (byte-swapped on read)', { endianness: 'BIG' }],
  ['3 shards, Snappy blocks, several data blocks, restarts every 3 keys, padding', { numShards: 3, compress: true, blockSize: 64, restartInterval: 3, padding: 5 }],
];
for (const [name, opts] of layouts) {
  test(`every dtype reads back exactly: ${name}`, (t) => {
    const prefix = join(tmp(t), 'variables', 'variables');
    writeBundle(prefix, everyDtype().tensors, opts);
    const b = TensorBundle.open(prefix);
    assert.equal(b.header.numShards, opts.numShards ?? 1);
    assert.equal(b.header.endianness, opts.endianness ?? 'LITTLE');
    assert.equal(b.dataFiles.length, opts.numShards ?? 1);
    checkEvery(b);
  });
}

test('entry() reports dtype, shape, shard, offset, size and slices', (t) => {
  const prefix = join(tmp(t), 'v');
  writeBundle(prefix, everyDtype().tensors, { numShards: 2, padding: 3 });
  const b = TensorBundle.open(prefix);
  const e = b.entry('f64');
  assert.equal(e.dtype, 'DT_DOUBLE');
  assert.equal(e.dtypeEnum, 2);
  assert.deepEqual(e.shape, [3]);
  assert.equal(e.size, 24);
  assert.ok(e.shardId === 0 || e.shardId === 1);
  assert.equal(e.offset % 1, 0);
  assert.deepEqual(e.slices, []);
  assert.equal(b.dataFiles[1], `${prefix}.data-00001-of-00002`);
});

test('partitioned entries without their slice entries are DATA_LOSS; unknown keys are NOT_FOUND', (t) => {
  const prefix = join(tmp(t), 'v');
  writeBundle(prefix, [
    { key: 'whole', dtype: 'DT_FLOAT', shape: [1], raw: bytesOf(Float32Array.of(1)) },
    { key: 'part', dtype: 'DT_FLOAT', shape: [2], sliced: true },
  ]);
  const b = TensorBundle.open(prefix);
  assert.deepEqual(b.keys(), ['part', 'whole']);
  assert.equal(b.entry('part').slices.length, 2);
  assert.throws(() => b.read('part'), (e: unknown) => e instanceof TfsError && e.code === Code.DATA_LOSS && e.message.includes('tensor "part" lists slice 0,1 but the index has no entry for it'));
  assert.throws(() => b.read('nope'), (e: unknown) => e instanceof TfsError && e.code === Code.NOT_FOUND && e.message === `Key nope not found in checkpoint ${prefix}`);
});

test('DT_VARIANT and DT_RESOURCE entries are refused with their dtype named', (t) => {
  const prefix = join(tmp(t), 'v');
  writeBundle(prefix, [{ key: 'var', dtype: 'DT_VARIANT', shape: [], raw: Uint8Array.of(1, 2) }]);
  const b = TensorBundle.open(prefix);
  assert.throws(() => b.read('var'), /tensor "var" has dtype DT_VARIANT, which tfs cannot load as a value/);
});

test('objectGraph() decodes _CHECKPOINTABLE_OBJECT_GRAPH with defaults filled in, and is null without it', (t) => {
  const dir = tmp(t);
  const G = lookupType('tensorflow.TrackableObjectGraph');
  const graph = G.encode(
    G.fromObject({
      nodes: [
        { children: [{ node_id: 1, local_name: 'v' }] },
        { children: [], attributes: [{ name: 'VARIABLE_VALUE', full_name: 'Variable', checkpoint_key: 'v/.ATTRIBUTES/VARIABLE_VALUE' }] },
      ],
    }),
  ).finish();
  writeBundle(join(dir, 'a'), [
    { key: OBJECT_GRAPH_KEY, dtype: 'DT_STRING', shape: [], strings: [graph] },
    { key: 'v/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_FLOAT', shape: [], raw: bytesOf(Float32Array.of(3)) },
  ]);
  const og = TensorBundle.open(join(dir, 'a')).objectGraph();
  assert.ok(og);
  assert.equal(og.nodes.length, 2);
  assert.deepEqual(og.nodes[0]!.children, [{ node_id: 1, local_name: 'v' }]);
  assert.equal(og.nodes[1]!.attributes[0]!.checkpoint_key, 'v/.ATTRIBUTES/VARIABLE_VALUE');
  assert.equal(og.nodes[1]!.attributes[0]!.optional_restore, false);
  writeBundle(join(dir, 'b'), [{ key: 'x', dtype: 'DT_FLOAT', shape: [], raw: bytesOf(Float32Array.of(3)) }]);
  assert.equal(TensorBundle.open(join(dir, 'b')).objectGraph(), null);
});

// ---- corruption: every damaged file is a clear error naming the file, never numbers ----

function isLoadError(code: number, file: string, re: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof TfsError, `expected a TfsError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.includes(file), `"${e.message}" should name ${file}`);
    assert.match(e.message, re);
    return true;
  };
}

function flip(file: string, at: number): void {
  const b = readFileSync(file);
  b[at] = b[at]! ^ 0x20;
  writeFileSync(file, b);
}

function synthetic(t: { after: (fn: () => void) => void }, opts: WriteOptions = {}): string {
  const prefix = join(tmp(t), 'variables');
  writeBundle(prefix, everyDtype().tensors, opts);
  return prefix;
}

test('corrupt index block: checksum mismatch names the index file', (t) => {
  for (const compress of [false, true]) {
    const prefix = synthetic(t, { compress });
    flip(`${prefix}.index`, 10);
    assert.throws(() => TensorBundle.open(prefix), isLoadError(Code.DATA_LOSS, `${prefix}.index`, /block checksum mismatch/));
  }
});

test('corrupt tensor bytes: the tensor checksum fails on read, naming the data file and tensor', (t) => {
  const prefix = synthetic(t);
  const b0 = TensorBundle.open(prefix);
  const e = b0.entry('f32');
  flip(b0.dataFiles[0]!, e.offset + 1);
  const b = TensorBundle.open(prefix);
  assert.throws(() => b.read('f32'), isLoadError(Code.DATA_LOSS, b.dataFiles[0]!, /checksum of tensor "f32" does not match/));
  assert.deepEqual(Array.from(b.read('i32').data as Int32Array), [-1, 2147483647, -2147483648]);
});

test('corrupt string tensor: length checksum and content checksum are both checked', (t) => {
  const prefix = synthetic(t);
  const e = TensorBundle.open(prefix).entry('str');
  const data = `${prefix}.data-00000-of-00001`;
  // byte 0 is the first varint length (6 -> 38): the length checksum catches it
  flip(data, e.offset);
  assert.throws(() => TensorBundle.open(prefix).read('str'), isLoadError(Code.DATA_LOSS, data, /length checksum does not match/));
  flip(data, e.offset);
  // last byte is string content: only the entry checksum covers it
  flip(data, e.offset + e.size - 1);
  assert.throws(() => TensorBundle.open(prefix).read('str'), isLoadError(Code.DATA_LOSS, data, /string tensor "str".*checksum does not match/));
});

test('truncated files: data shard shorter than its entries, index cut short, missing shard', (t) => {
  let prefix = synthetic(t);
  const data = `${prefix}.data-00000-of-00001`;
  truncateSync(data, statSync(data).size - 3);
  assert.throws(() => TensorBundle.open(prefix), isLoadError(Code.DATA_LOSS, data, /truncated file/));

  prefix = synthetic(t);
  truncateSync(`${prefix}.index`, statSync(`${prefix}.index`).size - 10);
  assert.throws(() => TensorBundle.open(prefix), isLoadError(Code.DATA_LOSS, `${prefix}.index`, /bad magic number/));

  prefix = synthetic(t);
  writeFileSync(`${prefix}.index`, new Uint8Array(20));
  assert.throws(() => TensorBundle.open(prefix), isLoadError(Code.DATA_LOSS, `${prefix}.index`, /shorter than a table footer/));

  prefix = synthetic(t, { numShards: 2 });
  unlinkSync(`${prefix}.data-00001-of-00002`);
  assert.throws(() => TensorBundle.open(prefix), isLoadError(Code.NOT_FOUND, `${prefix}.data-00001-of-00002`, /Checkpoint data file not found/));

  assert.throws(() => TensorBundle.open(join(tmp(t), 'none')), isLoadError(Code.NOT_FOUND, 'none.index', /Checkpoint index file not found/));
});

// ---- the real checkpoints in ../shared/fixtures ----

function variablesPrefixes(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (!statSync(p).isDirectory()) continue;
      if (name === 'variables') {
        if (readdirSync(p).includes('variables.index')) out.push(join(p, 'variables'));
      } else if (depth < 3) walk(p, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

test('every shared fixture checkpoint: all keys read, every CRC verified', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const prefixes = [...variablesPrefixes(join(shared, 'savedmodels')), ...variablesPrefixes(join(shared, 'zoo'))];
  assert.ok(prefixes.length >= 28, `found ${prefixes.length} checkpoints`);
  let tensors = 0;
  for (const p of prefixes) {
    const b = TensorBundle.open(p);
    for (const k of b.keys()) {
      const v = b.read(k);
      assert.ok(v.data.length >= 0);
      tensors++;
    }
    if (b.has(OBJECT_GRAPH_KEY)) assert.ok(b.objectGraph()!.nodes.length > 1, p);
  }
  assert.ok(tensors > 300, `${tensors} tensors read`);
});

test('known values in the shared checkpoints', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const sm = join(shared, 'savedmodels');
  const scalar = (p: string, k: string): unknown => TensorBundle.open(join(sm, p, 'variables', 'variables')).read(k).data[0];
  // TF1 half_plus_two: index blocks are Snappy-compressed (TF 1.x writer)
  assert.equal(scalar('saved_model_half_plus_two_cpu/00000123', 'a'), 0.5);
  assert.equal(scalar('saved_model_half_plus_two_cpu/00000123', 'b'), 2);
  assert.equal(scalar('saved_model_half_plus_two_cpu/00000123', 'c2'), 3);
  assert.equal(scalar('saved_model_half_plus_three/00000123', 'b'), 3);
  assert.equal(scalar('saved_model_counter/00000123', 'counter'), 0);
  assert.equal(scalar('tf2onnx_regression/1', 'W'), Math.fround(0.21396178));
  assert.equal(scalar('saved_model_half_plus_two_tf2_cpu/00000123', 'a/.ATTRIBUTES/VARIABLE_VALUE'), 0.5);
  assert.equal(scalar('tfjs_int64_multiply/1', 'v1/.ATTRIBUTES/VARIABLE_VALUE'), 3n);
  assert.equal(scalar('tfjs_int64_multiply/1', 'v2/.ATTRIBUTES/VARIABLE_VALUE'), 2n);
  const rust = TensorBundle.open(join(sm, 'rust_regression_savedmodel/1/variables/variables'));
  assert.deepEqual(Array.from(rust.read('w/.ATTRIBUTES/VARIABLE_VALUE').data as Float32Array), [Math.fround(0.20429754)]);
  assert.equal(rust.read('optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE').dtype, 'DT_INT64');
  const drybean = TensorBundle.open(join(sm, 'keras_drybean/3/variables/variables'));
  assert.deepEqual(drybean.entry('layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE').shape, [16, 512]);
  // object graph: the int64_multiply variables are told apart by path, not by name
  const og = TensorBundle.open(join(sm, 'tfjs_int64_multiply/1/variables/variables')).objectGraph()!;
  const root = og.nodes[0]!;
  const names = root.children.map((c) => c.local_name).sort();
  assert.ok(names.includes('v1') && names.includes('v2'), names.join(','));
  const v1 = og.nodes[root.children.find((c) => c.local_name === 'v1')!.node_id]!;
  assert.equal(v1.attributes[0]!.checkpoint_key, 'v1/.ATTRIBUTES/VARIABLE_VALUE');
});

test('a real Snappy-compressed TF1 index with a flipped byte is refused', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const src = join(shared, 'savedmodels/saved_model_half_plus_two_cpu/00000123/variables');
  const dir = tmp(t);
  for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
  const prefix = join(dir, 'variables');
  // the data block starts with Snappy's length preamble (100 bytes uncompressed), then a literal tag
  assert.deepEqual([...readFileSync(`${prefix}.index`).subarray(0, 2)], [100, 0x6c]);
  flip(`${prefix}.index`, 20);
  assert.throws(() => TensorBundle.open(prefix), isLoadError(Code.DATA_LOSS, `${prefix}.index`, /block checksum mismatch/));
});

// ---- the project's own fixtures (self-contained: no ../shared needed) ----

test('own fixtures: every checkpoint reads fully; a flipped byte or a cut data file in a copy is refused', (t) => {
  const own = variablesPrefixes(join(fixtures, 'models'));
  assert.equal(own.length, 3);
  for (const p of own) {
    const b = TensorBundle.open(p);
    for (const k of b.keys()) b.read(k);
    assert.ok(b.objectGraph()!.nodes.length > 2);
  }
  const hp2 = TensorBundle.open(join(fixtures, 'models/half_plus_two/00000123/variables/variables'));
  assert.equal(hp2.read('a/.ATTRIBUTES/VARIABLE_VALUE').data[0], 0.5);
  assert.equal(hp2.read('b/.ATTRIBUTES/VARIABLE_VALUE').data[0], 2);

  const dir = tmp(t);
  const src = join(fixtures, 'models/my_model/1/variables');
  for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
  const prefix = join(dir, 'variables');
  const good = TensorBundle.open(prefix);
  const key = good.keys().find((k) => good.entry(k).shape.join(',') === '10,64')!;
  const e = good.entry(key);
  flip(good.dataFiles[0]!, e.offset + 100);
  assert.throws(() => TensorBundle.open(prefix).read(key), isLoadError(Code.DATA_LOSS, good.dataFiles[0]!, new RegExp(`checksum of tensor "${key}" does not match`)));
  truncateSync(good.dataFiles[0]!, e.offset + 10);
  assert.throws(() => TensorBundle.open(prefix), isLoadError(Code.DATA_LOSS, good.dataFiles[0]!, /truncated file/));
});
