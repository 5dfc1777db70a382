import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile, appendFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AspiredVersion } from '../../src/core/aspired-versions-manager.js';
import { FileSystemSource } from '../../src/sources/file-system-source.js';
import { parseStorageLocation } from '../../src/sources/storage-location.js';
import { structureOf } from '../../src/sources/version-dir.js';
import { captureLogger, sleepMs, tempDir, waitFor, writeVersion } from '../core/lifecycle-helpers.js';

function recorder() {
  const calls: Array<{ name: string; versions: number[] }> = [];
  const last = new Map<string, AspiredVersion[]>();
  return {
    calls,
    last,
    cb: (name: string, versions: AspiredVersion[]) => {
      calls.push({ name, versions: versions.map((v) => v.version) });
      last.set(name, versions);
    },
    versionsOf: (name: string) => last.get(name)?.map((v) => v.version),
  };
}

test('structureOf: what a complete version directory needs', () => {
  const table: Array<[string[], string[] | undefined, string | undefined]> = [
    [[], undefined, 'empty'],
    [['saved_model.pb'], undefined, undefined],
    [['saved_model.pbtxt', 'assets'], undefined, undefined],
    [['variables'], [], 'no-saved-model'],
    [['saved_model.pb', 'variables'], [], undefined], // empty variables dir: a model without variables
    [['saved_model.pb', 'variables'], ['variables.data-00000-of-00001'], 'no-variables-index'],
    [['saved_model.pb', 'variables'], ['variables.index'], 'missing-variables-shards'],
    [['saved_model.pb', 'variables'], ['variables.index', 'variables.data-00000-of-00001'], undefined],
    [['saved_model.pb', 'variables'], ['variables.index', 'variables.data-00000-of-00002'], 'missing-variables-shards'],
    [['saved_model.pb', 'variables'], ['variables.index', 'variables.data-00001-of-00002', 'variables.data-00000-of-00002'], undefined],
  ];
  for (const [entries, vars, want] of table) assert.equal(structureOf(entries, vars), want, JSON.stringify([entries, vars]));
});

test('parseStorageLocation: absolute paths, file:// URIs, s3:// prefixes, and schemes tfs has no file system for', () => {
  assert.deepEqual(parseStorageLocation('/models/m'), { kind: 'local', path: '/models/m' });
  assert.deepEqual(parseStorageLocation('file:///models/m'), { kind: 'local', path: '/models/m' });
  assert.deepEqual(parseStorageLocation('s3://bucket/models/m'), { kind: 's3', uri: 's3://bucket/models/m', bucket: 'bucket', prefix: 'models/m/' });
  assert.deepEqual(parseStorageLocation('s3://bucket/m/'), { kind: 's3', uri: 's3://bucket/m/', bucket: 'bucket', prefix: 'm/' });
  assert.deepEqual(parseStorageLocation('S3://bucket'), { kind: 's3', uri: 'S3://bucket', bucket: 'bucket', prefix: '' });
  const noBucket = parseStorageLocation('s3:///m');
  assert.equal(noBucket.kind === 'unsupported' && noBucket.error, "INVALID_ARGUMENT: S3 path doesn't contain a bucket name: s3:///m");
  const gs = parseStorageLocation('gs://bucket/m');
  assert.equal(gs.kind, 'unsupported');
  assert.match(gs.kind === 'unsupported' ? gs.error : '', /^UNIMPLEMENTED: File system scheme 'gs' not implemented \(file: 'gs:\/\/bucket\/m'\); .*S3 interoperability endpoint.*mount the bucket as a volume/);
  const hdfs = parseStorageLocation('hdfs://namenode:9000/m');
  assert.match(hdfs.kind === 'unsupported' ? hdfs.error : '', /^UNIMPLEMENTED: File system scheme 'hdfs' not implemented .*Mount the hdfs:\/\/ store as a volume/);
});

test('numeric directories only; policy applied; duplicates: last in sorted order wins', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const cap = captureLogger();
  const base = join(dir, 'm');
  await writeVersion(base, 1);
  await writeVersion(base, '0002');
  await writeVersion(base, 2); // duplicate of 0002: '2' sorts after '0002' and wins
  await writeVersion(base, 'tmp-3');
  await writeFile(join(base, '7'), 'a file, not a version');
  await mkdir(join(base, 'latest'));
  await symlink(join(base, '1'), join(base, '9')); // a symlink to a directory counts
  const rec = recorder();
  const src = new FileSystemSource({ pollWaitSeconds: -1, logger: cap.logger, settleMs: 5 });
  src.setAspiredVersionsCallback(rec.cb);
  src.updateConfig([{ name: 'm', basePath: base, policy: { kind: 'all' } }]);
  src.start();
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), [1, 2, 9]);
  assert.equal(rec.last.get('m')?.find((v) => v.version === 2)?.path, join(base, '2'));
  assert.ok(cap.has('Duplicate version directories detected. Version 2 will be loaded from 2, 0002 will be ignored.'));

  src.updateConfig([{ name: 'm', basePath: base, policy: { kind: 'latest', numVersions: 2 } }]);
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), [2, 9]);

  src.updateConfig([{ name: 'm', basePath: base, policy: { kind: 'specific', versions: [1, 5] } }]);
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), [1]);
  assert.ok(
    cap.has(
      "Version 5 of servable m, which was requested to be served as a 'specific' version in the servable's version policy, was not found in the file system",
    ),
  );
  await src.close();
});

test('a missing base path fails the whole round with upstream\'s log line; nothing changes', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const cap = captureLogger();
  const good = join(dir, 'good');
  await writeVersion(good, 1);
  const rec = recorder();
  const src = new FileSystemSource({ pollWaitSeconds: -1, logger: cap.logger, settleMs: 5 });
  src.setAspiredVersionsCallback(rec.cb);
  src.updateConfig([{ name: 'good', basePath: good, policy: { kind: 'latest', numVersions: 1 } }]);
  src.start();
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('good'), [1]);
  const missing = join(dir, 'nope');
  src.updateConfig([
    { name: 'good', basePath: good, policy: { kind: 'latest', numVersions: 1 } },
    { name: 'missing', basePath: missing, policy: { kind: 'latest', numVersions: 1 } },
  ]);
  await writeVersion(good, 2);
  const before = rec.calls.length;
  await src.pollNow();
  assert.equal(rec.calls.length, before, 'no aspired-versions call in a failed round');
  assert.ok(
    cap.has(
      `FileSystemStoragePathSource encountered a filesystem access error: Could not find base path ${missing} for servable missing with error NOT_FOUND: ${missing} not found`,
    ),
  );
  assert.equal(cap.lines.find((l) => l.msg.startsWith('FileSystemStoragePathSource'))?.level, 'error');
  // The path appears: the next round serves both.
  await writeVersion(missing, 4);
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('good'), [2]);
  assert.deepEqual(rec.versionsOf('missing'), [4]);
  await src.close();
});

test('no versions: upstream warning and an empty aspired list; removed models get an empty list at once', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const cap = captureLogger();
  const base = join(dir, 'm');
  await mkdir(join(base, 'not-a-number'), { recursive: true });
  const rec = recorder();
  const src = new FileSystemSource({ pollWaitSeconds: -1, logger: cap.logger, settleMs: 5 });
  src.setAspiredVersionsCallback(rec.cb);
  src.updateConfig([{ name: 'm', basePath: base, policy: { kind: 'latest', numVersions: 1 } }]);
  src.start();
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), []);
  assert.ok(
    cap.has(`No versions of servable m found under base path ${base}. Did you forget to name your leaf directory as a number (eg. '/1/')?`),
  );
  assert.equal(cap.lines.find((l) => l.msg.startsWith('No versions'))?.level, 'warn');
  await writeVersion(base, 3);
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), [3]);
  src.updateConfig([]);
  assert.deepEqual(rec.calls.at(-1), { name: 'm', versions: [] });
  await src.close();
});

test('a version being written is offered only once complete and stable', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const cap = captureLogger();
  const base = join(dir, 'm');
  await writeVersion(base, 1);
  const rec = recorder();
  const src = new FileSystemSource({ pollWaitSeconds: -1, logger: cap.logger, settleMs: 30, incompleteVersionGraceMs: 60_000 });
  src.setAspiredVersionsCallback(rec.cb);
  src.updateConfig([{ name: 'm', basePath: base, policy: { kind: 'latest', numVersions: 1 } }]);
  src.start();
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), [1]);

  // Version 2 appears piece by piece, as a copy would write it.
  const v2 = join(base, '2');
  await mkdir(v2);
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), [1], 'empty directory: not a version yet');
  await mkdir(join(v2, 'variables'));
  await writeFile(join(v2, 'variables', 'variables.data-00000-of-00001'), 'partial');
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), [1], 'no saved_model.pb yet');
  await writeFile(join(v2, 'saved_model.pb'), 'ok');
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), [1], 'variables index missing');
  await writeFile(join(v2, 'variables', 'variables.index'), 'index');
  // Structurally complete now, but a file keeps growing while the source looks twice.
  const grow = (async () => {
    for (let i = 0; i < 8; i++) {
      await appendFile(join(v2, 'variables', 'variables.data-00000-of-00001'), 'more');
      await sleepMs(10);
    }
  })();
  await src.pollNow();
  await grow;
  assert.deepEqual(rec.versionsOf('m'), [1], 'still changing');
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), [2], 'complete and stable');
  assert.ok(cap.has(/Version 2 of servable m at .* is not complete yet/));
  await src.close();
});

test('an incomplete directory that stops changing is offered after the grace period', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const cap = captureLogger();
  const base = join(dir, 'm');
  await mkdir(join(base, '5'), { recursive: true });
  await writeFile(join(base, '5', 'export.meta'), 'not a SavedModel');
  const rec = recorder();
  const src = new FileSystemSource({ pollWaitSeconds: -1, logger: cap.logger, settleMs: 5, incompleteVersionGraceMs: 150 });
  src.setAspiredVersionsCallback(rec.cb);
  src.updateConfig([{ name: 'm', basePath: base, policy: { kind: 'latest', numVersions: 1 } }]);
  src.start();
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), []);
  await sleepMs(200);
  await src.pollNow();
  assert.deepEqual(rec.versionsOf('m'), [5]);
  assert.ok(cap.has(/Version 5 of servable m at .* is incomplete \(no saved_model.pb or saved_model.pbtxt yet\) and has not changed for 150 ms; loading it anyway/));
  await src.close();
});

test('the watcher reacts to a new version long before the next poll; a moved directory is seen', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const base = join(dir, 'm');
  await writeVersion(base, 1);
  const rec = recorder();
  // A 30 s period: only the watcher can explain a quick update.
  const src = new FileSystemSource({ pollWaitSeconds: 30, settleMs: 20, watchDebounceMs: 30 });
  src.setAspiredVersionsCallback(rec.cb);
  src.updateConfig([{ name: 'm', basePath: base, policy: { kind: 'latest', numVersions: 1 } }]);
  src.start();
  await waitFor(() => rec.versionsOf('m')?.join() === '1', 3000, 'first poll');
  // Export elsewhere, then move into place (the recommended way to publish a version).
  await writeVersion(dir, 'staging');
  await rename(join(dir, 'staging'), join(base, '2'));
  await waitFor(() => rec.versionsOf('m')?.join() === '2', 3000, 'watcher-triggered poll');
  await rm(join(base, '2'), { recursive: true });
  await waitFor(() => rec.versionsOf('m')?.join() === '1', 3000, 'deletion seen');
  await src.close();
});

test('pollWaitSeconds 0 polls once (and newly added models once); negative never polls by itself', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const base = join(dir, 'm');
  await writeVersion(base, 1);
  const once = recorder();
  const src = new FileSystemSource({ pollWaitSeconds: 0, settleMs: 5 });
  src.setAspiredVersionsCallback(once.cb);
  src.updateConfig([{ name: 'm', basePath: base, policy: { kind: 'latest', numVersions: 1 } }]);
  src.start();
  await waitFor(() => once.calls.length === 1, 2000, 'the one poll');
  await writeVersion(base, 2);
  const other = join(dir, 'o');
  await writeVersion(other, 7);
  src.updateConfig([
    { name: 'm', basePath: base, policy: { kind: 'latest', numVersions: 1 } },
    { name: 'o', basePath: other, policy: { kind: 'latest', numVersions: 1 } },
  ]);
  await waitFor(() => once.versionsOf('o')?.join() === '7', 2000, 'added model polled once');
  await sleepMs(100);
  assert.deepEqual(once.versionsOf('m'), [1], 'existing model not polled again');
  await src.close();

  const never = recorder();
  const idle = new FileSystemSource({ pollWaitSeconds: -1, settleMs: 5 });
  idle.setAspiredVersionsCallback(never.cb);
  idle.updateConfig([{ name: 'm', basePath: base, policy: { kind: 'latest', numVersions: 1 } }]);
  idle.start();
  await sleepMs(100);
  assert.equal(never.calls.length, 0);
  await idle.pollNow();
  assert.deepEqual(never.versionsOf('m'), [2]);
  await idle.close();
});

test('a model added while a round is running is polled right after it, not at the next period', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  await writeVersion(a, 1);
  await writeVersion(b, 1);
  const rec = recorder();
  // A 30 s period and no watcher: only updateConfig's own poll can report b in time.
  const src = new FileSystemSource({ pollWaitSeconds: 30, watch: false, settleMs: 150 });
  src.setAspiredVersionsCallback(rec.cb);
  src.updateConfig([{ name: 'a', basePath: a, policy: { kind: 'latest', numVersions: 1 } }]);
  src.start(); // the first round is now settling version a/1 for 150 ms
  await sleepMs(30);
  src.updateConfig([
    { name: 'a', basePath: a, policy: { kind: 'latest', numVersions: 1 } },
    { name: 'b', basePath: b, policy: { kind: 'latest', numVersions: 1 } },
  ]);
  await waitFor(() => rec.versionsOf('b')?.join() === '1', 2000, 'b reported');
  assert.deepEqual(rec.versionsOf('a'), [1]);
  await src.close();
});

test('polling once still picks up a version that was being written at that moment', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const base = join(dir, 'm');
  await mkdir(join(base, '1', 'variables'), { recursive: true });
  await writeFile(join(base, '1', 'saved_model.pb'), 'ok');
  await writeFile(join(base, '1', 'variables', 'variables.data-00000-of-00001'), 'data'); // index still missing
  const rec = recorder();
  const src = new FileSystemSource({ pollWaitSeconds: 0, settleMs: 10, incompleteVersionGraceMs: 60_000 });
  src.setAspiredVersionsCallback(rec.cb);
  src.updateConfig([{ name: 'm', basePath: base, policy: { kind: 'latest', numVersions: 1 } }]);
  src.start();
  await waitFor(() => rec.calls.length === 1, 2000, 'the one poll');
  assert.deepEqual(rec.versionsOf('m'), []);
  await writeFile(join(base, '1', 'variables', 'variables.index'), 'index');
  await waitFor(() => rec.versionsOf('m')?.join() === '1', 3000, 'the version once complete');
  await src.close();
});
