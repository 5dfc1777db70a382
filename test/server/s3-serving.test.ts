/**
 * `tfs serve` with `--model_base_path=s3://…`, in-process, against a real S3-compatible
 * server (s3rver) on loopback: a fixture model served from the bucket, a new version
 * uploaded under load picked up with no failed request, a removed version unloaded (its
 * local copy with it), and start-up failing clearly on a missing bucket or an unsupported
 * scheme. Waits are on the core's events, never on timers.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import type { LoadEvent, ServableStateEvent } from '../../src/core/events.js';
import { parseServeFlags } from '../../src/server/flags.js';
import { StartupError, startServer, type RunningServer } from '../../src/server/server.js';
import { tempDir } from '../core/lifecycle-helpers.js';
import { fixtures } from '../helpers/paths.js';
import { startS3Server } from '../helpers/s3-server.js';

const HALF_PLUS_TWO = join(fixtures, 'models', 'half_plus_two', '00000123');

const flags = (...args: string[]): ReturnType<typeof parseServeFlags>['values'] =>
  parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', ...args], {}).values;

async function predict(s: RunningServer, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${s.restPort}/v1/models/hp:predict`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** Resolves with the first servableState event matching. */
function state(s: RunningServer, version: number, wanted: ServableStateEvent['state']): Promise<ServableStateEvent> {
  return new Promise((resolve) => {
    const on = (e: ServableStateEvent): void => {
      if (e.name === 'hp' && e.version === version && e.state === wanted) {
        s.core.events.off('servableState', on);
        resolve(e);
      }
    };
    s.core.events.on('servableState', on);
  });
}

test('a model served from s3://: predict, a new version under load, a removed version unloaded with its local copy', async (t) => {
  const s3 = await startS3Server(['models']);
  const cache = await tempDir('tfs-s3-serve-cache-');
  Object.assign(process.env, s3.env, { TFS_MODEL_CACHE_DIR: cache.dir });
  t.after(async () => {
    await s3.close();
    await cache.cleanup();
  });
  await s3.putTree(HALF_PLUS_TWO, 'models', 'team/hp/123');
  const loads: LoadEvent[] = [];
  const s = await startServer({ flags: flags('--model_name=hp', '--model_base_path=s3://models/team/hp'), logger: pino({ level: 'silent' }) });
  t.after(() => s.shutdown(0));
  s.core.events.on('load', (e) => loads.push(e));
  assert.deepEqual(await predict(s, { instances: [1, 2, 5] }), { status: 200, body: { predictions: [2.5, 3, 4.5] } });
  // Served from a complete local copy under $TFS_MODEL_CACHE_DIR.
  const [root] = readdirSync(cache.dir);
  const path123 = join(cache.dir, root!, 'hp', readdirSync(join(cache.dir, root!, 'hp'))[0]!);
  assert.ok(readFileSync(join(path123, 'saved_model.pb')).equals(readFileSync(join(HALF_PLUS_TWO, 'saved_model.pb'))));

  // Version 124 is uploaded (saved_model.pb last) while requests keep coming: none fails.
  const available124 = state(s, 124, 'AVAILABLE');
  const end123 = state(s, 123, 'END');
  let stop = false;
  const statuses: number[] = [];
  const load = (async () => {
    // Bounded: stops at the events below, or after 20000 requests.
    while (!stop && statuses.length < 20_000) statuses.push((await predict(s, { instances: [1] })).status);
  })();
  await s3.putTree(HALF_PLUS_TWO, 'models', 'team/hp/124', (files) => [...files.filter((f) => f !== 'saved_model.pb'), 'saved_model.pb']);
  await available124;
  await end123;
  stop = true;
  await load;
  assert.ok(statuses.length > 0 && statuses.every((c) => c === 200), JSON.stringify(statuses.filter((c) => c !== 200)));
  const path124 = loads.find((e) => e.version === 124 && e.ok)!.path;
  assert.ok(path124.startsWith(cache.dir), path124);
  // 123 left the aspired list and was unloaded: its local copy is gone.
  assert.equal(existsSync(path123), false);
  assert.deepEqual(s.core.getModelStatus('hp').map((r) => [r.version, r.state]), [[124, 'AVAILABLE'], [123, 'END']]);

  // Version 124 is removed from the bucket: it is unloaded, its copy removed, 123 comes back.
  const end124 = state(s, 124, 'END');
  const back123 = state(s, 123, 'AVAILABLE');
  await s3.removePrefix('models', 'team/hp/124/');
  await end124;
  assert.equal(existsSync(path124), false, 'the local copy of an unloaded version is removed');
  await back123;
  assert.deepEqual(await predict(s, { instances: [2] }), { status: 200, body: { predictions: [3] } });
});

test('start-up fails clearly on a missing bucket, an unknown access key, and a scheme tfs cannot read', async (t) => {
  const s3 = await startS3Server(['models']);
  Object.assign(process.env, s3.env);
  t.after(() => s3.close());
  const fails = async (basePath: string, env: Record<string, string>, text: RegExp): Promise<void> => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      await assert.rejects(startServer({ flags: flags('--model_name=m', `--model_base_path=${basePath}`), logger: pino({ level: 'silent' }) }), (e: unknown) => {
        assert.ok(e instanceof StartupError, String(e));
        assert.match(e.message, text);
        return true;
      });
    } finally {
      process.env = saved;
    }
  };
  await fails('s3://nobucket/m', {}, new RegExp(`^Could not find base path s3://nobucket/m for servable m with error NOT_FOUND: bucket nobucket does not exist at ${s3.endpoint} `));
  await fails('s3://models/m', {}, /^Could not find base path s3:\/\/models\/m for servable m with error NOT_FOUND: no objects under s3:\/\/models\/m$/);
  await fails('s3://models/m', { AWS_ACCESS_KEY_ID: 'NOBODY' }, /^Could not find base path s3:\/\/models\/m for servable m with error PERMISSION_DENIED: .*InvalidAccessKeyId/);
  await fails('gs://bucket/m', {}, /^Could not find base path gs:\/\/bucket\/m for servable m with error UNIMPLEMENTED: File system scheme 'gs' not implemented .*S3 interoperability endpoint/);
});
