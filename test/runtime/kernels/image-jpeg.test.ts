/**
 * DecodeJpeg through a served model (kernels/image-jpeg.ts on tfs's decoder, kernels/jpeg/):
 * with dct_method INTEGER_ACCURATE, pixels equal TensorFlow's exactly on the zoo model
 * `jpeg_accurate` (TF's outputs from fixtures/zoo/oracle.jsonl: colour 4:2:0 JPEGs of several
 * MCUs, grey JPEGs as 1 and 3 channels), and TF's default DecodeJpeg / DecodeImage
 * (INTEGER_FAST) on `image_decode`'s JPEG signatures, exactly where the zoo runner allows ±1.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Code, TfsError } from '../../../src/errors.js';
import { loadSavedModelServable } from '../../../src/servables/saved-model-servable.js';
import { makeTensor } from '../../../src/tensor/tensor.js';
import { repoRoot } from '../../helpers/paths.js';

interface OracleTensor {
  dtype: string;
  shape: number[];
  values: unknown;
}
interface OracleLine {
  model: string;
  signature: string;
  batch: number;
  inputs: Record<string, OracleTensor>;
  outputs: Record<string, OracleTensor>;
}

const zoo = join(repoRoot, 'fixtures', 'zoo');
const oracle = readFileSync(join(zoo, 'oracle.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as OracleLine);
const lines = oracle.filter((l) => l.model === 'jpeg_accurate');
/** image_decode's JPEG signatures: TF's default DecodeJpeg / DecodeImage (INTEGER_FAST). */
const defaultLines = oracle.filter((l) => l.model === 'image_decode' && ['jpeg_pixels', 'jpeg_grayscale', 'decode_image'].includes(l.signature));
const jpegsOf = (l: OracleLine): Uint8Array[] => (l.inputs['x']!.values as string[]).map((s) => new Uint8Array(Buffer.from(s, 'base64')));

const models = [
  ['jpeg_accurate', lines, 12],
  ['image_decode', defaultLines, 9],
] as const;
for (const [backend, [model, modelLines, count]] of (['wasm', 'cpu'] as const).flatMap((b) => models.map((m) => [b, m] as const))) {
  test(`${backend}: every JPEG signature of ${model} gives TF's values exactly, not within the zoo's ±1 (batches 1, 4, 7)`, async (t) => {
    assert.ok(modelLines.length >= count, `${modelLines.length} oracle lines`);
    const s = await loadSavedModelServable(model, 1, join(zoo, 'models', model, '1'), { backend });
    t.after(() => s.dispose());
    assert.equal(s.unservedSignatures?.size ?? 0, 0);
    for (const l of modelLines) {
      const x = jpegsOf(l);
      const out = await s.run(l.signature, { x: makeTensor('DT_STRING', [x.length], x) });
      for (const [alias, want] of Object.entries(l.outputs)) {
        const got = out[alias]!;
        const what = `${l.signature} batch ${l.batch} ${alias}`;
        assert.deepEqual(got.shape, want.shape, what);
        const w = [want.values].flat(Infinity) as number[];
        if (want.dtype === 'DT_FLOAT') {
          [...(got.data as Float32Array)].forEach((v, i) => assert.ok(Math.abs(v - w[i]!) <= 1e-5 * Math.max(1, Math.abs(w[i]!)), `${what}[${i}]`));
        } else {
          assert.deepEqual(Array.from(got.data as ArrayLike<number | bigint>, Number), w.map(Number), what);
        }
      }
    }
  });
}

test('bytes libjpeg cannot decode get INVALID_ARGUMENT with TF\'s text; the decoder still decodes exactly afterwards', async (t) => {
  const s = await loadSavedModelServable('jpeg_accurate', 1, join(zoo, 'models', 'jpeg_accurate', '1'), { backend: 'cpu' });
  t.after(() => s.dispose());
  const line = lines.find((l) => l.signature === 'pixels' && l.batch === 1)!;
  const good = jpegsOf(line)[0]!;
  for (const bad of [good.subarray(0, 40), good.subarray(0, good.length - 30), new Uint8Array([0xff, 0xd8, 0xff, 0xd9])]) {
    await assert.rejects(s.run('pixels', { x: makeTensor('DT_STRING', [1], [bad]) }), (e: unknown) => {
      assert.ok(e instanceof TfsError, String(e));
      assert.equal(e.code, Code.INVALID_ARGUMENT);
      assert.match(e.message, /jpeg::Uncompress failed\. Invalid JPEG data or crop window\./);
      return true;
    });
  }
  const out = await s.run('pixels', { x: makeTensor('DT_STRING', [1], [good]) });
  assert.deepEqual(Array.from(out['pixels']!.data as ArrayLike<number>), [line.outputs['pixels']!.values].flat(Infinity));
});
