/**
 * Run the real CLI (`node bin/run.js ...`) as a child process, as a user would.
 * oclif loads the compiled commands from dist/commands (package.json `oclif.commands`),
 * so CLI tests exercise what `npm test` built.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export const binRun = join(repoRoot, 'bin', 'run.js');

export function runCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [binRun, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectCli(child, args, opts.timeoutMs ?? 60_000);
}

/**
 * Collects a spawned `tfs <args>` child's stdout/stderr until it exits; kills it and rejects
 * (with what it printed) when it is still running after `timeoutMs`.
 */
export function collectCli(child: ChildProcessByStdio<null, Readable, Readable>, args: readonly string[], timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tfs ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
