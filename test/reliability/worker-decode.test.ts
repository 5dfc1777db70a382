/**
 * Big REST predict bodies are decoded in a worker thread (--rest_api_worker_decode_bytes):
 * the same bodies through a server that decodes every body in a worker and one that decodes
 * every body inline get the same status and the same response bytes, errors included
 * (JSON syntax, rank limit, dtype, signature, unknown model; an answer of 70,000 values is
 * encoded in the worker), and a model answers right
 * after a failed job (nothing left behind in the worker).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino from 'pino';
import { parseServeFlags } from '../../src/server/flags.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { TfsError } from '../../src/errors.js';
import { BigBodyDecoder } from '../../src/server/rest/body-decoder.js';
import { fixtures } from '../helpers/paths.js';

async function serve(workerDecodeBytes: number): Promise<RunningServer> {
  return startServer({
    flags: parseServeFlags(
      ['--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--model_name=half_plus_two',
        `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`, `--rest_api_worker_decode_bytes=${workerDecodeBytes}`],
      {},
    ).values,
    logger: pino({ level: 'silent' }),
  });
}

const nested = (depth: number): string => '['.repeat(depth) + '1' + ']'.repeat(depth);
const CASES: [string, string][] = [
  ['/v1/models/half_plus_two:predict', '{"instances": [1, 2, 3]}'],
  ['/v1/models/half_plus_two:predict', '{"instances": [[1], [2]]}'],
  ['/v1/models/half_plus_two:predict', '{"inputs": {"x": [1, 2]}}'],
  ['/v1/models/half_plus_two:predict', '{"inputs": [5]}'],
  ['/v1/models/half_plus_two:predict', '{"signature_name": "serving_default", "instances": [1.5]}'],
  ['/v1/models/half_plus_two:predict', '{"signature_name": "nope", "instances": [1]}'],
  ['/v1/models/half_plus_two:predict', '{"instances": [1, 2'],
  ['/v1/models/half_plus_two:predict', ''],
  ['/v1/models/half_plus_two:predict', '[]'],
  ['/v1/models/half_plus_two:predict', '{"instances": ["a"]}'],
  ['/v1/models/half_plus_two:predict', '{"instances": [[1], 2]}'],
  ['/v1/models/half_plus_two:predict', `{"instances": ${nested(255)}}`],
  ['/v1/models/half_plus_two:predict', `{"instances": ${nested(30_000)}}`],
  ['/v1/models/half_plus_two:predict', '{"instances": [1], "inputs": [1]}'],
  ['/v1/models/nope:predict', '{"instances": [1]}'],
  ['/v1/models/half_plus_two/versions/7:predict', '{"instances": [1]}'],
  ['/v1/models/half_plus_two:predict', `{"instances": [${Array.from({ length: 70_000 }, (_, i) => i % 7).join(',')}]}`],
];

let worker: RunningServer;
let inline: RunningServer;
before(async () => {
  [worker, inline] = await Promise.all([serve(1), serve(0)]);
});
after(async () => {
  await Promise.all([worker.shutdown(0), inline.shutdown(0)]);
});

async function post(s: RunningServer, path: string, body: string): Promise<[number, string]> {
  const r = await fetch(`http://127.0.0.1:${s.restPort}${path}`, { method: 'POST', body });
  return [r.status, await r.text()];
}

test('worker-decoded and inline-decoded bodies get the same answers, errors included', async () => {
  for (const [path, body] of CASES) {
    const [a, b] = await Promise.all([post(worker, path, body), post(inline, path, body)]);
    assert.deepEqual(a, b, `${path} ${body.slice(0, 60)}`);
  }
  assert.deepEqual(await post(worker, CASES[0]![0], CASES[0]![1]), [200, '{\n    "predictions": [2.5, 3.0, 3.5\n    ]\n}']);
});

test('concurrent worker-decoded requests each get their own answer', async () => {
  const answers = await Promise.all(
    Array.from({ length: 32 }, (_, i) => post(worker, '/v1/models/half_plus_two:predict', `{"instances": [${i}]}`)),
  );
  answers.forEach(([status, text], i) => {
    assert.equal(status, 200);
    assert.deepEqual(JSON.parse(text), { predictions: [i / 2 + 2] });
  });
});

test('BigBodyDecoder: parse, then convert with the signature, in a worker; errors are TfsErrors; close stops it', async () => {
  const d = new BigBodyDecoder(1, 1);
  try {
    assert.equal(d.wants(0), false);
    assert.equal(d.wants(1), true);
    const job = await d.parse(Buffer.from('{"signature_name": "s", "instances": [[1, 2], [3, 4]]}'));
    assert.equal(job.signatureName, 's');
    const { inputs, format } = await job.inputs({ x: { name: 'x:0', dtype: 'DT_FLOAT', shape: [-1, 2] } });
    assert.equal(format, 'row');
    assert.deepEqual(inputs['x']!.shape, [2, 2]);
    assert.ok(inputs['x']!.data instanceof Float32Array);
    assert.deepEqual([...(inputs['x']!.data as Float32Array)], [1, 2, 3, 4]);
    await assert.rejects(d.parse(Buffer.from('{')), (e: unknown) => e instanceof TfsError && e.code === 3);
    const dropped = await d.parse(Buffer.from('{"instances": [1]}'));
    dropped.drop();
    await assert.rejects(dropped.inputs({ x: { name: 'x:0', dtype: 'DT_FLOAT', shape: null } }), /no parsed body/);
  } finally {
    await d.close();
  }
  assert.equal(new BigBodyDecoder(0).wants(1 << 30), false, '0 = never');
});
