import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerCoreEvents } from '../../src/core/events.js';
import {
  HeapGrowthPolicy,
  type HeapGrowthClock,
  LOOSE_HEAP_GROWING_PERCENT as LOOSE,
  TIGHT_HEAP_GROWING_PERCENT as TIGHT,
  followLifecycle,
} from '../../src/server/heap-growth.js';

/** Timers that fire only when the test says so. */
function manualClock(): HeapGrowthClock & { fire(): void; pending(): number } {
  const timers = new Map<number, () => void>();
  let next = 1;
  return {
    setTimeout(fn) {
      const id = next++;
      timers.set(id, fn);
      return { id } as never;
    },
    clearTimeout(h) {
      timers.delete((h as { id: number }).id);
    },
    fire() {
      const all = [...timers.values()];
      timers.clear();
      for (const fn of all) fn();
    },
    pending: () => timers.size,
  };
}

test('heap growth: tight from start-up, loose once the initial load is done', () => {
  const applied: number[] = [];
  const policy = new HeapGrowthPolicy((p) => applied.push(p), manualClock());
  assert.deepEqual(applied, [TIGHT]);
  policy.started();
  assert.deepEqual(applied, [TIGHT, LOOSE]);
  assert.equal(policy.percent, LOOSE);
});

test('heap growth: loads, unloads and config reloads make it tight until a quiet period passes; other states do not', () => {
  const applied: number[] = [];
  const clock = manualClock();
  const policy = new HeapGrowthPolicy((p) => applied.push(p), clock);
  const events = new ServerCoreEvents();
  const detach = followLifecycle(policy, { events }); // start-up is over
  events.emit('servableState', { name: 'm', version: 2, state: 'AVAILABLE' });
  assert.equal(policy.percent, LOOSE, 'a version becoming available is not a change');
  events.emit('servableState', { name: 'm', version: 2, state: 'LOADING' });
  assert.equal(policy.percent, TIGHT);
  events.emit('servableState', { name: 'm', version: 1, state: 'UNLOADING' });
  events.emit('configReload', { ok: true, source: 'file' });
  assert.equal(clock.pending(), 1, 'each change restarts the one quiet timer');
  clock.fire();
  assert.equal(policy.percent, LOOSE);
  assert.deepEqual(applied, [TIGHT, LOOSE, TIGHT, LOOSE], 'V8 is told only when the percent changes');
  detach();
  events.emit('servableState', { name: 'm', version: 3, state: 'LOADING' });
  assert.equal(policy.percent, LOOSE, 'a detached policy no longer follows the lifecycle');
  assert.equal(clock.pending(), 0);
});

test('heap growth: a change during start-up keeps it tight past started()', () => {
  const clock = manualClock();
  const policy = new HeapGrowthPolicy(() => {}, clock);
  policy.changed();
  policy.started();
  assert.equal(policy.percent, TIGHT);
  clock.fire();
  assert.equal(policy.percent, LOOSE);
});
