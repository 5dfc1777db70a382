import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineSignals } from '../../../src/server/rest/deadline.js';

test('deadline signals: shared per window, abort with TimeoutError after the timeout', async () => {
  const d = new DeadlineSignals();
  // Back-to-back requests share a window's signal (at most a window boundary between them).
  const shared = new Set(Array.from({ length: 20 }, () => d.signal(5000)));
  assert.ok(shared.size <= 2, `${shared.size} signals for 20 requests`);
  const a = d.signal(40);
  const t0 = performance.now();
  // The window timers are unref'd (they never keep a server alive): hold the loop open here.
  const keep = setTimeout(() => undefined, 5000);
  await new Promise((resolve) => a.addEventListener('abort', resolve, { once: true }));
  clearTimeout(keep);
  const waited = performance.now() - t0;
  // A lower bound only (a loaded machine fires late, never early); that the 40 ms window fired
  // and not a later one shows in the 5 s signals, still pending.
  assert.ok(waited >= 38, `aborted after ${waited} ms`);
  assert.ok([...shared].every((s) => !s.aborted), 'the 5 s deadlines have not fired');
  assert.equal((a.reason as DOMException).name, 'TimeoutError');
  const c = d.signal(40);
  assert.notEqual(c, a, 'a fired window is not reused');
  assert.equal(c.aborted, false);
  // Many listeners on one shared signal do not warn.
  const warnings: Error[] = [];
  const onWarn = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarn);
  for (let i = 0; i < 50; i++) c.addEventListener('abort', () => undefined);
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarn);
  assert.deepEqual(warnings.map((w) => w.name), []);
  d.close();
});
