/**
 * Drain: a queued batch is flushed at once when the drain starts (a 10-minute batch
 * timeout would otherwise hold it past any grace period), responses sent during the drain
 * carry `Connection: close`, and the server closes as soon as the last request is done
 * (the grace period is an hour).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseServeFlags } from '../../src/server/flags.js';
import { startServer } from '../../src/server/server.js';
import { fixtures } from '../helpers/paths.js';

function post(port: number, path: string, body: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers['connection'], body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('drain flushes a queued batch at once; in-flight responses say Connection: close; the close does not wait for the grace period', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-drain-flush-'));
  writeFileSync(join(dir, 'batching.config'), 'max_batch_size { value: 32 } batch_timeout_micros { value: 600000000 } num_batch_threads { value: 1 }');
  const s = await startServer({
    flags: parseServeFlags(
      ['--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--model_name=half_plus_two',
        `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`, '--enable_batching',
        `--batching_parameters_file=${join(dir, 'batching.config')}`],
      {},
    ).values,
    logger: pino({ level: 'silent' }),
  });
  try {
    const port = s.restPort!;
    const inFlight = Promise.all([1, 2, 3].map((v) => post(port, '/v1/models/half_plus_two:predict', `{"instances": [[${v}]]}`)));
    for (;;) {
      const text = await s.metrics.registry.getSingleMetricAsString('tfs_batching_queued_requests');
      if (/\} 3$/m.test(text)) break;
      await new Promise((r) => setImmediate(r));
    }
    // A grace period far longer than the test's own timeout: the close must not wait for it.
    const closed = s.shutdown(3_600_000);
    const answers = await inFlight;
    assert.deepEqual(answers.map((a) => [a.status, JSON.parse(a.body)]), [
      [200, { predictions: [[2.5]] }],
      [200, { predictions: [[3]] }],
      [200, { predictions: [[3.5]] }],
    ]);
    for (const a of answers) assert.equal(a.connection, 'close');
    await closed;
  } finally {
    await s.shutdown(0);
    rmSync(dir, { recursive: true, force: true });
  }
});
