/**
 * The model repository extension and --model_control_mode on a real server: explicit mode
 * loads the start-up model, then the API loads and unloads others (REST and gRPC) while /v1
 * and /v2 requests to the start-up model keep succeeding; none mode refuses the API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino from 'pino';
import { parseServeFlags } from '../../../src/server/flags.js';
import { startServer } from '../../../src/server/server.js';
import { fixtures } from '../../helpers/paths.js';
import { V2GrpcClient, V2RestClient } from '../../helpers/v2-client.js';

const models = join(fixtures, 'models');
const start = (...args: string[]) =>
  startServer({
    flags: parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', ...args], {}).values,
    logger: pino({ level: 'silent' }),
  });

const row = (n: number): number[] => Array.from({ length: 10 }, (_, i) => (i - n) / 10);

test('explicit mode: load and unload under concurrent /v1 and /v2 load, with no failed request to the other model', async () => {
  const s = await start('--model_control_mode=explicit', `--model_repository=${models}`, '--model_name=half_plus_two', `--model_base_path=${join(models, 'half_plus_two')}`);
  const rest = new V2RestClient(`http://127.0.0.1:${s.restPort}`);
  const g = new V2GrpcClient(`127.0.0.1:${s.grpcPort}`);
  try {
    let index = await rest.post('/v2/repository/index', {});
    assert.equal(index.status, 200);
    assert.deepEqual(index.body, [
      { name: 'half_plus_two', version: '123', state: 'READY', reason: '', source: 'config' },
      { name: 'my_model', source: 'repository' },
    ]);
    // Load traffic to half_plus_two until the load/unload cycles are over.
    let stop = false;
    const failures: string[] = [];
    let served = 0;
    const v1 = async (): Promise<void> => {
      while (!stop) {
        const res = await fetch(`http://127.0.0.1:${s.restPort}/v1/models/half_plus_two:predict`, { method: 'POST', body: '{"instances": [1.0]}' });
        const body = await res.text();
        if (res.status !== 200) failures.push(`v1 ${res.status} ${body}`);
        served++;
      }
    };
    const v2 = async (): Promise<void> => {
      while (!stop) {
        const r = await rest.inferJson('half_plus_two', [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [2] }]);
        if (r.status !== 200 || r.body.outputs[0].data[0] !== 3) failures.push(`v2 ${r.status} ${JSON.stringify(r.body)}`);
        served++;
      }
    };
    const loaders = [v1(), v2(), v1(), v2()];
    for (let cycle = 0; cycle < 3; cycle++) {
      const load = cycle % 2 === 0 ? rest.post('/v2/repository/models/my_model/load') : g.call('RepositoryModelLoad', { model_name: 'my_model' });
      const loaded = await load;
      if ('status' in loaded) assert.equal(loaded.status, 200, JSON.stringify(loaded.body));
      const r = await rest.inferJson('my_model', [{ name: 'dense_input', datatype: 'FP32', shape: [1, 10], data: row(cycle) }]);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.model_version, '2');
      index = await rest.post('/v2/repository/index', { ready: true });
      assert.ok(index.body.some((m: any) => m.name === 'my_model' && m.state === 'READY' && m.source === 'api'), JSON.stringify(index.body));
      const unloaded = cycle % 2 === 0 ? await rest.post('/v2/repository/models/my_model/unload') : await g.call('RepositoryModelUnload', { model_name: 'my_model' });
      if ('status' in unloaded) assert.equal(unloaded.status, 200);
      const gone = await rest.inferJson('my_model', [{ name: 'dense_input', datatype: 'FP32', shape: [1, 10], data: row(0) }]);
      assert.notEqual(gone.status, 200);
    }
    stop = true;
    await Promise.all(loaders);
    assert.deepEqual(failures, []);
    assert.ok(served > 0);
    const idx = await g.call('RepositoryIndex', { ready: false });
    assert.ok(idx.models.some((m: any) => m.name === 'my_model' && m.state === 'UNAVAILABLE' && m.reason === 'unloaded'), JSON.stringify(idx.models));
    // Unknown models and bad names.
    const missing = await rest.post('/v2/repository/models/nope/load');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, "failed to load 'nope', failed to poll from model repository");
    assert.equal((await rest.post('/v2/repository/models/nope/unload')).status, 404);
    assert.equal((await rest.post('/v2/repository/models/..%2Fx/load')).status, 400);
    await assert.rejects(g.call('RepositoryModelLoad', { model_name: 'nope' }), (e: { code: number }) => e.code === 5);
    // The start-up model can be unloaded and loaded again by name.
    assert.equal((await rest.post('/v2/repository/models/half_plus_two/unload')).status, 200);
    assert.equal((await rest.post('/v2/repository/models/half_plus_two/load')).status, 200);
    assert.equal((await rest.inferJson('half_plus_two', [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [0] }])).body.outputs[0].data[0], 2);
  } finally {
    g.close();
    await s.shutdown(1000);
  }
});

test('none mode refuses the repository API (UNAVAILABLE); the index still answers', async () => {
  const s = await start('--model_control_mode=none', '--model_name=half_plus_two', `--model_base_path=${join(models, 'half_plus_two')}`);
  const rest = new V2RestClient(`http://127.0.0.1:${s.restPort}`);
  const g = new V2GrpcClient(`127.0.0.1:${s.grpcPort}`);
  try {
    const r = await rest.post('/v2/repository/models/half_plus_two/unload');
    assert.equal(r.status, 503);
    assert.match(r.body.error, /--model_control_mode=none/);
    await assert.rejects(g.call('RepositoryModelLoad', { model_name: 'half_plus_two' }), (e: { code: number }) => e.code === 14);
    assert.equal((await rest.post('/v2/repository/index')).status, 200);
    assert.equal((await rest.inferJson('half_plus_two', [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [0] }])).status, 200);
  } finally {
    g.close();
    await s.shutdown(1000);
  }
});

test('a bad --model_control_mode is refused at start-up', async () => {
  await assert.rejects(start('--model_control_mode=sometimes', `--model_base_path=${join(models, 'half_plus_two')}`), /--model_control_mode must be one of none, poll, explicit/);
});

test('poll mode: an API load and a config-file reload replace each other (last writer wins), and the index shows the source', async () => {
  const { singleModelConfig } = await import('../../../src/config/model-server-config.js');
  const s = await start(`--model_repository=${models}`, '--model_name=half_plus_two', `--model_base_path=${join(models, 'half_plus_two')}`);
  const rest = new V2RestClient(`http://127.0.0.1:${s.restPort}`);
  try {
    assert.equal((await rest.post('/v2/repository/models/my_model/load')).status, 200);
    let index = (await rest.post('/v2/repository/index', { ready: true })).body;
    assert.deepEqual(index.map((m: any) => [m.name, m.source]), [['half_plus_two', 'config'], ['my_model', 'api']]);
    // What the config-file poller does when the file changes: it lists half_plus_two only.
    await s.core.reloadConfig(singleModelConfig('half_plus_two', join(models, 'half_plus_two')), { source: 'file' });
    index = (await rest.post('/v2/repository/index')).body;
    assert.deepEqual(index.map((m: any) => [m.name, m.source]), [['half_plus_two', 'config'], ['my_model', 'repository']]);
    assert.equal(index[1].reason, 'unloaded');
    // And an API load after it wins again.
    assert.equal((await rest.post('/v2/repository/models/my_model/load')).status, 200);
    index = (await rest.post('/v2/repository/index', { ready: true })).body;
    assert.deepEqual(index.map((m: any) => [m.name, m.source]), [['half_plus_two', 'config'], ['my_model', 'api']]);
  } finally {
    await s.shutdown(1000);
  }
});
