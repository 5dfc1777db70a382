/**
 * A real wasm fault (a rank-25,000 tensor handed to the runtime directly, past the request
 * limits: what used to poison every model) is answered INTERNAL and logged with the model
 * and shapes; readiness drops while the runtime is rebuilt and the models reloaded from
 * disk, comes back, and the next requests succeed over REST.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { TfsError } from '../../src/errors.js';
import { runtimeHealth } from '../../src/core/runtime-health.js';
import { parseServeFlags } from '../../src/server/flags.js';
import { startServer } from '../../src/server/server.js';
import { setPlainJsEnabled } from '../../src/runtime/plain-js.js';
import { fixtures } from '../helpers/paths.js';

test('a wasm abort during a run: INTERNAL, readiness drops and comes back, the next request succeeds', async (t) => {
  // half_plus_two would run on the plain-JS tier, which never enters wasm: this test needs the
  // wasm kernels to fault, so the tier is off for its duration.
  setPlainJsEnabled(false);
  t.after(() => setPlainJsEnabled(true));
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const flags = parseServeFlags(
    ['--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--backend=wasm', '--model_name=half_plus_two',
      `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`],
    {},
  ).values;
  const s = await startServer({ flags, logger: pino({ level: 'info' }, stream) });
  const predict = async (): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`http://127.0.0.1:${s.restPort}/v1/models/half_plus_two:predict`, {
      method: 'POST',
      body: '{"instances": [1, 2]}',
    });
    return { status: res.status, body: await res.json() };
  };
  try {
    assert.deepEqual(await predict(), { status: 200, body: { predictions: [2.5, 3.0] } });
    const states: boolean[] = [];
    const stop = runtimeHealth.onChange((serving) => states.push(serving));
    const rebuilt = new Promise<void>((resolve) => runtimeHealth.onChange((serving) => serving && resolve()));
    // Hold the rebuild until the test has seen readiness drop (it would otherwise race the probe).
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const recovery = runtimeHealth.setRecovery(async () => undefined)!;
    runtimeHealth.setRecovery(async (fault) => {
      runtimeHealth.setRecovery(recovery);
      await gate;
      await recovery(fault);
    });
    const handle = s.core.getServableHandle({ name: 'half_plus_two' });
    try {
      const deep = { dtype: 'DT_FLOAT' as const, shape: Array<number>(25_000).fill(1), data: Float32Array.from([1]) };
      await assert.rejects(handle.servable.run('serving_default', { x: deep }), (e: unknown) => {
        assert.ok(e instanceof TfsError);
        assert.equal(e.id, 'TFS_ERR_RUNTIME_FAULT');
        assert.equal(e.code, 13, 'INTERNAL');
        return true;
      });
    } finally {
      handle.release();
    }
    // Readiness is false from the fault until the rebuild ends.
    assert.equal(s.isReady(), false);
    const readyz = await fetch(`http://127.0.0.1:${s.restPort}/readyz`);
    assert.equal(readyz.status, 503);
    // A request during the rebuild waits for it, then runs on the new runtime.
    const during = predict();
    release();
    assert.deepEqual(await during, { status: 200, body: { predictions: [2.5, 3.0] } });
    await rebuilt;
    stop();
    assert.deepEqual(states, [false, true]);
    assert.equal(s.isReady(), true);
    assert.equal((await fetch(`http://127.0.0.1:${s.restPort}/readyz`)).status, 200);
    assert.deepEqual(await predict(), { status: 200, body: { predictions: [2.5, 3.0] } });
    const logged = lines.find((l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('runtime fault while running half_plus_two'));
    assert.ok(logged, 'the fault is logged');
    assert.deepEqual(logged['shapes'], { x: `[${Array(25_000).fill(1).join(',')}]` });
  } finally {
    await s.shutdown(0);
  }
});
