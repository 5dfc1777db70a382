/**
 * The generated Deployment runs: `tfs serve` is started with the container's args, the
 * ConfigMap's files and the model volume emulated on the local filesystem (paths under the
 * mounts are rewritten to where the files are), then the probes the manifest declares are
 * exercised (startup/readiness on /readyz, liveness on /healthz) and SIGTERM must end the
 * process with status 0 within the drain time the manifest allows. Loopback only, bounded.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBuiltCli } from '../helpers/cli-build.js';
import { fixtures } from '../helpers/paths.js';
import { generateCase, listCases } from './cases.js';

type Obj = Record<string, any>;

const work = mkdtempSync(join(tmpdir(), 'tfs-k8s-e2e-'));
after(() => rmSync(work, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function get(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined; // not listening yet
  }
}

test('the tutorial-model Deployment starts, passes its probes and shuts down cleanly on SIGTERM', { timeout: 120_000 }, async () => {
  const c = listCases().find((x) => x.name === 'tutorial-model')!;
  const bundle = generateCase(c, { prestop_sleep_seconds: 0, drain_seconds: 3 });
  const deployment = bundle.objects.find((o) => o.kind === 'Deployment')!.manifest as Obj;
  const configMap = bundle.objects.find((o) => o.kind === 'ConfigMap')!.manifest as Obj;
  const spec = deployment['spec'].template.spec;
  const container = spec.containers[0];

  // The ConfigMap volume: its files under <work>/config.
  const configDir = join(work, 'config');
  mkdirSync(configDir);
  // The model volume (pvc mounted at /models/my_model): the fixture model's version directories.
  const modelMount = (container.volumeMounts as Obj[]).find((m) => m['name'] === 'models')!['mountPath'] as string;
  const modelDir = join(fixtures, 'models', 'my_model');
  for (const [key, text] of Object.entries(configMap['data'] as Record<string, string>)) {
    writeFileSync(join(configDir, key), text.replaceAll(`'${modelMount}'`, `'${modelDir}'`));
  }

  const grpcPort = await freePort();
  const restPort = await freePort();
  const args = (container.args as string[]).map((a) =>
    a
      .replace('--port=8500', `--port=${grpcPort}`)
      .replace('--rest_api_port=8501', `--rest_api_port=${restPort}`)
      .replace('=/config/', `=${configDir}/`),
  );
  assert.ok(args.includes(`--model_config_file=${configDir}/model_config.pbtxt`));

  const child = spawnBuiltCli(['serve', ...args, '--host=127.0.0.1', '--log_format=json']);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', () => {});
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // Startup probe: /readyz until 200, within the startup budget (capped for the test).
    const probe = container.startupProbe;
    const budgetMs = Math.min(probe.periodSeconds * probe.failureThreshold * 1000, 90_000);
    const base = `http://127.0.0.1:${restPort}`;
    const deadline = Date.now() + budgetMs;
    let ready: { status: number; body: string } | undefined;
    while (Date.now() < deadline) {
      ready = await get(base + container.readinessProbe.httpGet.path);
      if (ready?.status === 200) break;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(ready?.status, 200, `/readyz never answered 200 (last: ${JSON.stringify(ready)})\n${stderr}`);
    const live = await get(base + container.livenessProbe.httpGet.path);
    assert.equal(live?.status, 200);
    const status = await get(`${base}/v1/models/my_model`);
    assert.equal(status?.status, 200);
    assert.match(status!.body, /"state": "AVAILABLE"/);

    // SIGTERM: drain and exit 0 inside terminationGracePeriodSeconds (no preStop here).
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), spec.terminationGracePeriodSeconds * 1000))]);
    assert.equal(code, 0, `exit after SIGTERM: ${String(code)} after ${Date.now() - t0} ms\n${stderr}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
