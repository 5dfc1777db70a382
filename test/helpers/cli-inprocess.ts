/**
 * Runs `tfs <args>` inside the test process through oclif (`Config.load` + `run`), with
 * stdout/stderr captured and errors handled as bin/run.js handles them, so a `--help`,
 * validate or misuse case costs milliseconds instead of a node start-up (~1 s each).
 *
 * Use it for commands that finish by themselves and need no process of their own (not
 * `serve`, and nothing that reads signals or stdin). It loads the commands this test was
 * compiled with (dist/, or a `tsc --outDir dist-<name>` build, as cli-build.ts does).
 * Output is captured by async context (AsyncLocalStorage): only writes made on behalf of the
 * command are taken, so the test runner's own reporting on stdout passes through. Calls are
 * serialised (the working directory, process.exitCode and oclif's Exit hook are global).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { Config, run } from '@oclif/core';
import { Exit, handle } from '@oclif/core/handle';
import { fromDist, packageRootForBuild, type CliResult } from './cli-build.js';
import { repoRoot } from './paths.js';

let config: Promise<Config> | undefined;
let queue: Promise<unknown> = Promise.resolve();

function loadConfig(): Promise<Config> {
  config ??= Config.load(fromDist ? repoRoot : join(packageRootForBuild(), 'package.json'));
  return config;
}

type Write = typeof process.stdout.write;

interface Captured {
  stdout: string;
  stderr: string;
}
const capture = new AsyncLocalStorage<Captured>();
let patched = false;

/** Routes writes made inside a capture() context to it; everything else goes to the stream. */
function patchStreams(): void {
  if (patched) return;
  patched = true;
  for (const key of ['stdout', 'stderr'] as const) {
    const stream = process[key];
    const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const c = capture.getStore();
      if (!c) return original(chunk, ...rest);
      c[key] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as Write;
  }
}

async function runOnce(args: readonly string[], cwd: string | undefined): Promise<CliResult> {
  const cfg = await loadConfig();
  patchStreams();
  const out: Captured = { stdout: '', stderr: '' };
  const exitFn = Exit.exit;
  const oldCwd = process.cwd();
  const oldExitCode = process.exitCode;
  const oldNoColor = process.env['NO_COLOR'];
  let code: number | undefined;
  // oclif's handle() ends with Exit.exit(code): record the code instead of exiting.
  Exit.exit = ((c = 0) => {
    code = c;
  }) as typeof Exit.exit;
  process.exitCode = undefined;
  process.env['NO_COLOR'] = '1';
  try {
    if (cwd) process.chdir(cwd);
    await capture.run(out, async () => {
      try {
        await run([...args], cfg);
      } catch (err) {
        await handle(err as Error);
      }
    });
  } finally {
    process.chdir(oldCwd);
    Exit.exit = exitFn;
    if (code === undefined) code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    process.exitCode = oldExitCode;
    if (oldNoColor === undefined) delete process.env['NO_COLOR'];
    else process.env['NO_COLOR'] = oldNoColor;
  }
  return { code, stdout: out.stdout, stderr: out.stderr };
}

/** `tfs <args>` in this process: exit code, stdout and stderr as a spawned CLI would give. */
export function runCliInProcess(args: readonly string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  const next = queue.then(() => runOnce(args, opts.cwd));
  queue = next.catch(() => undefined);
  return next;
}
