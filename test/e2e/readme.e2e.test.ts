/**
 * The README's demo section, run as written: every `$ command` of its console blocks, in
 * order, against `tfs serve` started with `npm start`'s flags, with the output compared to the
 * one the README shows (JSON structurally, numbers within float tolerance).
 *
 * The commands run in a scratch copy of the repository layout they use (fixtures/configs/demo,
 * fixtures/models, protos, node_modules), so the rollout step (`cp -r .../2 .../3`) never
 * touches the real fixtures. localhost:8501 / localhost:8500 are rewritten to the ports the
 * server picked. Without curl on the machine, a small stand-in (fetch) plays its part.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { npmStartServeArgs, startServe, type Serve } from './serve-harness.js';

interface Step {
  readonly command: string;
  readonly expected: string;
}

/** The `$ command` / output pairs of the console blocks of the README's `## Demo` section. */
export function demoSteps(readme: string): Step[] {
  const start = readme.indexOf('\n## Demo\n');
  assert.ok(start >= 0, 'README has a ## Demo section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const steps: Step[] = [];
  for (const block of section.matchAll(/```console\n([\s\S]*?)```/g)) {
    const lines = block[1]!.replace(/\n$/, '').split('\n');
    let i = 0;
    while (i < lines.length) {
      const line = lines[i]!;
      assert.ok(line.startsWith('$ '), `console blocks start with a command: ${line}`);
      let command = line.slice(2);
      i++;
      while (command.endsWith('\\') && i < lines.length) command += `\n${lines[i++]!}`;
      const heredoc = /<<'(\w+)'/.exec(command);
      if (heredoc) {
        while (i < lines.length && lines[i] !== heredoc[1]) command += `\n${lines[i++]!}`;
        command += `\n${lines[i++] ?? ''}`;
      }
      const out: string[] = [];
      while (i < lines.length && !lines[i]!.startsWith('$ ')) out.push(lines[i++]!);
      steps.push({ command, expected: out.join('\n') });
    }
  }
  return steps;
}

const NUMBER = /-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi;

/** Same text, numbers within 1e-6 relative (float results may differ in the last digits between backends). */
function assertSameOutput(actual: string, expected: string, what: string): void {
  let a: unknown;
  let e: unknown;
  try {
    a = JSON.parse(actual);
    e = JSON.parse(expected);
  } catch {
    a = undefined;
  }
  if (a !== undefined) {
    assertClose(a, e, what);
    return;
  }
  const al = actual.replace(/\n$/, '').split('\n');
  const el = expected.split('\n');
  assert.equal(al.length, el.length, `${what}: ${al.length} lines, README shows ${el.length}\n${actual}`);
  el.forEach((line, i) => {
    assert.equal(al[i]!.replace(NUMBER, '#'), line.replace(NUMBER, '#'), `${what}, line ${i + 1}`);
    assertClose(al[i]!.match(NUMBER)?.map(Number) ?? [], line.match(NUMBER)?.map(Number) ?? [], `${what}, line ${i + 1}`);
  });
}

function assertClose(a: unknown, e: unknown, what: string): void {
  if (typeof e === 'number' && typeof a === 'number') {
    assert.ok(Math.abs(a - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${what}: ${a} vs ${e}`);
  } else if (Array.isArray(e)) {
    assert.ok(Array.isArray(a) && a.length === e.length, `${what}: ${JSON.stringify(a)} vs ${JSON.stringify(e)}`);
    e.forEach((x, i) => assertClose((a as unknown[])[i], x, `${what}[${i}]`));
  } else if (e !== null && typeof e === 'object') {
    assert.ok(a !== null && typeof a === 'object', `${what}: ${JSON.stringify(a)}`);
    assert.deepEqual(Object.keys(a as object).sort(), Object.keys(e).sort(), what);
    for (const [k, v] of Object.entries(e)) assertClose((a as Record<string, unknown>)[k], v, `${what}.${k}`);
  } else {
    assert.deepEqual(a, e, what);
  }
}

/** A stand-in for `curl -s [-X METHOD] URL [-d BODY]`, used when curl is not installed. */
const CURL_STANDIN = `#!${process.execPath}
const args = process.argv.slice(2);
let method, body, url;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-s') continue;
  if (args[i] === '-X') method = args[++i];
  else if (args[i] === '-d') body = args[++i];
  else url = args[i].startsWith('http') ? args[i] : 'http://' + args[i];
}
const res = await fetch(url, { method: method ?? (body === undefined ? 'GET' : 'POST'), body });
process.stdout.write(await res.text());
`;

function run(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return collectCli(spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }), [command], 30_000);
}

describe('README demo, run as written', { timeout: 150_000 }, () => {
  let root: string;
  let s: Serve;
  let env: NodeJS.ProcessEnv;
  const steps = demoSteps(readFileSync(join(repoRoot, 'README.md'), 'utf8'));

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tfs-readme-'));
    mkdirSync(join(root, 'fixtures', 'configs'), { recursive: true });
    cpSync(join(repoRoot, 'fixtures', 'configs', 'demo'), join(root, 'fixtures', 'configs', 'demo'), { recursive: true });
    cpSync(join(repoRoot, 'fixtures', 'models'), join(root, 'fixtures', 'models'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
    symlinkSync(join(repoRoot, 'protos'), join(root, 'protos'));
    env = { ...process.env };
    if (spawnSync('sh', ['-c', 'command -v curl']).status !== 0) {
      mkdirSync(join(root, 'bin'));
      writeFileSync(join(root, 'bin', 'curl'), CURL_STANDIN);
      chmodSync(join(root, 'bin', 'curl'), 0o755);
      env['PATH'] = `${join(root, 'bin')}:${env['PATH'] ?? ''}`;
    }
    s = await startServe(npmStartServeArgs(), { cwd: root });
    // The README's first outputs show both versions of my_model.
    await s.waitForLog((l) => l.msg === 'Successfully loaded servable version {name: my_model version: 1}', 30_000, 'my_model version 1');
  });
  after(async () => {
    await s?.stop('SIGKILL');
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('the demo has the tutorial calls: predict, versions, labels, status, metadata, gRPC, metrics, rollout', () => {
    const all = steps.map((x) => x.command).join('\n');
    for (const needle of [':predict', '/versions/1:predict', '/labels/canary:predict', '/metadata', "PredictionService", '/monitoring/prometheus/metrics', 'cp -r fixtures/models/my_model/2 fixtures/models/my_model/3', 'rm -r fixtures/models/my_model/3']) {
      assert.ok(all.includes(needle), needle);
    }
  });

  test('every command succeeds and prints what the README shows', async () => {
    assert.ok(steps.length >= 10, `${steps.length} commands`);
    for (const step of steps) {
      const command = step.command.replaceAll('localhost:8501', `127.0.0.1:${s.restPort}`).replaceAll('localhost:8500', `127.0.0.1:${s.grpcPort}`);
      const r = await run(command, root, env);
      assert.equal(r.code, 0, `${step.command}\n${r.stderr}`);
      if (step.expected !== '') assertSameOutput(r.stdout, step.expected, step.command.split('\n')[0]!);
      // The rollout steps act through the file system: wait for tfs to act on them.
      if (/^cp -r \S+\/my_model\/2 \S+\/my_model\/3$/.test(step.command)) {
        await s.waitForLog((l) => l.msg === 'Successfully loaded servable version {name: my_model version: 3}', 30_000, 'version 3 loaded');
      }
      if (/^rm -r \S+\/my_model\/3$/.test(step.command)) {
        await s.waitForLog((l) => l.msg === 'Done unloading servable version {name: my_model version: 3}', 30_000, 'version 3 unloaded');
      }
    }
  });

  test('Ctrl-C (SIGINT) stops it with exit code 0', async () => {
    assert.equal(await s.stop('SIGINT'), 0);
  });
});
