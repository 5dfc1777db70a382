/**
 * Runs the `tfs` CLI of the build these tests were compiled into, as a child process.
 *
 * oclif finds commands through package.json (`oclif.commands` = ./dist/commands). When this
 * file runs from `dist/` (npm test, CI) the real entry point `bin/run.js` is spawned (via
 * ./cli.ts). When it runs from another build dir (`tsc --outDir dist-<name>`, used while
 * several people build in one tree), a temporary package root is made whose package.json
 * is ours with `oclif.commands` pointing at `<build dir>/commands`, and oclif's `execute`
 * runs on it, so the commands under test are always the ones compiled next to the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { binRun, collectCli, runCli, type CliResult } from './cli.js';
import { repoRoot } from './paths.js';

export type { CliResult };

/** The build dir this file was compiled into (…/<build>/test/helpers/cli-build.js). */
export const buildDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** True when the tests run from the real dist/ (bin/run.js then runs these very commands). */
export const fromDist = buildDir === join(repoRoot, 'dist');

let tmpRoot: string | undefined;

export function packageRootForBuild(): string {
  if (tmpRoot) return tmpRoot;
  const dir = mkdtempSync(join(tmpdir(), 'tfs-cli-'));
  const pj = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { oclif: Record<string, unknown> };
  pj.oclif['commands'] = relative(dir, join(buildDir, 'commands'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pj, null, 2));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  tmpRoot = dir;
  return dir;
}

/**
 * The node arguments that run `tfs` on this build's commands through oclif's `execute` (the
 * arguments travel in TFS_CLI_ARGS, which `env` must then carry).
 */
function builtCliArgv(): string[] {
  const oclif = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('@oclif/core')).href;
  const pj = join(packageRootForBuild(), 'package.json');
  const script = `import { execute } from ${JSON.stringify(oclif)};\nawait execute({ dir: ${JSON.stringify(pj)}, args: JSON.parse(process.env.TFS_CLI_ARGS) });`;
  return ['--input-type=module', '-e', script];
}

/** Runs `tfs <args>` from this build and collects its output (killed after `timeoutMs`). */
export function runBuiltCli(args: readonly string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  if (fromDist) return runCli(args, opts);
  const child = spawn(process.execPath, builtCliArgv(), {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, TFS_CLI_ARGS: JSON.stringify(args), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectCli(child, args, opts.timeoutMs ?? 60_000);
}

/**
 * Starts `tfs <args>` from this build without waiting for it (for long-running commands such
 * as `serve`); the caller reads its output and stops it. stdin is ignored, stdout/stderr piped.
 */
export function spawnBuiltCli(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const env = { ...process.env, NO_COLOR: '1', ...opts.env };
  if (fromDist) {
    return spawn(process.execPath, [binRun, ...args], { cwd: opts.cwd ?? repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  return spawn(process.execPath, builtCliArgv(), {
    cwd: opts.cwd ?? repoRoot,
    env: { ...env, TFS_CLI_ARGS: JSON.stringify(args) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
