import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTextFormat } from '../../src/proto/text-format.js';
import { Code, TfsError } from '../../src/errors.js';
import { lookupType, toObjectOptions } from '../../src/proto/root.js';
import { toPlainObject } from '../../src/savedmodel/proto-types.js';
import {
  INIT_OP_SIGNATURE_KEY,
  type LoadedSavedModel,
  listVersions,
  readSavedModel,
  readTagSets,
} from '../../src/savedmodel/saved-model.js';
import { tensorFromProto } from '../../src/savedmodel/tensor-proto.js';
import { fixtures, sharedOrSkip } from '../helpers/paths.js';

const halfPlusTwo = join(fixtures, 'models', 'half_plus_two', '00000123');
const myModel = join(fixtures, 'models', 'my_model');

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-sm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** JSON-comparable form: bytes as hex, key order irrelevant under deepEqual. */
function canonical(x: unknown): unknown {
  return JSON.parse(
    JSON.stringify(x, (_k, v: unknown) => {
      if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
      const b = v as { type?: string; data?: number[] } | null;
      if (b && b.type === 'Buffer' && Array.isArray(b.data)) return `hex:${Buffer.from(b.data).toString('hex')}`;
      return v;
    }),
  );
}

function sigSummary(sm: LoadedSavedModel): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, s] of sm.signatures) {
    const side = (m: typeof s.inputs): string =>
      Object.entries(m)
        .map(([a, t]) => `${a}=${t.name}:${t.dtype}${t.shape === null ? '?' : `[${t.shape.join(',')}]`}`)
        .join(';');
    out[k] = `${s.methodName} (${side(s.inputs)}) -> (${side(s.outputs)})`;
  }
  return out;
}

test('half_plus_two fixture: signatures, methods, assets, variables, TF version', () => {
  const sm = readSavedModel(halfPlusTwo);
  assert.equal(sm.format, 'pb');
  assert.equal(sm.file, join(halfPlusTwo, 'saved_model.pb'));
  assert.deepEqual(sm.tags, ['serve']);
  assert.deepEqual(sm.tagSets, [['serve']]);
  assert.equal(sm.tensorflowVersion, '2.21.0');
  assert.deepEqual(sigSummary(sm), {
    classify_x_to_y: 'tensorflow/serving/classify (inputs=classify_x_to_y_inputs:0:DT_STRING[-1]) -> (scores=StatefulPartitionedCall:0:DT_FLOAT[-1,1])',
    regress_x_to_y: 'tensorflow/serving/regress (inputs=regress_x_to_y_inputs:0:DT_STRING[-1]) -> (outputs=StatefulPartitionedCall_1:0:DT_FLOAT[-1,1])',
    serving_default: 'tensorflow/serving/predict (x=serving_default_x:0:DT_FLOAT[-1,1]) -> (y=StatefulPartitionedCall_2:0:DT_FLOAT[-1,1])',
  });
  assert.deepEqual([...sm.signatures.keys()], ['classify_x_to_y', 'regress_x_to_y', 'serving_default']);
  assert.ok(!sm.signatures.has(INIT_OP_SIGNATURE_KEY));
  assert.ok(INIT_OP_SIGNATURE_KEY in sm.signatureDefMap, 'signatureDefMap keeps the init op signature, as GetModelMetadata returns it');
  assert.equal(sm.signatureDefMap['serving_default']!.method_name, 'tensorflow/serving/predict');
  assert.deepEqual(sm.skippedSignatures, []);
  assert.deepEqual(sm.signatures.get('serving_default')!.defaults, {});
  // assets
  assert.equal(sm.assetsDir, join(halfPlusTwo, 'assets'));
  assert.deepEqual(sm.assetFiles, ['foo.txt']);
  assert.equal(sm.assetFileDefs.length, 1);
  assert.equal(sm.assetFileDefs[0]!.filename, 'foo.txt');
  assert.ok(sm.assetFileDefs[0]!.exists);
  assert.equal(readFileSync(sm.assetFileDefs[0]!.path, 'utf8'), 'asset-file-contents');
  assert.equal(sm.assetsExtraDir, null);
  assert.deepEqual(sm.assetsExtraFiles, []);
  // variables, bound through the object graph path a/ and b/
  assert.equal(sm.variablesPrefix, join(halfPlusTwo, 'variables', 'variables'));
  const bundle = sm.openVariables()!;
  assert.equal(bundle.read('a/.ATTRIBUTES/VARIABLE_VALUE').data[0], 0.5);
  assert.equal(bundle.read('b/.ATTRIBUTES/VARIABLE_VALUE').data[0], 2);
  assert.ok(sm.objectGraph && sm.objectGraph.nodes.length > 3);
});

test('the metaGraph plain-object contract the freezer relies on', () => {
  const sm = readSavedModel(join(myModel, '1'));
  const g = sm.metaGraph.graph_def!;
  const varHandle = g.node.find((n) => n.op === 'VarHandleOp')!;
  assert.equal(varHandle.attr['dtype']!.type, 'DT_FLOAT');
  assert.equal(varHandle.attr['dtype']!.value, 'type');
  assert.ok(Array.isArray(varHandle.input), 'repeated fields are always arrays');
  const fnConsts = g.library!.function.flatMap((f) => f.node_def).filter((n) => n.op === 'Const');
  const withContent = fnConsts.find((n) => n.attr['value']?.tensor?.tensor_content);
  const anyConst = withContent ?? fnConsts[0]!;
  assert.equal(anyConst.attr['value']!.value, 'tensor');
  if (withContent) assert.ok(withContent.attr['value']!.tensor!.tensor_content instanceof Uint8Array);
  const call = g.node.find((n) => n.op === 'StatefulPartitionedCall')!;
  assert.equal(typeof call.attr['f']!.func!.name, 'string');
  const og = sm.metaGraph.object_graph_def!;
  const fname = call.attr['f']!.func!.name!;
  assert.ok(Array.isArray(og.concrete_functions[fname]?.bound_inputs), `bound_inputs of ${fname}`);
  assert.equal(og.nodes[0]!.kind, 'user_object');
  assert.ok(og.nodes.some((n) => n.kind === 'variable' && n.variable?.dtype === 'DT_FLOAT'));
  const info = sm.metaGraph.signature_def['serving_default']!.inputs['dense_input']!;
  assert.equal(info.encoding, 'name');
  assert.equal(info.dtype, 'DT_FLOAT');
  assert.deepEqual(info.tensor_shape!.dim.map((d) => d.size), [-1, 10]);
  assert.equal(sm.metaGraph.saver_def!.version, 'V2');
});

test('int64 values stay exact in plain objects; TensorProto decoding follows TF', () => {
  const TP = lookupType('tensorflow.TensorProto');
  const big = TP.fromObject({ dtype: 'DT_INT64', tensor_shape: { dim: [{ size: 3 }] }, int64_val: ['1152921504606846977', '-5', '7'] });
  const o = toPlainObject<{ int64_val: (number | string)[] }>(TP, big);
  assert.deepEqual(o.int64_val, ['1152921504606846977', -5, 7]);
  const t = tensorFromProto(toPlainObject(TP, big), 'test');
  assert.deepEqual([...(t.data as BigInt64Array)], [1152921504606846977n, -5n, 7n]);
  // a short *_val list repeats its last value; an empty one means zeros
  const rep = tensorFromProto(toPlainObject(TP, TP.fromObject({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }, { size: 2 }] }, float_val: [1, 2] })), 'test');
  assert.deepEqual([...(rep.data as Float32Array)], [1, 2, 2, 2]);
  const zeros = tensorFromProto(toPlainObject(TP, TP.fromObject({ dtype: 'DT_INT32', tensor_shape: { dim: [{ size: 3 }] } })), 'test');
  assert.deepEqual([...(zeros.data as Int32Array)], [0, 0, 0]);
  // tensor_content is raw little-endian
  const content = tensorFromProto(
    toPlainObject(TP, TP.fromObject({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }] }, tensor_content: new Uint8Array(Float32Array.of(0.5, -1).buffer) })),
    'test',
  );
  assert.deepEqual([...(content.data as Float32Array)], [0.5, -1]);
  // half keeps bit patterns; strings are bytes; a scalar has shape []
  const half = tensorFromProto(toPlainObject(TP, TP.fromObject({ dtype: 'DT_HALF', half_val: [0x3c00] })), 'test');
  assert.deepEqual({ shape: half.shape, v: [...(half.data as Uint16Array)] }, { shape: [], v: [0x3c00] });
  const str = tensorFromProto(toPlainObject(TP, TP.fromObject({ dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 2 }] }, string_val: [Buffer.from('ab')] })), 'test');
  assert.deepEqual((str.data as Uint8Array[]).map((b) => Buffer.from(b).toString()), ['ab', 'ab']);
  // extra *_val values are ignored, as TF's FromProtoField does
  const extra = tensorFromProto(toPlainObject(TP, TP.fromObject({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 1 }] }, float_val: [1, 2] })), 'test');
  assert.deepEqual([...(extra.data as Float32Array)], [1]);
  // a tensor_content of the wrong length is a corrupt model file, named with its place
  assert.throws(
    () =>
      tensorFromProto(
        toPlainObject(TP, TP.fromObject({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }] }, tensor_content: new Uint8Array(4) })),
        'where.pb',
      ),
    (e: unknown) => e instanceof TfsError && e.code === Code.DATA_LOSS && /where\.pb/.test(e.message),
  );
});

test('my_model base path: versions 1 and 2, the tutorial names, different weights', () => {
  assert.deepEqual(listVersions(myModel), [1, 2]);
  const v1 = readSavedModel(join(myModel, '1'));
  const v2 = readSavedModel(join(myModel, '2'));
  for (const sm of [v1, v2]) {
    assert.deepEqual(sigSummary(sm), {
      serving_default: 'tensorflow/serving/predict (dense_input=serving_default_dense_input:0:DT_FLOAT[-1,10]) -> (dense_1=StatefulPartitionedCall:0:DT_FLOAT[-1,1])',
    });
  }
  const kernel = (sm: LoadedSavedModel): number[] => {
    const b = sm.openVariables()!;
    const key = b.keys().find((k) => b.entry(k).shape.join(',') === '10,64')!;
    return [...(b.read(key).data as Float32Array).subarray(0, 4)];
  };
  assert.notDeepEqual(kernel(v1), kernel(v2));
});

test('listVersions: numeric directory names only, sorted numerically', (t) => {
  const base = tmp(t);
  for (const d of ['10', '9', '00000123', 'tmp', '1a', '.1']) mkdirSync(join(base, d));
  writeFileSync(join(base, '7'), 'a file, not a version');
  assert.deepEqual(listVersions(base), [9, 10, 123]);
  assert.throws(() => listVersions(join(base, 'missing')), (e: unknown) => e instanceof TfsError && e.code === Code.NOT_FOUND);
});

test('tag-set selection: order-insensitive set equality, upstream text when nothing matches', () => {
  assert.deepEqual(readSavedModel(halfPlusTwo, { tags: ['serve', 'serve'] }).tags, ['serve']);
  assert.deepEqual(readTagSets(halfPlusTwo), [['serve']]);
  assert.throws(
    () => readSavedModel(halfPlusTwo, { tags: ['serve', 'gpu'] }),
    (e: unknown) =>
      e instanceof TfsError &&
      e.code === Code.NOT_FOUND &&
      e.message ===
        'Could not find meta graph def matching supplied tags: { serve gpu }. To inspect available tag-sets in the SavedModel, please use the SavedModel CLI: `saved_model_cli`' &&
      /has the tag sets: 'serve'/.test(e.hint ?? ''),
  );
});

test('a directory without saved_model.pb is NOT_FOUND with upstream text', (t) => {
  const dir = tmp(t);
  const expected = `Could not find SavedModel .pb or .pbtxt at supplied export directory path: ${dir}. Check that the directory exists and that you have the right permissions for accessing it.`;
  assert.throws(() => readSavedModel(dir), (e: unknown) => e instanceof TfsError && e.code === Code.NOT_FOUND && e.message === expected);
  assert.throws(() => readSavedModel(join(dir, 'nope')), (e: unknown) => e instanceof TfsError && /does not exist/.test(e.hint ?? ''));
  // a base path given where a version dir is expected gets a hint
  assert.throws(() => readSavedModel(myModel), (e: unknown) => e instanceof TfsError && /version subdirectories \(1, 2\)/.test(e.hint ?? ''));
});

test('a corrupt saved_model.pb is DATA_LOSS naming the file; variables dir is optional', (t) => {
  const dir = join(tmp(t), 'm');
  cpSync(halfPlusTwo, dir, { recursive: true });
  rmSync(join(dir, 'variables'), { recursive: true });
  const noVars = readSavedModel(dir);
  assert.equal(noVars.variablesPrefix, null);
  assert.equal(noVars.openVariables(), null);
  truncateSync(join(dir, 'saved_model.pb'), 5000);
  assert.throws(
    () => readSavedModel(dir),
    (e: unknown) => e instanceof TfsError && e.code === Code.DATA_LOSS && e.message.includes(join(dir, 'saved_model.pb')) && /can't parse/.test(e.message),
  );
});

test('saved_model.pbtxt reads to the same MetaGraphDef as saved_model.pb; syntax errors point at line:column', (t) => {
  const dir = join(tmp(t), 'm');
  cpSync(halfPlusTwo, dir, { recursive: true });
  const T = lookupType('tensorflow.SavedModel');
  const text = formatTextFormat(T, T.toObject(T.decode(readFileSync(join(dir, 'saved_model.pb'))), toObjectOptions) as Record<string, unknown>);
  rmSync(join(dir, 'saved_model.pb'));
  writeFileSync(join(dir, 'saved_model.pbtxt'), text);
  const fromText = readSavedModel(dir);
  assert.equal(fromText.format, 'pbtxt');
  assert.deepEqual(canonical(fromText.metaGraph), canonical(readSavedModel(halfPlusTwo).metaGraph));
  assert.deepEqual(sigSummary(fromText), sigSummary(readSavedModel(halfPlusTwo)));
  writeFileSync(join(dir, 'saved_model.pbtxt'), 'meta_graphs {\n  meta_info_def { tags: "serve" }\n  bogus_field: 1\n}\n');
  assert.throws(
    () => readSavedModel(dir),
    (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && e.location?.line === 3 && /bogus_field/.test(e.message),
  );
});

// ---- the shared fixtures ----

interface InventorySig {
  method: string;
  inputs: string;
  outputs: string;
}

/** `sig NAME [method] in(k=tensor:DTYPE[shape];...) out(...)` lines of inventory.txt, per version dir. */
function parseInventory(text: string): Map<string, Map<string, InventorySig>> {
  const out = new Map<string, Map<string, InventorySig>>();
  let current: Map<string, InventorySig> | undefined;
  for (const line of text.split('\n')) {
    const head = /^### (.+)$/.exec(line);
    if (head) {
      current = new Map();
      out.set(head[1]!, current);
      continue;
    }
    const sig = /^ {2}sig (\S+) \[(\w+)\] in\((.*?)\) out\((.*)\)$/.exec(line);
    if (sig && current) current.set(sig[1]!, { method: sig[2]!, inputs: sig[3]!, outputs: sig[4]! });
  }
  return out;
}

function inventoryForm(m: Readonly<Record<string, { name: string; dtype: string; shape: readonly number[] | null }>>, refs: Map<string, string>): string {
  return Object.keys(m)
    .sort()
    .map((k) => {
      const t = m[k]!;
      const dt = refs.get(k) ?? t.dtype.replace(/^DT_/, '');
      return `${k}=${t.name}:${dt}${t.shape === null ? '?' : `[${t.shape.join(',')}]`}`;
    })
    .join('; ');
}

test('every shared SavedModel: signatures match inventory.txt (keys, methods, names, dtypes, shapes)', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const inventory = parseInventory(readFileSync(join(shared, 'inventory.txt'), 'utf8'));
  assert.ok(inventory.size >= 25);
  let checked = 0;
  for (const [versionDir, sigs] of inventory) {
    const sm = readSavedModel(join(shared, 'savedmodels', versionDir));
    assert.deepEqual([...sm.signatures.keys()].sort(), [...sigs.keys()].sort(), versionDir);
    for (const [key, inv] of sigs) {
      const spec = sm.signatures.get(key)!;
      assert.equal(spec.methodName, `tensorflow/serving/${inv.method}`, `${versionDir} ${key}`);
      // inventory prints ref dtypes (FLOAT_REF); SignatureSpec resolves them, signatureDefMap keeps them
      const def = sm.signatureDefMap[key]!;
      const refs = (side: 'inputs' | 'outputs'): Map<string, string> =>
        new Map(
          Object.entries(def[side])
            .filter(([, i]) => String(i.dtype).endsWith('_REF'))
            .map(([k, i]) => [k, String(i.dtype).replace(/^DT_/, '')]),
        );
      assert.equal(inventoryForm(spec.inputs, refs('inputs')), inv.inputs, `${versionDir} ${key} inputs`);
      assert.equal(inventoryForm(spec.outputs, refs('outputs')), inv.outputs, `${versionDir} ${key} outputs`);
      checked++;
    }
  }
  assert.ok(checked >= 70, `${checked} signatures checked`);
});

test('every zoo SavedModel: signatures match manifest.json', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  type ManifestTensor = { dtype: string; shape: number[] | null; tensor_name: string };
  type Manifest = {
    models: Record<string, { versions: Record<string, { path: string; signatures: Record<string, { method_name: string; inputs: Record<string, ManifestTensor>; outputs: Record<string, ManifestTensor> }> }> }>;
  };
  const manifest = JSON.parse(readFileSync(join(shared, 'zoo', 'manifest.json'), 'utf8')) as Manifest;
  let checked = 0;
  for (const [model, m] of Object.entries(manifest.models)) {
    assert.deepEqual(listVersions(join(shared, 'zoo', model)), Object.keys(m.versions).map(Number).sort((a, b) => a - b));
    for (const v of Object.values(m.versions)) {
      const sm = readSavedModel(join(shared, 'zoo', v.path));
      assert.deepEqual([...sm.signatures.keys()], Object.keys(v.signatures).sort(), v.path);
      for (const [key, s] of Object.entries(v.signatures)) {
        const spec = sm.signatures.get(key)!;
        assert.equal(spec.methodName, s.method_name);
        const conv = (x: Record<string, ManifestTensor>): Record<string, unknown> =>
          Object.fromEntries(Object.entries(x).map(([k, tt]) => [k, { name: tt.tensor_name, dtype: tt.dtype, shape: tt.shape }]));
        assert.deepEqual(spec.inputs, conv(s.inputs), `${v.path} ${key}`);
        assert.deepEqual(spec.outputs, conv(s.outputs), `${v.path} ${key}`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 14, `${checked} signatures checked`);
});

test('signatureDefMap equals upstream GetModelMetadata expectations (half_plus_two)', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const cases: [string, string][] = [
    ['half_plus_two_model_metadata.json', 'saved_model_half_plus_two_cpu/00000123'],
    ['saved_model_half_plus_two_2_versions_metadata.json', 'saved_model_half_plus_two_2_versions/00000123'],
  ];
  for (const [expectedFile, dir] of cases) {
    const expected = JSON.parse(readFileSync(join(shared, 'expected', expectedFile), 'utf8')) as {
      metadata: { signature_def: { signature_def: Record<string, unknown> } };
    };
    const sm = readSavedModel(join(shared, 'savedmodels', dir));
    // Re-encode as upstream's JSON printer does (proto3 JSON with defaults): through the message type.
    const SD = lookupType('tensorflow.SignatureDef');
    const ours = Object.fromEntries(
      Object.entries(sm.signatureDefMap).map(([k, v]) => [
        k,
        SD.toObject(SD.fromObject(v), { longs: String, enums: String, defaults: true, arrays: true, objects: true }),
      ]),
    );
    const strip = (x: unknown): unknown =>
      JSON.parse(JSON.stringify(x, (key, v: unknown) => (key === 'encoding' || key === 'coo_sparse' || key === 'composite_tensor' ? undefined : v)));
    assert.deepEqual(strip(ours), strip(expected.metadata.signature_def.signature_def), dir);
  }
});

test('SignatureDef.defaults decode to tensors (TF2 half_plus_two serving_default x=[0.0])', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const sm = readSavedModel(join(shared, 'savedmodels', 'saved_model_half_plus_two_tf2_cpu', '00000123'));
  const d = sm.signatures.get('serving_default')!.defaults['x']!;
  assert.equal(d.dtype, 'DT_FLOAT');
  assert.deepEqual(d.shape, [1]);
  assert.deepEqual([...(d.data as Float32Array)], [0]);
  assert.deepEqual(sm.assetFileDefs.map((a) => [a.tensorName, a.filename, a.exists]), [['asset_path_initializer:0', 'foo.txt', true]]);
});

test('TF1 assets and assets.extra in the shared fixtures', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const sm = (d: string): LoadedSavedModel => readSavedModel(join(shared, 'savedmodels', d, '00000123'));
  const cpu = sm('saved_model_half_plus_two_cpu');
  assert.deepEqual(cpu.assetFileDefs.map((a) => [a.tensorName, a.filename, a.exists]), [['Const:0', 'foo.txt', true]]);
  assert.deepEqual(sm('saved_model_half_plus_two_mlmd').assetsExtraFiles, ['mlmd_uuid']);
  assert.deepEqual(sm('saved_model_half_plus_two_cpu_with_empty_saved_model_config').assetsExtraFiles, ['saved_model_config.pb']);
  assert.equal(sm('saved_model_counter').signatureDefMap['get_counter']!.outputs['output']!.dtype, 'DT_FLOAT_REF');
  assert.equal(sm('saved_model_counter').signatures.get('get_counter')!.outputs['output']!.dtype, 'DT_FLOAT');
  const traffic = readSavedModel(join(shared, 'savedmodels', 'keras_traffic_sign_cnn', '1'));
  assert.deepEqual(traffic.assetsExtraFiles, ['tf_serving_warmup_requests']);
  assert.equal(readSavedModel(join(shared, 'savedmodels', 'matrix_half_plus_two', '1')).variablesPrefix, null);
  assert.deepEqual(listVersions(join(shared, 'savedmodels', 'saved_model_half_plus_two_2_versions')), [123, 124]);
});

test('bad_half_plus_two is refused with an error naming what is missing', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const dir = join(shared, 'savedmodels', 'bad_half_plus_two', '00000123');
  assert.ok(existsSync(join(dir, 'export.meta')));
  assert.ok(!readdirSync(dir).includes('saved_model.pb'));
  assert.throws(
    () => readSavedModel(dir),
    (e: unknown) =>
      e instanceof TfsError &&
      e.code === Code.NOT_FOUND &&
      e.message.startsWith(`Could not find SavedModel .pb or .pbtxt at supplied export directory path: ${dir}.`) &&
      /legacy SessionBundle export/.test(e.hint ?? ''),
  );
});
