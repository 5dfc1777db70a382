/**
 * The README's "Changing batching while serving" section, run as written: its `sh` block (the
 * `printf` that writes batching.pbtxt, then `tfs serve ...` with the README's flags, as the
 * built CLI), then every `$ command` of its console blocks in order, with the output compared
 * to the README's (JSON structurally). Between the edit of batching.pbtxt and the next request
 * the test waits for the reload log line the README names, not for a poll interval.
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

const HEADING = '\n### Changing batching while serving\n';

interface Section {
  /** The `sh` block's lines, continuations joined. */
  readonly setup: string[];
  readonly steps: ConsoleStep[];
}

function section(readme: string): Section {
  const start = readme.indexOf(HEADING);
  assert.ok(start >= 0, 'README has the batching reload section');
  const end = readme.slice(start + HEADING.length).search(/\n##+ |\n\*\*Differences/);
  const text = readme.slice(start, end < 0 ? undefined : start + HEADING.length + end);
  const shBlock = /```sh\n([\s\S]*?)```/.exec(text);
  assert.ok(shBlock, 'the section has the sh block that starts the server');
  const setup = shBlock[1]!.replace(/\\\n\s*/g, ' ').trim().split('\n');
  const steps = consoleSteps(text);
  return { setup, steps };
}

describe('README: changing batching while serving, run as written', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'tfs-readme-batching-'));
  let s: Serve | undefined;
  after(async () => {
    await s?.stop('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  test('the edit of batching.pbtxt takes effect without a restart', async () => {
    const { setup, steps } = section(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
    mkdirSync(join(root, 'fixtures'));
    cpSync(join(repoRoot, 'fixtures', 'models'), join(root, 'fixtures', 'models'), { recursive: true });
    assert.equal(setup.length, 2, setup.join('\n'));
    assert.equal((await sh(setup[0]!, root)).code, 0);
    const serve = setup[1]!.split(/\s+/);
    assert.deepEqual(serve.slice(0, 2), ['tfs', 'serve']);
    s = await startServe(serve.slice(2), { cwd: root });
    assert.ok(steps.length >= 3, `${steps.length} commands`);
    for (const step of steps) {
      const r = await sh(step.command.replaceAll('localhost:8501', `127.0.0.1:${s.restPort}`), root);
      assert.equal(r.code, 0, `${step.command}\n${r.stderr}`);
      if (step.expected !== '') assert.deepEqual(JSON.parse(r.stdout), JSON.parse(step.expected), step.command);
      if (step.command.startsWith('printf') && step.command.includes('> batching.pbtxt')) {
        // What the README says tfs logs once the file is re-read.
        await s.waitForLog((l) => typeof l.msg === 'string' && /^Batching parameters reloaded from .*\/batching\.pbtxt: max_batch_size 2 -> 8$/.test(l.msg), 30_000, 'the reload log line');
      }
    }
    const live = (await (await fetch(`http://127.0.0.1:${s.restPort}/debug/config`)).json()) as { batching: { parameters: { max_batch_size: number } } };
    assert.equal(live.batching.parameters.max_batch_size, 8);
  });
});
