/**
 * What the README-as-written tests share: the `$ command` / output pairs of a section's
 * console blocks, and running one command through `sh` in a scratch directory.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { collectCli } from '../helpers/cli.js';

export interface ConsoleStep {
  readonly command: string;
  /** The lines the README shows after the command, joined. */
  readonly expected: string;
}

/** The steps of every ```console block in `text`, in order. */
export function consoleSteps(text: string): ConsoleStep[] {
  const steps: ConsoleStep[] = [];
  for (const block of text.matchAll(/```console\n([\s\S]*?)```/g)) {
    const lines = block[1]!.replace(/\n$/, '').split('\n');
    for (let i = 0; i < lines.length; ) {
      assert.ok(lines[i]!.startsWith('$ '), lines[i]);
      const command = lines[i++]!.slice(2);
      const out: string[] = [];
      while (i < lines.length && !lines[i]!.startsWith('$ ')) out.push(lines[i++]!);
      steps.push({ command, expected: out.join('\n') });
    }
  }
  return steps;
}

/** Runs `command` with `sh -c` in `cwd` (30 s bound). */
export function sh(command: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return collectCli(spawn('sh', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }), [command], 30_000);
}
