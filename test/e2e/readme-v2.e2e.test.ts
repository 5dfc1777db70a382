/**
 * The README's "Open Inference Protocol (KServe V2)" section, run as written: the `tfs serve`
 * line of its `sh` block (as the built CLI), then every `$ command` of its console blocks in
 * order, with the output compared to the README's (JSON structurally, other text exactly).
 *
 * It runs in a scratch directory holding fixtures/models; localhost:8501 is rewritten to the
 * port the server picked.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { consoleSteps, sh, type ConsoleStep } from './readme-blocks.js';
import { startServe, type Serve } from './serve-harness.js';

const HEADING = '\n## Open Inference Protocol (KServe V2)\n';

interface Section {
  /** The `tfs serve` command of the `sh` block, continuations joined. */
  readonly serve: string[];
  readonly steps: ConsoleStep[];
}

function section(readme: string): Section {
  const start = readme.indexOf(HEADING);
  assert.ok(start >= 0, 'README has the V2 section');
  const end = readme.indexOf('\n## ', start + HEADING.length);
  const text = readme.slice(start, end < 0 ? undefined : end);
  const shBlock = /```sh\n([\s\S]*?)```/.exec(text);
  assert.ok(shBlock, 'the section has the sh block that starts the server');
  const serve = shBlock[1]!.replace(/\\\n\s*/g, ' ').trim().split(/\s+/);
  const steps = consoleSteps(text);
  return { serve, steps };
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

describe('README: the Open Inference Protocol section, run as written', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'tfs-readme-v2-'));
  let s: Serve | undefined;
  after(async () => {
    await s?.stop('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  test('health, metadata, JSON and binary inference, repository load/index/unload', async () => {
    const { serve, steps } = section(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
    mkdirSync(join(root, 'fixtures'));
    cpSync(join(repoRoot, 'fixtures', 'models'), join(root, 'fixtures', 'models'), { recursive: true });
    assert.deepEqual(serve.slice(0, 2), ['tfs', 'serve']);
    s = await startServe(serve.slice(2), { cwd: root });
    assert.ok(steps.length >= 8, `${steps.length} commands`);
    for (const step of steps) {
      const r = await sh(step.command.replaceAll('localhost:8501', `127.0.0.1:${s.restPort}`), root);
      assert.equal(r.code, 0, `${step.command}\n${r.stderr}`);
      const want = parsed(step.expected);
      if (want !== undefined) assert.deepEqual(JSON.parse(r.stdout), want, step.command);
      else assert.equal(r.stdout.trim(), step.expected.trim(), step.command);
    }
  });
});
