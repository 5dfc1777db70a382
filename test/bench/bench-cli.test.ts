/** `tfs bench` through the CLI against a loopback server: text, --json (checked against its schema), --report, --compare, misuse. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { runCliInProcess as runCli } from '../helpers/cli-inprocess.js';
import { repoRoot } from '../helpers/paths.js';

const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'cli', 'bench.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

async function server(): Promise<{ url: string; close: () => Promise<void> }> {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"predictions": [3.0]}');
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => s.close(() => r())) };
}

test('tfs bench: text and --json output, report and compare', async () => {
  const s = await server();
  const dir = mkdtempSync(join(tmpdir(), 'tfs-bench-'));
  try {
    const base = ['bench', '--url', s.url, '--model', 'm', '--body', '{"instances": [1.0]}', '--warmup', '0'];
    const text = await runCli([...base, '--requests', '30', '--concurrency', '2']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /POST http:\/\/127\.0\.0\.1:\d+\/v1\/models\/m:predict \(closed loop, concurrency 2\)/);
    assert.match(text.stdout, /requests: 30 sent, 30 completed, 30 ok/);

    const a = await runCli([...base, '--requests', '40', '--concurrency', '1', '--json']);
    assert.equal(a.code, 0, a.stderr);
    const ja = JSON.parse(a.stdout) as { kind: string; result: { sent: number } };
    assert.ok(validate(ja), JSON.stringify(validate.errors));
    assert.equal(ja.result.sent, 40);
    writeFileSync(join(dir, 'a.json'), a.stdout);

    const report = join(dir, 'r.html');
    const b = await runCli([...base, '--requests', '20', '--sweep', 'concurrency=1,2', '--json', '--report', report]);
    assert.equal(b.code, 0, b.stderr);
    const jb = JSON.parse(b.stdout) as { kind: string; sweep: { steps: unknown[] } };
    assert.ok(validate(jb), JSON.stringify(validate.errors));
    assert.equal(jb.sweep.steps.length, 2);
    assert.match(readFileSync(report, 'utf8'), /Throughput versus latency/);
    writeFileSync(join(dir, 'b.json'), b.stdout);

    const c = await runCli(['bench', '--compare', join(dir, 'a.json'), join(dir, 'b.json'), '--json']);
    assert.equal(c.code, 0, c.stderr);
    const jc = JSON.parse(c.stdout) as { kind: string; rows: Array<{ metric: string }> };
    assert.ok(validate(jc), JSON.stringify(validate.errors));
    assert.ok(jc.rows.some((r) => r.metric === 'p99 ms'));
  } finally {
    await s.close();
  }
});

test('tfs bench: misuse gives a clear error and a non-zero exit', async () => {
  const none = await runCli(['bench', '--model', 'm', '--body', '{}']);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /exactly one of --url \(REST\) or --grpc/);
  const both = await runCli(['bench', '--url', 'http://127.0.0.1:1', '--rate', '10', '--concurrency', '2', '--model', 'm', '--body', '{}']);
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /cannot also be provided|cannot be used together/);
  const badJson = await runCli(['bench', '--url', 'http://127.0.0.1:1', '--model', 'm', '--body', '{oops']);
  assert.notEqual(badJson.code, 0);
  assert.match(badJson.stderr, /JSON/);
});
