/**
 * End-to-end harness: runs the real `tfs serve` (the CLI of the build these tests were
 * compiled into, via spawnBuiltCli) on 127.0.0.1 with free ports, reads its JSON logs, and
 * finds the ports in the start-up line (`Serving ...`, fields grpcPort / restPort).
 *
 * Everything waits on events (a log line, a process exit, a response) with generous
 * timeouts, so the tests hold on a loaded 2-core machine.
 */
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBuiltCli } from '../helpers/cli-build.js';
import assert from 'node:assert/strict';
import { fixtures, repoRoot } from '../helpers/paths.js';

/** One parsed JSON log line of the server. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface Serve {
  readonly child: ChildProcess;
  readonly grpcPort: number;
  readonly restPort: number;
  readonly rest: string;
  /** Every log line so far (JSON lines of stderr). */
  readonly logs: LogLine[];
  /** Raw stdout / stderr so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the first log line (past or future) matching `pred`. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
}

/** Start-up can take a while on a busy machine (models are read and compiled first). */
export const STARTUP_TIMEOUT_MS = 60_000;

interface Watcher {
  pred: (l: LogLine) => boolean;
  resolve: (l: LogLine) => void;
}

/**
 * Starts `tfs serve <args>` with `--host=127.0.0.1 --port=0 --rest_api_port=0` (override by
 * passing those flags in `args`) and resolves once it logs that it is serving. Rejects with
 * the output when it exits or does not start in time. Call `stop()` (or `child.kill`) after.
 */
export async function startServe(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Serve> {
  const all = ['serve', '--host=127.0.0.1', '--port=0', '--rest_api_port=0', ...args];
  const child = spawnBuiltCli(all, { ...opts, env: { ...opts.env, TFS_LOG_FORMAT: 'json' } });
  let stdout = '';
  let stderr = '';
  let partial = '';
  const logs: LogLine[] = [];
  let watchers: Watcher[] = [];
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr += text;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        continue;
      }
      logs.push(parsed);
      watchers = watchers.filter((w) => {
        if (!w.pred(parsed)) return true;
        w.resolve(parsed);
        return false;
      });
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const output = (): { stdout: string; stderr: string } => ({ stdout, stderr });
  const describe = (): string => `\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr.slice(-6000)}`;

  const waitForLog = (pred: (l: LogLine) => boolean, timeoutMs = 30_000, what = 'log line'): Promise<LogLine> => {
    const seen = logs.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms${describe()}`)), timeoutMs);
      const w: Watcher = {
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      watchers.push(w);
      void exited.then((code) => {
        if (!watchers.includes(w)) return;
        clearTimeout(timer);
        reject(new Error(`tfs serve exited (${code}) before the ${what}${describe()}`));
      });
    });
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`tfs serve did not exit within ${timeoutMs} ms of ${signal}${describe()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  let ready: LogLine;
  try {
    ready = await waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('Serving '), STARTUP_TIMEOUT_MS, 'start-up line');
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const grpcPort = Number(ready['grpcPort']);
  const restPort = Number(ready['restPort']);
  return { child, grpcPort, restPort, rest: `http://127.0.0.1:${restPort}`, logs, output, waitForLog, stop, exited };
}

/** Runs `tfs serve <args>` expecting it to fail at start-up; resolves with its code and output. */
export async function serveFailure(
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnBuiltCli(['serve', '--host=127.0.0.1', '--port=0', '--rest_api_port=0', ...args], {
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: { ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timeoutMs = opts.timeoutMs ?? STARTUP_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tfs serve ${args.join(' ')} was still running after ${timeoutMs} ms\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

/** A temp dir with copies of the named fixture models (`fixtures/models/<name>`); removed on `cleanup()`. */
export function copyModels(...names: string[]): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-e2e-'));
  for (const n of names) cpSync(join(fixtures, 'models', n), join(dir, n), { recursive: true });
  return { dir, path: (n) => join(dir, n), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** POST JSON, resolving with status and parsed body (never rejects on HTTP errors). */
export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Polls `check` (every `everyMs`) until it returns a value other than undefined; rejects after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The `tfs serve` arguments of `npm start` (fixtures/configs/demo/serve-flags.txt), without its pretty log format. */
export function npmStartServeArgs(): string[] {
  const text = readFileSync(join(repoRoot, 'fixtures', 'configs', 'demo', 'serve-flags.txt'), 'utf8');
  const flags = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  assert.ok(flags.length > 0, 'serve-flags.txt lists the demo flags');
  return flags.filter((a) => !a.startsWith('--log_format'));
}
