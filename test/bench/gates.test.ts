/** `tfs bench` as a CI gate: thresholds, --header, and a dead or failing target exiting non-zero. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runBench } from '../../src/bench/bench.js';
import { checkGates, parseDurationMs, parseHeader } from '../../src/bench/gates.js';
import type { RunResult } from '../../src/bench/loops.js';
import { runCliInProcess } from '../helpers/cli-inprocess.js';

/** The CLI's result with oclif's error decoration (` ›   ` and line wrapping) folded back into plain lines. */
async function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runCliInProcess(args);
  return { ...r, stderr: r.stderr.replace(/\s*›\s+/g, ' ').replace(/\s+/g, ' ') };
}

function result(over: Partial<RunResult>): RunResult {
  const latency = { min: 1, mean: 2, p50: 2, p90: 3, p99: 4, p999: 5, max: 6, count: 100 };
  return {
    mode: 'closed', target: 't', sent: 100, completed: 100, ok: 100, statuses: { '200': 100 }, errorSamples: {},
    durationMs: 1000, throughput: 100, latency, percentileCurve: [], histogram: '', ...over,
  };
}

test('gates: success ratio, p99 and throughput, with the first error quoted', () => {
  assert.deepEqual(checkGates(result({}), { minSuccessPct: 99 }), { passed: true, failures: [] });
  const bad = checkGates(result({ ok: 90, statuses: { '200': 90, '400': 10 }, errorSamples: { '400': '{"error": "bad"}' } }), { minSuccessPct: 99 });
  assert.equal(bad.passed, false);
  assert.match(bad.failures[0]!, /success 90\.00% \(90 of 100\) is below --min-success 99%/);
  assert.equal(bad.firstError, '400 (10 of 100): {"error": "bad"}');
  assert.equal(checkGates(result({ ok: 90 }), { minSuccessPct: 90 }).passed, true);
  const slow = checkGates(result({}), { minSuccessPct: 0, maxP99Ms: 3.5, minRps: 150 });
  assert.deepEqual(slow.failures, ['p99 4.00 ms is above --max-p99 3.5 ms', 'throughput 100.0 req/s is below --min-rps 150']);
  assert.deepEqual(checkGates(result({ completed: 0, ok: 0 }), { minSuccessPct: 0 }).failures, ['no request completed']);
});

test('gates: duration and header parsing', () => {
  assert.equal(parseDurationMs('50ms'), 50);
  assert.equal(parseDurationMs('0.5s'), 500);
  assert.equal(parseDurationMs('20'), 20);
  assert.throws(() => parseDurationMs('fast'), /expected a duration/);
  assert.deepEqual(parseHeader('model-version: canary'), ['model-version', 'canary']);
  assert.deepEqual(parseHeader('X-A:b:c'), ['X-A', 'b:c']);
  assert.throws(() => parseHeader('novalue'), /--header takes NAME:VALUE/);
  assert.throws(() => parseHeader('bad name: x'), /--header takes NAME:VALUE/);
});

test('bench: --header reaches the server on every request', async () => {
  const seen: IncomingHttpHeaders[] = [];
  const s = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.end('{"predictions": [1]}'));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    const out = await runBench({ url, model: 'm', body: '{"instances": [1]}', requests: 12, concurrency: 2, warmupS: 0, headers: [['model-version', 'canary']] });
    assert.equal(out.kind, 'run');
    assert.equal(seen.length, 12);
    assert.ok(seen.every((h) => h['model-version'] === 'canary'));
  } finally {
    await new Promise<void>((r) => s.close(() => r()));
  }
});

test('tfs bench exits 1 against a dead server and against an endpoint that always answers 400', async () => {
  // A port that was just free: listen, note the port, close.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const dead = await runCli(['bench', '--url', `http://127.0.0.1:${deadPort}`, '--model', 'm', '--body', '{"instances": [1]}', '-n', '10', '--warmup', '0']);
  assert.equal(dead.code, 1, dead.stderr);
  assert.match(dead.stderr, /success 0\.00% \(0 of 10\) is below --min-success 99%/);
  assert.match(dead.stderr, /ECONNREFUSED/);
  const auto = await runCli(['bench', '--url', `http://127.0.0.1:${deadPort}`, '--model', 'm', '--auto', '-n', '10']);
  assert.equal(auto.code, 2, auto.stderr);
  assert.match(auto.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+ for the model metadata \(--auto\): ECONNREFUSED/);

  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error": "Servable not found"}');
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    const r = await runCli(['bench', '--url', url, '--model', 'm', '--body', '{"instances": [1]}', '-n', '10', '--warmup', '0']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /first error: 400 \(10 of 10\)/);
    assert.match(r.stderr, /Servable not found/);
    const lenient = await runCli(['bench', '--url', url, '--model', 'm', '--body', '{"instances": [1]}', '-n', '10', '--warmup', '0', '--min-success', '0']);
    assert.equal(lenient.code, 0, lenient.stderr);
  } finally {
    await new Promise<void>((r) => s.close(() => r()));
  }
});
