/**
 * The model repository extension (Triton's RepositoryIndex / RepositoryModelLoad /
 * RepositoryModelUnload) and `--model_control_mode`.
 *
 * A load or unload is a config change applied by ServerCore.reloadConfig, the same path as
 * a model config file reload or HandleReloadConfigRequest: version policy, warmup, metrics,
 * and swaps that keep a version available until its successor is, all apply; requests to
 * other models are never touched (the manager only changes the named model's versions).
 *
 * Where a model comes from, by name: `<--model_repository>/<name>/` when that folder
 * exists, else the running config's entry for it, else the start-up config's entry
 * (so a start-up model can be unloaded and loaded again).
 *
 * API loads and config-file reloads (the poller, in `poll` mode) both replace the config in
 * force: the last writer wins. The index says, per model, whether the running entry came
 * from the start-up or polled config file (`config`) or from the API (`api`); a later file
 * reload marks every model it lists as `config` and drops API-loaded models it does not list.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { singleModelConfig } from '../../config/model-server-config.js';
import type { ModelConfig, ModelServerConfig } from '../../config/types.js';
import type { ServerCoreApi } from '../../core/server-core-api.js';
import type { ConfigReloadEvent } from '../../core/events.js';
import { Errors } from '../../errors.js';

export type ModelControlMode = 'none' | 'poll' | 'explicit';

export const MODEL_CONTROL_MODES: readonly ModelControlMode[] = ['none', 'poll', 'explicit'];

export function isModelControlMode(s: string): s is ModelControlMode {
  return (MODEL_CONTROL_MODES as readonly string[]).includes(s);
}

/** What the repository needs of ServerCore (events and polling are optional, for fakes). */
export interface RepositoryCore extends ServerCoreApi {
  readonly events?: { on(name: 'configReload', fn: (e: ConfigReloadEvent) => void): unknown };
  pollFileSystemNow?(): Promise<void>;
}

/** One row of the index (Triton's ModelIndex, plus where the entry came from). */
export interface RepositoryIndexEntry {
  readonly name: string;
  readonly version?: string;
  /** READY, LOADING, UNLOADING, UNAVAILABLE; absent for a repository model never loaded. */
  readonly state?: string;
  readonly reason?: string;
  /** `config` (start-up or polled config file), `api` (repository load), `repository` (not loaded). */
  readonly source: 'config' | 'api' | 'repository';
}

export interface RepositoryOptions {
  readonly core: RepositoryCore;
  readonly mode: ModelControlMode;
  /** `--model_repository` (absolute or relative to cwd), or undefined. */
  readonly root?: string | undefined;
  /** The start-up config (its entries stay loadable by name after an unload). */
  readonly startupConfig: ModelServerConfig;
}

const STATE_OF: Readonly<Record<string, string>> = {
  START: 'LOADING',
  LOADING: 'LOADING',
  AVAILABLE: 'READY',
  UNLOADING: 'UNLOADING',
  END: 'UNAVAILABLE',
  UNKNOWN: 'UNAVAILABLE',
};

export class ModelRepository {
  readonly mode: ModelControlMode;
  private readonly core: RepositoryCore;
  private readonly root: string | undefined;
  private readonly startup: ModelServerConfig;
  /** Models whose running config entry came from the API. */
  private readonly fromApi = new Set<string>();
  /** Loads and unloads apply one at a time (each reads the config the previous one wrote). */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(opts: RepositoryOptions) {
    this.core = opts.core;
    this.mode = opts.mode;
    this.root = opts.root ? resolve(opts.root) : undefined;
    this.startup = opts.startupConfig;
    opts.core.events?.on('configReload', (e) => {
      if (e.ok && e.source === 'file') this.fromApi.clear();
    });
  }

  /** Folders of the repository root (model names), sorted. */
  repositoryModels(): string[] {
    if (!this.root || !existsSync(this.root)) return [];
    return readdirSync(this.root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  }

  /** Every known model: per tracked version its state, and repository models not loaded. */
  index(readyOnly = false): RepositoryIndexEntry[] {
    const configured = new Set(this.core.currentConfig().models.map((m) => m.name));
    const names = new Set([...configured, ...this.repositoryModels()]);
    const out: RepositoryIndexEntry[] = [];
    for (const name of [...names].sort()) {
      const source = this.fromApi.has(name) ? 'api' : configured.has(name) ? 'config' : 'repository';
      let rows: ReturnType<ServerCoreApi['getModelStatus']> = [];
      try {
        rows = this.core.getModelStatus(name);
      } catch {
        /* never tracked */
      }
      if (!configured.has(name)) {
        // Not in the running config: unloaded (or never loaded).
        if (!readyOnly) out.push(rows.length > 0 ? { name, state: 'UNAVAILABLE', reason: 'unloaded', source } : { name, source });
        continue;
      }
      if (rows.length === 0 && !readyOnly) out.push({ name, state: 'UNAVAILABLE', reason: 'no version is available yet', source });
      for (const r of [...rows].sort((a, b) => a.version - b.version)) {
        const state = STATE_OF[r.state] ?? 'UNAVAILABLE';
        if (readyOnly && state !== 'READY') continue;
        const reason = r.status.errorMessage || (r.state === 'END' ? 'unloaded' : '');
        out.push({ name, version: String(r.version), state, reason, source });
      }
    }
    return out;
  }

  /** Load, or reload, a model by name; resolves when it has an AVAILABLE version. */
  load(name: string): Promise<void> {
    this.checkAllowed(name);
    return this.serialized(async () => {
      const current = this.core.currentConfig();
      const entry = this.entryFor(name, current);
      const existing = current.models.findIndex((m) => m.name === name);
      const models = [...current.models];
      if (existing >= 0) models[existing] = { ...models[existing]!, basePath: entry.basePath };
      else models.push(entry);
      // Marked first: a model whose load fails stays in the config (UNAVAILABLE, with its reason).
      this.fromApi.add(name);
      await this.core.reloadConfig({ models });
      // A reload of a loaded model looks for new (and removed) versions now.
      if (existing >= 0) await this.core.pollFileSystemNow?.();
    });
  }

  /** Unload a model: its versions unload once their in-flight requests finish. */
  unload(name: string): Promise<void> {
    this.checkAllowed(name);
    return this.serialized(async () => {
      const current = this.core.currentConfig();
      if (!current.models.some((m) => m.name === name)) throw Errors.repositoryModelNotLoaded(name);
      await this.core.reloadConfig({ models: current.models.filter((m) => m.name !== name) });
      this.fromApi.delete(name);
    });
  }

  private checkAllowed(name: string): void {
    if (this.mode === 'none') throw Errors.repositoryApiDisabled();
    if (!name || name.includes('/') || name.includes('\\') || name.startsWith('.') || name.includes('\0')) {
      throw Errors.repositoryBadModelName(name);
    }
  }

  private entryFor(name: string, current: ModelServerConfig): ModelConfig {
    if (this.root) {
      const dir = join(this.root, name);
      if (existsSync(dir) && statSync(dir).isDirectory()) {
        const known = current.models.find((m) => m.name === name) ?? this.startup.models.find((m) => m.name === name);
        // Keep a configured entry's policy and labels; only the path comes from the repository.
        return known ? { ...known, basePath: dir } : singleModelConfig(name, dir).models[0]!;
      }
    }
    const known = current.models.find((m) => m.name === name) ?? this.startup.models.find((m) => m.name === name);
    if (!known) throw Errors.repositoryModelNotFound(name);
    return known;
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

/** The start-up config of `--model_repository` alone: every model folder (none in explicit mode). */
export function repositoryStartupConfig(root: string, mode: ModelControlMode): ModelServerConfig {
  if (mode === 'explicit') return { models: [] };
  const dir = resolve(root);
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  return { models: names.map((n) => singleModelConfig(n, join(dir, n)).models[0]!) };
}
