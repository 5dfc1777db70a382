/**
 * s3:// base paths in the file-system source, against a real S3-compatible server (s3rver)
 * on loopback: version listing, complete-only offers, atomic local copies and their
 * removal, and the errors a missing bucket, refused credentials or a dead endpoint give.
 * Every poll is driven by pollNow() (pollWaitSeconds -1): no timers.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AspiredVersion } from '../../src/core/aspired-versions-manager.js';
import { FileSystemSource } from '../../src/sources/file-system-source.js';
import { s3SettingsFromEnv } from '../../src/sources/s3-store.js';
import { probeS3BasePath, S3Versions } from '../../src/sources/s3-versions.js';
import { parseStorageLocation } from '../../src/sources/storage-location.js';
import { silentLogger } from '../../src/util/logger.js';
import { captureLogger, tempDir } from '../core/lifecycle-helpers.js';
import { fixtures } from '../helpers/paths.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';

const MY_MODEL = join(fixtures, 'models', 'my_model');

test('S3 settings from the environment, as TensorFlow reads them', () => {
  const s = s3SettingsFromEnv({ S3_ENDPOINT: 'minio:9000', S3_USE_HTTPS: '0', S3_VERIFY_SSL: '0', AWS_REGION: 'eu-west-1', S3_CONNECT_TIMEOUT_MSEC: '250' });
  assert.deepEqual(
    { endpoint: s.endpoint, region: s.region, verifySsl: s.verifySsl, connect: s.connectTimeoutMs },
    { endpoint: 'http://minio:9000', region: 'eu-west-1', verifySsl: false, connect: 250 },
  );
  assert.equal(s3SettingsFromEnv({ S3_ENDPOINT: 'minio:9000' }).endpoint, 'https://minio:9000');
  assert.equal(s3SettingsFromEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }).endpoint, 'http://127.0.0.1:9000');
  // TF's variable wins over the SDK's; with neither, AWS itself (virtual-hosted addressing).
  assert.equal(s3SettingsFromEnv({ S3_ENDPOINT: 'http://a:1', AWS_ENDPOINT_URL: 'http://b:2' }).endpoint, 'http://a:1');
  const aws = s3SettingsFromEnv({});
  assert.deepEqual({ endpoint: aws.endpoint, region: aws.region, https: aws.useHttps, verify: aws.verifySsl }, { endpoint: undefined, region: undefined, https: true, verify: true });
});

async function withServer(t: import('node:test').TestContext): Promise<{ s3: S3TestServer; env: NodeJS.ProcessEnv; cache: string }> {
  const s3 = await startS3Server(['models']);
  const { dir, cleanup } = await tempDir('tfs-s3-cache-');
  t.after(async () => {
    await s3.close();
    await cleanup();
  });
  return { s3, env: { ...s3.env, TFS_MODEL_CACHE_DIR: dir }, cache: dir };
}

function source(env: NodeJS.ProcessEnv, logger = silentLogger) {
  const last = new Map<string, AspiredVersion[]>();
  const src = new FileSystemSource({ pollWaitSeconds: -1, watch: false, settleMs: 5, logger, env });
  src.setAspiredVersionsCallback((name, versions) => last.set(name, versions));
  return { src, last, versionsOf: (name: string) => last.get(name)?.map((v) => v.version) };
}

/** Every regular file under `dir`, relative, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

test('versions are the numeric prefixes; each offered version is a complete local copy, byte for byte', async (t) => {
  const { s3, env, cache } = await withServer(t);
  await s3.putTree(join(MY_MODEL, '1'), 'models', 'team/my_model/1');
  await s3.putTree(join(MY_MODEL, '2'), 'models', 'team/my_model/00002');
  await s3.putTree(join(MY_MODEL, '2'), 'models', 'team/my_model/tmp-3');
  await s3.putObject('models', 'team/my_model/README', 'not a version');
  const { src, last, versionsOf } = source(env);
  t.after(() => src.close());
  src.updateConfig([{ name: 'm', basePath: 's3://models/team/my_model', policy: { kind: 'all' } }]);
  src.start();
  await src.pollNow();
  assert.deepEqual(versionsOf('m'), [1, 2]);
  for (const [v, dir] of [[1, '1'], [2, '2']] as const) {
    const path = last.get('m')!.find((x) => x.version === v)!.path;
    assert.ok(path.startsWith(cache + '/'), path);
    assert.deepEqual(files(path), files(join(MY_MODEL, dir)));
    for (const f of files(path)) assert.ok(readFileSync(join(path, f)).equals(readFileSync(join(MY_MODEL, dir, f))), f);
  }
  // Nothing half-written is left next to the copies.
  const root = readdirSync(cache).map((d) => join(cache, d));
  assert.equal(root.length, 1);
  assert.deepEqual(readdirSync(root[0]!).filter((n) => n.startsWith('.')), []);

  // The policy is applied to the listing; an unchanged version is not downloaded again.
  const before = last.get('m')!.find((x) => x.version === 2)!.path;
  src.updateConfig([{ name: 'm', basePath: 's3://models/team/my_model', policy: { kind: 'latest', numVersions: 1 } }]);
  await src.pollNow();
  assert.deepEqual(last.get('m'), [{ version: 2, path: before }]);
  // Closing the source removes its copies.
  await src.close();
  assert.deepEqual(readdirSync(cache), []);
});

test('a version is offered only once its upload is complete (saved_model.pb and every variables shard)', async (t) => {
  const { s3, env } = await withServer(t);
  await s3.putTree(join(MY_MODEL, '1'), 'models', 'm/1');
  const cap = captureLogger();
  const { src, versionsOf } = source(env, cap.logger);
  t.after(() => src.close());
  src.updateConfig([{ name: 'm', basePath: 's3://models/m/', policy: { kind: 'latest', numVersions: 1 } }]);
  src.start();
  await src.pollNow();
  assert.deepEqual(versionsOf('m'), [1]);
  // Version 2 arrives saved_model.pb last: not offered, version 1 stays. (fingerprint.pb goes
  // first because s3rver's delimiter listing shows a prefix only once a file sits directly in it.)
  await s3.putObject('models', 'm/2/fingerprint.pb', readFileSync(join(MY_MODEL, '2', 'fingerprint.pb')));
  await s3.putObject('models', 'm/2/variables/variables.index', readFileSync(join(MY_MODEL, '2', 'variables', 'variables.index')));
  await src.pollNow();
  assert.deepEqual(versionsOf('m'), [1]);
  assert.ok(cap.has('Version 2 of servable m at s3://models/m/2/ is not complete yet (no saved_model.pb or saved_model.pbtxt yet)'));
  await s3.putObject('models', 'm/2/saved_model.pb', readFileSync(join(MY_MODEL, '2', 'saved_model.pb')));
  await src.pollNow();
  assert.deepEqual(versionsOf('m'), [1], 'the index names a shard that is not there yet');
  await s3.putObject('models', 'm/2/variables/variables.data-00000-of-00001', readFileSync(join(MY_MODEL, '2', 'variables', 'variables.data-00000-of-00001')));
  await src.pollNow();
  assert.deepEqual(versionsOf('m'), [2]);
});

test('a local copy goes when its version has left the aspired list and was unloaded (END), not before', async (t) => {
  const { s3, env } = await withServer(t);
  await s3.putTree(join(MY_MODEL, '1'), 'models', 'm/1');
  await s3.putTree(join(MY_MODEL, '2'), 'models', 'm/2');
  const { src, last } = source(env);
  t.after(() => src.close());
  src.updateConfig([{ name: 'm', basePath: 's3://models/m', policy: { kind: 'all' } }]);
  src.start();
  await src.pollNow();
  const [one, two] = last.get('m')!.map((v) => v.path);
  // Still aspired: END (a failed load) keeps the copy.
  src.releaseVersion('m', 1);
  assert.ok(existsSync(one!));
  await s3.removePrefix('models', 'm/1/');
  await src.pollNow();
  assert.deepEqual(last.get('m')!.map((v) => v.version), [2]);
  // Ended before it left the list: removed as it leaves.
  assert.equal(existsSync(one!), false);
  // Removing the model: version 2 leaves the list; its copy goes at END.
  src.updateConfig([]);
  assert.ok(existsSync(two!));
  src.releaseVersion('m', 2);
  assert.equal(existsSync(two!), false);
});

test('a download that fails leaves no partial copy and offers nothing; the next poll tries again', async (t) => {
  const { s3, env, cache } = await withServer(t);
  await s3.putTree(join(MY_MODEL, '1'), 'models', 'm/1');
  const cap = captureLogger();
  const versions = new S3Versions({ logger: cap.logger, settleMs: 5, graceMs: 3000, signal: new AbortController().signal, env });
  t.after(() => versions.close());
  const loc = parseStorageLocation('s3://models/m');
  assert.equal(loc.kind, 's3');
  if (loc.kind !== 's3') return;
  const real = versions.store.download.bind(versions.store);
  // The first download loses its connection half-way (the first object is already on disk).
  versions.store.download = async (bucket, prefix, objects, dest, signal) => {
    await real(bucket, prefix, objects.slice(0, 1), dest, signal);
    throw new Error('connection reset');
  };
  assert.equal(await versions.localCopy('m', loc, 1, '1'), undefined);
  assert.ok(cap.has(/^Downloading version 1 of servable m from s3:\/\/models\/m\/1\/ failed \(tried again at the next poll\): connection reset$/));
  const [root] = readdirSync(cache);
  assert.deepEqual(readdirSync(join(cache, root!)), [], 'the partial download was removed');
  versions.store.download = real;
  const path = await versions.localCopy('m', loc, 1, '1');
  assert.ok(path !== undefined && existsSync(join(path, 'saved_model.pb')));
});

test('a missing bucket, refused credentials and a dead endpoint: a clear status, and a failed poll changes nothing', async (t) => {
  const { s3, env } = await withServer(t);
  await s3.putTree(join(MY_MODEL, '1'), 'models', 'm/1');
  const loc = (uri: string) => {
    const l = parseStorageLocation(uri);
    assert.equal(l.kind, 's3');
    return l as Extract<typeof l, { kind: 's3' }>;
  };
  assert.equal(await probeS3BasePath(loc('s3://models/m'), env), undefined);
  assert.match((await probeS3BasePath(loc('s3://nobucket/m'), env))!, new RegExp(`^NOT_FOUND: bucket nobucket does not exist at ${s3.endpoint} \\(NoSuchBucket: `));
  assert.equal(await probeS3BasePath(loc('s3://models/nothing-here'), env), 'NOT_FOUND: no objects under s3://models/nothing-here');
  assert.match((await probeS3BasePath(loc('s3://models/m'), { ...env, AWS_ACCESS_KEY_ID: 'NOBODY' }))!, /^PERMISSION_DENIED: .*\(InvalidAccessKeyId: /);

  const cap = captureLogger();
  const { src, versionsOf } = source(env, cap.logger);
  t.after(() => src.close());
  src.updateConfig([{ name: 'm', basePath: 's3://models/m', policy: { kind: 'latest', numVersions: 1 } }]);
  src.start();
  await src.pollNow();
  assert.deepEqual(versionsOf('m'), [1]);
  // The store goes away: the poll fails, is logged, and the served version stays.
  await s3.close();
  let offers = 0;
  src.setAspiredVersionsCallback(() => offers++);
  await src.pollNow();
  assert.equal(offers, 0);
  assert.ok(
    cap.has(new RegExp(`^FileSystemStoragePathSource encountered a filesystem access error: Could not find base path s3://models/m for servable m with error UNAVAILABLE: cannot reach the S3 endpoint ${s3.endpoint} \\(ECONNREFUSED`)),
    JSON.stringify(cap.lines.slice(-3)),
  );
});
