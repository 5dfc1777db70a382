import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AspiredVersionsManager,
  type AspiredVersionsManagerOptions,
  type ServableId,
} from '../../src/core/aspired-versions-manager.js';
import type { ServableStateEvent } from '../../src/core/events.js';
import { Code, TfsError } from '../../src/errors.js';
import type { ModelServable } from '../../src/core/servable.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeServable, captureLogger, sleepMs, waitFor } from './lifecycle-helpers.js';

interface Harness {
  manager: AspiredVersionsManager;
  states: ServableStateEvent[];
  /** Every load attempt: version and attempt number, and whether it succeeded. */
  loads: Array<{ version: number; attempt: number; ok: boolean }>;
  trail: (name: string) => string[];
}

/** A manager whose loads are decided by `decide(id, attempt)`: a servable, an error, or a delay first. */
function setup(
  decide: (id: ServableId, attempt: number) => Promise<ModelServable>,
  overrides: Partial<AspiredVersionsManagerOptions> = {},
): Harness {
  const states: ServableStateEvent[] = [];
  const loads: Harness['loads'] = [];
  const manager = new AspiredVersionsManager({
    load: async (id, _path, _signal, attempt) => {
      try {
        const s = await decide(id, attempt);
        loads.push({ version: id.version, attempt, ok: true });
        return s;
      } catch (e) {
        loads.push({ version: id.version, attempt, ok: false });
        throw e;
      }
    },
    maxNumLoadRetries: 0,
    loadRetryIntervalMicros: 1000,
    loadConcurrency: 1,
    logger: silentLogger,
    onState: (e) => states.push(e),
    ...overrides,
  });
  const trail = (name: string): string[] => states.filter((s) => s.name === name).map((s) => `${s.version}:${s.state}`);
  return { manager, states, loads, trail };
}

const ok = async (id: ServableId): Promise<ModelServable> => new FakeServable(id.name, id.version);
const v = (version: number): { version: number; path: string } => ({ version, path: `/m/${version}` });

test('a new version becomes AVAILABLE before the old one starts unloading', async () => {
  const h = setup(async (id) => {
    await sleepMs(20);
    return ok(id);
  });
  h.manager.setAspiredVersions('m', [v(1)]);
  await waitFor(() => h.manager.availableVersions('m').length === 1, 2000, 'v1');
  h.manager.setAspiredVersions('m', [v(2)]);
  await waitFor(() => h.trail('m').includes('1:END'), 2000, 'v1 END');
  assert.deepEqual(h.trail('m'), [
    '1:START',
    '1:LOADING',
    '1:AVAILABLE',
    '2:START',
    '2:LOADING',
    '2:AVAILABLE',
    '1:UNLOADING',
    '1:END',
  ]);
  assert.deepEqual(h.manager.availableVersions('m'), [2]);
  await h.manager.close();
});

test('an unloading version waits for in-flight handles, then is disposed; it gives no new handles', async () => {
  const servables: FakeServable[] = [];
  const h = setup(async (id) => {
    const s = new FakeServable(id.name, id.version);
    servables.push(s);
    return s;
  });
  h.manager.setAspiredVersions('m', [v(1)]);
  await waitFor(() => h.manager.availableVersions('m').length === 1, 2000, 'v1');
  const held = h.manager.getHandle('m')!;
  assert.equal(held.version, 1);
  h.manager.setAspiredVersions('m', []);
  await waitFor(() => h.trail('m').includes('1:UNLOADING'), 2000, 'UNLOADING');
  assert.equal(h.manager.getHandle('m'), undefined, 'no handle while unloading');
  assert.equal(h.manager.getHandle('m', 1), undefined);
  await sleepMs(30);
  assert.equal(servables[0]!.disposed, false, 'not disposed while a request holds it');
  await held.servable.run('serving_default', {});
  held.release();
  held.release(); // a second release is harmless
  await waitFor(() => h.trail('m').includes('1:END'), 2000, 'END');
  assert.equal(servables[0]!.disposed, true);
  await h.manager.close();
});

test('load retries follow maxNumLoadRetries and the interval; END carries the last error', async () => {
  const cap = captureLogger();
  const h = setup(
    async (id, attempt) => {
      throw new TfsError(Code.NOT_FOUND, `missing ${id.name} attempt ${attempt}`);
    },
    { maxNumLoadRetries: 2, loadRetryIntervalMicros: 20_000, logger: cap.logger },
  );
  const t0 = Date.now();
  h.manager.setAspiredVersions('m', [v(3)]);
  await waitFor(() => h.trail('m').includes('3:END'), 3000, 'END');
  assert.ok(Date.now() - t0 >= 35, 'two retry waits of 20 ms');
  assert.equal(h.loads.length, 3);
  assert.deepEqual(
    h.loads.map((l) => [l.attempt, l.ok]),
    [
      [1, false],
      [2, false],
      [3, false],
    ],
  );
  const end = h.states.at(-1)!;
  assert.equal(end.error?.message, 'missing m attempt 3');
  assert.equal(end.error?.codeName, 'NOT_FOUND');
  assert.ok(cap.has('Retrying of Loading servable: {name: m version: 3} retry: 1'));
  assert.ok(cap.has('Retrying of Loading servable: {name: m version: 3} retry: 2'));
  // A failed version that stays aspired is not retried again.
  h.manager.setAspiredVersions('m', [v(3)]);
  await sleepMs(50);
  assert.equal(h.loads.length, 3);
  await h.manager.close();
});

for (const code of [Code.UNIMPLEMENTED, Code.INVALID_ARGUMENT, Code.DATA_LOSS] as const) {
  test(`a permanent load error (code ${code}) is reported at once, not retried`, async () => {
    const cap = captureLogger();
    // An interval of an hour: a retry would hold the test until its timeout.
    const h = setup(
      async () => {
        throw new TfsError(code, 'Op type not registered MysteryOp');
      },
      { maxNumLoadRetries: 5, loadRetryIntervalMicros: 3_600_000_000, logger: cap.logger },
    );
    h.manager.setAspiredVersions('m', [v(1)]);
    await waitFor(() => h.trail('m').includes('1:END'), 5000, 'END');
    assert.equal(h.loads.length, 1);
    assert.equal(h.states.at(-1)!.error?.message, 'Op type not registered MysteryOp');
    assert.ok(cap.has('Not retrying servable: {name: m version: 1}'));
    await h.manager.close();
  });
}

test('a retry succeeds; un-aspiring a version cancels its pending retries', async () => {
  const h = setup(
    async (id, attempt) => {
      if (id.version === 1 && attempt === 1) throw new TfsError(Code.UNAVAILABLE, 'flaky');
      if (id.version === 2) throw new TfsError(Code.INTERNAL, 'always');
      return ok(id);
    },
    { maxNumLoadRetries: 5, loadRetryIntervalMicros: 10_000 },
  );
  h.manager.setAspiredVersions('a', [v(1)]);
  await waitFor(() => h.manager.availableVersions('a').length === 1, 2000, 'a/1 after a retry');
  assert.deepEqual(h.trail('a'), ['1:START', '1:LOADING', '1:AVAILABLE']);

  const slow = setup(async () => {
    throw new TfsError(Code.INTERNAL, 'always');
  }, { maxNumLoadRetries: 5, loadRetryIntervalMicros: 600_000_000 });
  slow.manager.setAspiredVersions('b', [v(2)]);
  await waitFor(() => slow.loads.length === 1, 2000, 'first attempt');
  // The retry interval is 10 minutes: END can only come from the cancel, not from the retries running out.
  slow.manager.setAspiredVersions('b', []);
  await waitFor(() => slow.trail('b').includes('2:END'), 30_000, 'END after cancel');
  assert.equal(slow.loads.length, 1);
  await h.manager.close();
  await slow.manager.close();
});

test('loads are bounded; a model that keeps failing does not hold up the others', async () => {
  let active = 0;
  let maxActive = 0;
  const h = setup(
    async (id) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleepMs(15);
      active--;
      if (id.name === 'broken') throw new TfsError(Code.INTERNAL, 'broken model');
      return ok(id);
    },
    { loadConcurrency: 2, maxNumLoadRetries: 3, loadRetryIntervalMicros: 200_000 },
  );
  h.manager.setAspiredVersions('broken', [v(1)]);
  for (const name of ['a', 'b', 'c', 'd']) h.manager.setAspiredVersions(name, [v(1)]);
  await waitFor(() => ['a', 'b', 'c', 'd'].every((n) => h.manager.availableVersions(n).length === 1), 3000, 'healthy models');
  assert.ok(maxActive <= 2, `at most 2 concurrent loads, saw ${maxActive}`);
  // The broken model is still between retries: it never blocked the healthy ones.
  assert.equal(h.trail('broken').includes('1:END'), false);
  await h.manager.close();
  assert.ok(h.trail('broken').includes('1:END'));
});

test('all {} policy loads every version; latest swaps keep one serving; close unloads everything', async () => {
  const h = setup(async (id) => ok(id), { loadConcurrency: 3 });
  h.manager.setAspiredVersions('m', [v(1), v(2), v(3)]);
  await waitFor(() => h.manager.availableVersions('m').length === 3, 2000, 'three versions');
  const handle = h.manager.getHandle('m');
  assert.equal(handle?.version, 3, 'Latest is the highest AVAILABLE version');
  handle!.release();
  assert.equal(h.manager.getHandle('m', 2)?.version, 2);
  h.manager.setAspiredVersions('m', [v(3)]);
  await waitFor(() => h.manager.availableVersions('m').join() === '3', 2000, 'only 3');
  await h.manager.close(100);
  // The handle on v2 was never released: close waited only its drain timeout.
  assert.ok(h.trail('m').includes('3:END'));
  assert.ok(h.trail('m').includes('2:END'));
});

test('re-aspiring a version while it unloads loads it again afterwards', async () => {
  const h = setup(async (id) => ok(id));
  h.manager.setAspiredVersions('m', [v(1)]);
  await waitFor(() => h.manager.availableVersions('m').length === 1, 2000, 'v1');
  const held = h.manager.getHandle('m')!;
  h.manager.setAspiredVersions('m', []);
  await waitFor(() => h.trail('m').includes('1:UNLOADING'), 2000, 'unloading');
  h.manager.setAspiredVersions('m', [v(1)]);
  held.release();
  await waitFor(() => h.trail('m').filter((s) => s === '1:AVAILABLE').length === 2, 2000, 'loaded again');
  assert.deepEqual(h.trail('m').slice(3), ['1:UNLOADING', '1:END', '1:START', '1:LOADING', '1:AVAILABLE']);
  await h.manager.close();
});
