/**
 * tfs bench over TLS and with several bodies (--input): an https:// REST server started here
 * (node:https with a test CA) sees every body of the input file in turn over TLS, the CA is
 * required (a server the bench cannot verify is counted as transport errors), and gRPC over TLS
 * reaches a real tfs serve started with --ssl_config_file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { runBench } from '../../src/bench/bench.js';
import { readInputFile } from '../../src/bench/inputs.js';
import { parseServeFlags } from '../../src/server/flags.js';
import { startServer } from '../../src/server/server.js';
import { fixtures } from '../helpers/paths.js';
import { makeTestPki } from '../server/grpc/certs.js';

const pki = makeTestPki();
const BODIES = ['{"instances": [[1.0]]}', '{"instances": [[2.0], [3.0]]}', '{"instances": [[4.0], [5.0], [6.0]]}'];

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-bench-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('--input: JSON Lines (comments, blank lines) or a JSON array; a bad line is named', (t) => {
  const dir = tmp(t);
  writeFileSync(join(dir, 'a.jsonl'), `# three bodies\n${BODIES.join('\n\n')}\n`);
  assert.deepEqual(readInputFile(join(dir, 'a.jsonl')), BODIES);
  writeFileSync(join(dir, 'b.json'), `[${BODIES.join(',')}]`);
  assert.deepEqual(readInputFile(join(dir, 'b.json')).map((b) => JSON.parse(b)), BODIES.map((b) => JSON.parse(b)));
  writeFileSync(join(dir, 'c.jsonl'), `${BODIES[0]}\n{"instances": [\n`);
  assert.throws(() => readInputFile(join(dir, 'c.jsonl')), /c\.jsonl:2: not a JSON request body/);
});

test('https:// with --cacert: every body of --input is sent in turn, over TLS', async (t) => {
  const dir = tmp(t);
  const input = join(dir, 'bodies.jsonl');
  writeFileSync(input, BODIES.join('\n') + '\n');
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, pki.caCert);
  const seen: string[] = [];
  const server = createServer({ key: pki.serverKey, cert: pki.serverCert }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push(`${req.url} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"predictions": []}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `https://localhost:${(server.address() as AddressInfo).port}`;
  const out = await runBench({ url, model: 'm', input, caFile: ca, concurrency: 1, requests: 6, warmupS: 0 });
  assert.ok(out.kind === 'run');
  assert.deepEqual(out.result.statuses, { '200': 6 }, JSON.stringify(out.result.errorSamples));
  assert.deepEqual(seen, [...BODIES, ...BODIES].map((b) => `/v1/models/m:predict ${b}`));

  // Without the CA the server cannot be verified: transport errors, not answers.
  const untrusted = await runBench({ url, model: 'm', input, concurrency: 1, requests: 2, warmupS: 0 });
  assert.ok(untrusted.kind === 'run');
  assert.equal(untrusted.result.ok, 0);
  assert.match(Object.keys(untrusted.result.statuses).join(), /^ERROR: /);
  assert.equal(seen.length, 6);
});

test('gRPC over TLS (--cacert) to tfs serve --ssl_config_file, with --input bodies in turn', async (t) => {
  const dir = tmp(t);
  const ssl = join(dir, 'ssl.config');
  writeFileSync(ssl, `server_key: ${JSON.stringify(pki.serverKey)}\nserver_cert: ${JSON.stringify(pki.serverCert)}\n`);
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, pki.caCert);
  const input = join(dir, 'requests.jsonl');
  const req = (rows: number[]): string =>
    JSON.stringify({ inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: rows.length }, { size: 1 }] }, float_val: rows } } });
  writeFileSync(input, `${req([1])}\n${req([2, 3])}\n`);
  const s = await startServer({
    flags: parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=-1', '--model_name=half_plus_two', `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`, `--ssl_config_file=${ssl}`], {}).values,
    logger: pino({ level: 'silent' }),
  });
  try {
    const out = await runBench({ grpc: `localhost:${s.grpcPort}`, model: 'half_plus_two', input, caFile: ca, concurrency: 2, requests: 20, warmupS: 0 });
    assert.ok(out.kind === 'run');
    assert.deepEqual(out.result.statuses, { OK: 20 }, JSON.stringify(out.result.errorSamples));
    const plain = await runBench({ grpc: `localhost:${s.grpcPort}`, model: 'half_plus_two', input, concurrency: 1, requests: 2, warmupS: 0, timeoutMs: 5000 });
    assert.ok(plain.kind === 'run' && plain.result.ok === 0, 'a plaintext client is refused by the TLS server');
  } finally {
    await s.shutdown(0);
  }
});
