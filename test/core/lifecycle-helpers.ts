/**
 * Test helpers for the model lifecycle: temp model directories, fake servables and loaders
 * (TF Serving's core/test_util idea), log capture and bounded waits.
 */
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ModelServable, SignatureSpec } from '../../src/core/servable.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { Logger } from '../../src/util/logger.js';

/** A fresh temp directory, removed by the returned cleanup. */
export async function tempDir(prefix = 'tfs-core-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Write a complete fake version directory: `saved_model.pb` holding `content` (the fake
 * loader reads it: `fail` makes it fail) and a one-shard variables checkpoint.
 */
export async function writeVersion(base: string, dirName: string | number, content = 'ok'): Promise<string> {
  const dir = join(base, String(dirName));
  await mkdir(join(dir, 'variables'), { recursive: true });
  await writeFile(join(dir, 'variables', 'variables.data-00000-of-00001'), 'data');
  await writeFile(join(dir, 'variables', 'variables.index'), 'index');
  await writeFile(join(dir, 'saved_model.pb'), content);
  return dir;
}

/** Copy a directory tree and make every copy writable (shared fixtures are read-only). */
export async function copyTree(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
  const { readdir } = await import('node:fs/promises');
  const walk = async (d: string): Promise<void> => {
    await chmod(d, 0o755);
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else await chmod(p, 0o644);
    }
  };
  await walk(to);
}

const SIG: SignatureSpec = {
  key: 'serving_default',
  methodName: 'tensorflow/serving/predict',
  inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', shape: [-1] } },
  outputs: { y: { name: 'y:0', dtype: 'DT_FLOAT', shape: [-1] } },
  defaults: {},
};

/** A servable whose `y` output is its version number; runs after dispose() throw. */
export class FakeServable implements ModelServable {
  readonly signatures = new Map([['serving_default', SIG]]);
  readonly signatureDefMap = {};
  disposed = false;
  runs = 0;

  constructor(
    readonly name: string,
    readonly version: number,
    private readonly runDelayMs = 0,
  ) {}

  async run(_key: string, _inputs: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    if (this.disposed) throw new Error(`run on disposed servable ${this.name}/${this.version}`);
    this.runs++;
    if (this.runDelayMs > 0) await new Promise((r) => setTimeout(r, this.runDelayMs));
    if (this.disposed) throw new Error(`servable ${this.name}/${this.version} disposed during run`);
    return { y: { dtype: 'DT_FLOAT', shape: [1], data: new Float32Array([this.version]) } };
  }

  async dispose(): Promise<void> {
    if (this.disposed) throw new Error('disposed twice');
    this.disposed = true;
  }
}

export interface FakeLoaderOptions {
  /** Delay before a load resolves. */
  readonly delayMs?: number;
  readonly runDelayMs?: number;
}

/**
 * A loader over fake version directories: reads `saved_model.pb`; `fail` rejects with a
 * NOT_FOUND-like error, `fail-once` fails the first attempt only.
 */
export function fakeLoader(opts: FakeLoaderOptions = {}) {
  const calls: Array<{ name: string; version: number; dir: string }> = [];
  const loaded: FakeServable[] = [];
  let active = 0;
  let maxActive = 0;
  const failedOnce = new Set<string>();
  const load = async (name: string, version: number, dir: string, signal: AbortSignal): Promise<ModelServable> => {
    calls.push({ name, version, dir });
    active++;
    maxActive = Math.max(maxActive, active);
    try {
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (signal.aborted) throw new Error('aborted');
      let content: string;
      try {
        content = (await readFile(join(dir, 'saved_model.pb'), 'utf8')).trim();
      } catch {
        const { TfsError, Code } = await import('../../src/errors.js');
        throw new TfsError(Code.NOT_FOUND, `Could not find SavedModel .pb or .pbtxt at supplied export directory path: ${dir}`);
      }
      if (content === 'fail' || (content === 'fail-once' && !failedOnce.has(dir))) {
        failedOnce.add(dir);
        const { TfsError, Code } = await import('../../src/errors.js');
        throw new TfsError(Code.INVALID_ARGUMENT, `bad model at ${dir}`);
      }
      const s = new FakeServable(name, version, opts.runDelayMs ?? 0);
      loaded.push(s);
      return s;
    } finally {
      active--;
    }
  };
  return {
    load,
    calls,
    loaded,
    get maxActive() {
      return maxActive;
    },
  };
}

/** A pino logger whose messages land in `lines` (level name + message). */
export function captureLogger(): { logger: Logger; lines: Array<{ level: string; msg: string }>; has: (re: RegExp | string) => boolean } {
  const lines: Array<{ level: string; msg: string }> = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(s: string) {
        const o = JSON.parse(s) as { level: number; msg: string };
        lines.push({ level: pino.levels.labels[o.level] ?? String(o.level), msg: o.msg });
      },
    },
  );
  const has = (re: RegExp | string): boolean => lines.some((l) => (typeof re === 'string' ? l.msg.includes(re) : re.test(l.msg)));
  return { logger, lines, has };
}

/** Poll `pred` every 10 ms until it is true; fail after `timeoutMs`. */
export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
