/**
 * A version rollout under request load, end to end: a new version directory is copied into
 * the model's base path (as a user would, with a plain recursive copy) while REST and gRPC
 * clients keep predicting. No request may fail; the new version becomes the latest and the
 * old one is unloaded afterwards (upstream's availability-preserving policy).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { call, connect, makeNdarray, makeTensorProto, type TestClients } from '../server/grpc/client.js';
import { copyModels, getJson, postJson, startServe, type Serve } from './serve-harness.js';

describe('version rollout under load', { timeout: 120_000 }, () => {
  let models: ReturnType<typeof copyModels>;
  let s: Serve;
  let clients: TestClients;
  before(async () => {
    models = copyModels('half_plus_two');
    s = await startServe(['--model_name=half_plus_two', `--model_base_path=${models.path('half_plus_two')}`]);
    clients = connect(s.grpcPort);
  });
  after(async () => {
    clients?.close();
    await s?.stop('SIGKILL');
    models?.cleanup();
  });

  test('copying version 124 in: no request fails, 124 becomes latest, 123 unloads', async () => {
    const failures: string[] = [];
    const grpcVersions: string[] = [];
    let done = 0;
    let stop = false;
    let sawNew!: () => void;
    const newVersionServed = new Promise<void>((r) => (sawNew = r));

    // Two REST and two gRPC clients, one request at a time each (a small, bounded load).
    const restLoop = async (i: number): Promise<void> => {
      for (let n = 0; !stop && n < 5000; n++) {
        const x = i * 10 + (n % 10);
        try {
          const r = await postJson(`${s.rest}/v1/models/half_plus_two:predict`, { instances: [[x]] });
          if (r.status !== 200 || r.body.predictions[0][0] !== 0.5 * x + 2) failures.push(`REST ${r.status} ${JSON.stringify(r.body)}`);
        } catch (e) {
          failures.push(`REST ${String(e)}`);
        }
        done++;
      }
    };
    const grpcLoop = async (i: number): Promise<void> => {
      for (let n = 0; !stop && n < 5000; n++) {
        const x = i * 10 + (n % 10);
        const r = await call(
          clients.prediction,
          'Predict',
          { model_spec: { name: 'half_plus_two' }, inputs: { x: makeTensorProto('DT_FLOAT', [1, 1], [x]) } },
          30_000,
        );
        if (r.err) {
          failures.push(`gRPC ${r.err.code} ${r.err.details}`);
        } else {
          const v = r.res.model_spec.version.value as string;
          grpcVersions.push(v);
          if (v === '124') sawNew();
          const y = makeNdarray(r.res.outputs.y).values[0];
          if (y !== 0.5 * x + 2) failures.push(`gRPC wrong answer ${String(y)} for ${x}`);
        }
        done++;
      }
    };
    const loops = [restLoop(1), restLoop(2), grpcLoop(3), grpcLoop(4)];
    try {
      // Let the load run before the rollout: wait for some answers.
      while (done < 20 && failures.length === 0) await new Promise((r) => setImmediate(r));

      cpSync(join(models.path('half_plus_two'), '00000123'), join(models.path('half_plus_two'), '00000124'), { recursive: true });

      await s.waitForLog((l) => l.msg === 'Successfully loaded servable version {name: half_plus_two version: 124}', 60_000, 'version 124 loaded');
      await Promise.race([
        newVersionServed,
        new Promise((_, reject) => setTimeout(() => reject(new Error('no gRPC answer from version 124 within 30 s')), 30_000)),
      ]);
      await s.waitForLog((l) => l.msg === 'Done unloading servable version {name: half_plus_two version: 123}', 60_000, 'version 123 unloaded');
      // Keep the load going a little past the unload.
      const after = done;
      while (done < after + 20 && failures.length === 0) await new Promise((r) => setImmediate(r));
    } finally {
      stop = true;
      await Promise.all(loops);
    }

    assert.deepEqual(failures, [], `${failures.length} of ${done} requests failed`);
    assert.ok(done >= 40, `requests answered: ${done}`);
    assert.equal(grpcVersions[0], '123');
    assert.equal(grpcVersions.at(-1), '124');
    // Once 124 answered, every later request was answered by 124 (latest never goes back).
    assert.ok(grpcVersions.slice(grpcVersions.indexOf('124')).every((v) => v === '124'));

    const status = await getJson(`${s.rest}/v1/models/half_plus_two`);
    assert.deepEqual(
      status.body.model_version_status.map((v: any) => [v.version, v.state]),
      [
        ['124', 'AVAILABLE'],
        ['123', 'END'],
      ],
    );
  });
});
