/**
 * FileSystemSource: watches each model's base path and tells the manager which versions
 * to serve (upstream FileSystemStoragePathSource, file_system_storage_path_source.cc).
 *
 * Every `pollWaitSeconds` (upstream `--file_system_poll_wait_seconds`: default 1; 0 = poll
 * once, looking again only at versions that were still being written; negative = never)
 * every base path is listed. Children whose whole name is an
 * integer and that are directories are versions (`00000123` is 123); the model's version
 * policy picks the ones to serve, and the complete list is sent to the callback (leaving a
 * version out means "unload it"). A chokidar watcher on the base paths triggers an extra,
 * debounced poll as soon as something changes, so new versions load without waiting for
 * the next period.
 *
 * As upstream: a base path that does not exist makes the whole poll round fail (logged as
 * `FileSystemStoragePathSource encountered a filesystem access error: Could not find base
 * path …`) and nothing changes; a model with no versions gets an empty list (warning
 * `No versions of servable … found under base path …`), which unloads what it served.
 *
 * Base paths are local directories (absolute or `file://`) or `s3://bucket/prefix`
 * (storage-location.ts). For `s3://` the listing is ListObjectsV2 and each offered version is
 * a complete local copy (s3-versions.ts); the manager reports END through
 * {@link FileSystemSource.releaseVersion} so the copy of an unloaded version is removed.
 * Other schemes fail the poll with TF's `File system scheme '…' not implemented` text.
 *
 * Beyond upstream: a version directory still being written is not offered until it is
 * complete (see version-dir.ts), so copying a new version in never leaves a half-read,
 * permanently failed version. A directory that stays incomplete but unchanged for
 * `incompleteVersionGraceMs` is offered anyway, so the loader reports its real error.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { VersionPolicy } from '../config/types.js';
import type { AspiredVersion } from '../core/aspired-versions-manager.js';
import { sleep } from '../core/semaphore.js';
import { latestCount, parseVersionNumber } from '../core/version-policy.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { S3Versions, type S3Location } from './s3-versions.js';
import { parseStorageLocation } from './storage-location.js';
import { describeIncompleteness, checkVersionStructure, snapshotVersionDir } from './version-dir.js';

/** One model the source watches (upstream ServableToMonitor). */
export interface ServableToMonitor {
  readonly name: string;
  /** Absolute path or `file://` URI of the directory holding numeric version directories. */
  readonly basePath: string;
  readonly policy: VersionPolicy;
}

/** Receives the complete aspired list of one model; an empty list unloads it. */
export type AspiredVersionsCallback = (name: string, versions: AspiredVersion[]) => void;

export interface FileSystemSourceOptions {
  /** Poll period in seconds; 0 = poll once; negative = never poll by itself. Default 1. */
  readonly pollWaitSeconds?: number;
  readonly logger?: Logger;
  /** React to file-system events between polls (chokidar). Default true; only when pollWaitSeconds > 0. */
  readonly watch?: boolean;
  /** Quiet time after the last file-system event before polling. Default 100 ms. */
  readonly watchDebounceMs?: number;
  /** Gap between the two looks that must agree before a new version is offered. Default 100 ms. */
  readonly settleMs?: number;
  /** How long an unchanged but incomplete version directory waits before it is offered anyway. Default 3000 ms. */
  readonly incompleteVersionGraceMs?: number;
  /** Environment for `s3://` base paths (S3 settings, TFS_MODEL_CACHE_DIR). Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

interface VersionTracking {
  readonly path: string;
  /** Offered to the manager (complete, or incomplete past the grace period). Not re-checked. */
  accepted: boolean;
  lastSnapshot: string | undefined;
  lastLookAt: number;
  /** When the content was last seen changing. */
  stableSince: number;
  /** The "waiting for it to be complete" line was logged. */
  loggedWaiting: boolean;
}

interface ServableTracking {
  cfg: ServableToMonitor;
  readonly versions: Map<number, VersionTracking>;
}

type ScanResult = { ok: true; versions: AspiredVersion[] } | { ok: false; message: string };

const STRERROR: Record<string, [string, string]> = {
  ENOENT: ['NOT_FOUND', 'No such file or directory'],
  ENOTDIR: ['FAILED_PRECONDITION', 'Not a directory'],
  EACCES: ['PERMISSION_DENIED', 'Permission denied'],
  EPERM: ['PERMISSION_DENIED', 'Operation not permitted'],
};

/** A failed directory listing as TF's IOError status text: `CODE: <path>; <strerror>`. */
function ioErrorText(path: string, e: unknown): string {
  const code = (e as { code?: string }).code ?? '';
  const [status, text] = STRERROR[code] ?? ['UNKNOWN', e instanceof Error ? e.message : String(e)];
  return `${status}: ${path}; ${text}`;
}

export class FileSystemSource {
  private readonly pollWaitSeconds: number;
  private readonly logger: Logger;
  private readonly useWatcher: boolean;
  private readonly watchDebounceMs: number;
  private readonly settleMs: number;
  private readonly graceMs: number;
  private callback: AspiredVersionsCallback | undefined;
  private tracking = new Map<string, ServableTracking>();
  private watcher: FSWatcher | undefined;
  private watchedPaths = new Set<string>();
  private started = false;
  private closed = false;
  private readonly closeController = new AbortController();
  /** `s3://` base paths: listing and local copies. */
  private readonly s3: S3Versions;
  private timer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  /** With pollWaitSeconds 0: the re-look at versions that were still being written. */
  private retryTimer: NodeJS.Timeout | undefined;
  /** Rounds run one after another. */
  private chain: Promise<void> = Promise.resolve();
  /** A full round queued but not started yet (calls coalesce into it). */
  private fullRoundQueued: Promise<void> | undefined;

  constructor(opts: FileSystemSourceOptions = {}) {
    this.pollWaitSeconds = opts.pollWaitSeconds ?? 1;
    this.logger = opts.logger ?? silentLogger;
    this.useWatcher = (opts.watch ?? true) && this.pollWaitSeconds > 0;
    this.watchDebounceMs = opts.watchDebounceMs ?? 100;
    this.settleMs = opts.settleMs ?? 100;
    this.graceMs = opts.incompleteVersionGraceMs ?? 3000;
    this.s3 = new S3Versions({
      logger: this.logger,
      settleMs: this.settleMs,
      graceMs: this.graceMs,
      signal: this.closeController.signal,
      ...(opts.env ? { env: opts.env } : {}),
    });
  }

  /**
   * The manager is done with a version (it reached END). For an `s3://` model whose version
   * is no longer aspired, this removes its local copy; otherwise it does nothing.
   */
  releaseVersion(name: string, version: number): void {
    this.s3.release(name, version);
  }

  /** Send a model's aspired list (object-store copies of versions that leave it are released on END). */
  private offer(name: string, versions: AspiredVersion[]): void {
    this.s3.aspired(name, versions.map((v) => v.version));
    this.callback?.(name, versions);
  }

  /** Where aspired-version lists go (the manager). Set before start(). */
  setAspiredVersionsCallback(cb: AspiredVersionsCallback): void {
    this.callback = cb;
  }

  /** The models watched now. */
  get servables(): ServableToMonitor[] {
    return [...this.tracking.values()].map((t) => t.cfg);
  }

  /**
   * Replace the watched models. Models no longer listed get an empty aspired list at once
   * (their versions unload); added or changed ones are polled right away when the source
   * polls by itself (with pollWaitSeconds = 0 the new models are polled once).
   */
  updateConfig(servables: readonly ServableToMonitor[]): void {
    const old = this.tracking;
    const next = new Map<string, ServableTracking>();
    const changed: string[] = [];
    for (const s of servables) {
      const prev = old.get(s.name);
      if (prev && prev.cfg.basePath === s.basePath) {
        if (!samePolicy(prev.cfg.policy, s.policy)) changed.push(s.name);
        prev.cfg = s;
        next.set(s.name, prev);
      } else {
        next.set(s.name, { cfg: s, versions: new Map() });
        changed.push(s.name);
      }
    }
    const removed = [...old.keys()].filter((n) => !next.has(n));
    this.tracking = next;
    for (const name of removed) this.offer(name, []);
    this.updateWatchedPaths();
    if (this.started && !this.closed && changed.length > 0) {
      if (this.pollWaitSeconds > 0) void this.pollNow();
      else if (this.pollWaitSeconds === 0) void this.enqueueRound(changed);
    }
  }

  /** Start polling (and watching). The first round runs at once. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.pollWaitSeconds < 0) return;
    this.updateWatchedPaths();
    this.loop();
  }

  /**
   * Poll every model now (rounds never overlap: a call while one runs queues one more, and
   * calls while that one waits share it). Resolves when a round that started after this
   * call has finished.
   */
  pollNow(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.fullRoundQueued ??= this.enqueueRound(undefined, () => {
      this.fullRoundQueued = undefined;
    });
    return this.fullRoundQueued;
  }

  /** Stop polling and watching. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closeController.abort();
    if (this.timer) clearTimeout(this.timer);
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const w = this.watcher;
    this.watcher = undefined;
    await w?.close().catch(() => undefined);
    await this.chain.catch(() => undefined);
    await this.s3.close();
  }

  private loop(): void {
    if (this.closed) return;
    const startedAt = Date.now();
    void this.pollNow().finally(() => {
      if (this.closed || this.pollWaitSeconds <= 0) return;
      // The period is measured from the start of the previous round, as upstream's PeriodicFunction.
      const delay = Math.max(0, startedAt + this.pollWaitSeconds * 1000 - Date.now());
      this.timer = setTimeout(() => this.loop(), delay);
    });
  }

  private enqueueRound(names: readonly string[] | undefined, onStart?: () => void): Promise<void> {
    const run = this.chain.then(() => {
      onStart?.();
      return this.round(names);
    });
    this.chain = run.catch((e: unknown) => {
      this.logger.error({ err: e }, `FileSystemStoragePathSource poll failed unexpectedly: ${String(e)}`);
    });
    return this.chain;
  }

  private updateWatchedPaths(): void {
    if (!this.useWatcher || !this.started || this.closed) return;
    const wanted = new Set<string>();
    for (const t of this.tracking.values()) {
      const loc = parseStorageLocation(t.cfg.basePath);
      if (loc.kind === 'local') wanted.add(loc.path);
    }
    if (!this.watcher) {
      if (wanted.size === 0) return;
      this.watcher = watch([...wanted], { ignoreInitial: true, depth: 2 });
      this.watcher.on('all', () => this.onFileSystemEvent());
      this.watcher.on('error', (e: unknown) => {
        this.logger.debug({ err: e }, `file-system watcher error (polling continues): ${String(e)}`);
      });
      this.watchedPaths = wanted;
      return;
    }
    const add = [...wanted].filter((p) => !this.watchedPaths.has(p));
    const drop = [...this.watchedPaths].filter((p) => !wanted.has(p));
    if (add.length > 0) this.watcher.add(add);
    if (drop.length > 0) this.watcher.unwatch(drop);
    this.watchedPaths = wanted;
  }

  private onFileSystemEvent(): void {
    if (this.closed) return;
    // Wait for a quiet moment: a copy produces a burst of events.
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.pollNow();
    }, this.watchDebounceMs);
  }

  /** One poll round over `names` (all models when undefined). */
  private async round(names: readonly string[] | undefined): Promise<void> {
    if (this.closed) return;
    const targets = [...this.tracking.values()].filter((t) => !names || names.includes(t.cfg.name));
    const results = await Promise.all(targets.map((t) => this.scan(t)));
    if (this.closed) return;
    // As upstream, one failing base path fails the whole round: nothing changes this time.
    for (const r of results) {
      if (!r.ok) {
        this.logger.error(`FileSystemStoragePathSource encountered a filesystem access error: ${r.message}`);
        return;
      }
    }
    targets.forEach((t, i) => {
      const r = results[i]!;
      // A model removed or re-pointed while the round ran is not reported.
      if (!r.ok || this.tracking.get(t.cfg.name) !== t) return;
      for (const v of r.versions) {
        this.logger.debug(
          `File-system polling update: Servable:{name: ${t.cfg.name} version: ${v.version}}; Servable path: ${v.path}; Polling frequency: ${this.pollWaitSeconds}`,
        );
      }
      this.offer(t.cfg.name, r.versions);
    });
    // Polling once (period 0) must still see a version that was being written at that moment.
    if (this.pollWaitSeconds === 0 && !this.closed) {
      const waiting = targets.filter((t) => this.tracking.get(t.cfg.name) === t && hasPendingVersion(t)).map((t) => t.cfg.name);
      if (waiting.length > 0) {
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          void this.enqueueRound(waiting);
        }, Math.max(this.settleMs, 250));
      }
    }
  }

  /** Numbered child directories (or links to directories) of a base path, by version. */
  private async versionDirs(dir: string, dirents: Dirent[]): Promise<Map<number, string>> {
    const names: string[] = [];
    for (const d of dirents) {
      if (parseVersionNumber(d.name) === undefined) continue;
      let isDir = d.isDirectory();
      if (!isDir && d.isSymbolicLink()) isDir = await stat(join(dir, d.name)).then((s) => s.isDirectory(), () => false);
      if (isDir) names.push(d.name);
    }
    return this.versionNames(names);
  }

  /** List one base path and apply the model's policy to its complete versions. */
  private async scan(t: ServableTracking): Promise<ScanResult> {
    const { name, basePath } = t.cfg;
    const loc = parseStorageLocation(basePath);
    if (loc.kind === 'unsupported') {
      return { ok: false, message: `Could not find base path ${basePath} for servable ${name} with error ${loc.error}` };
    }
    if (loc.kind === 's3') return this.scanS3(t, loc);
    try {
      await stat(loc.path);
    } catch {
      return {
        ok: false,
        message: `Could not find base path ${basePath} for servable ${name} with error NOT_FOUND: ${basePath} not found`,
      };
    }
    let dirents;
    try {
      dirents = await readdir(loc.path, { withFileTypes: true });
    } catch (e) {
      return { ok: false, message: ioErrorText(basePath, e) };
    }
    const byVersion = await this.versionDirs(loc.path, dirents);
    // Forget versions that vanished or moved.
    for (const [v, vt] of t.versions) {
      const child = byVersion.get(v);
      if (child === undefined || join(loc.path, child) !== vt.path) t.versions.delete(v);
    }
    const pathOf = (v: number): string => join(loc.path, byVersion.get(v)!);
    const selected = await this.select(t, byVersion, (v) => this.isComplete(t, v, pathOf(v)));
    return { ok: true, versions: selected.map((v) => ({ version: v, path: pathOf(v) })) };
  }

  /** The same for an `s3://` base path: versions are offered as complete local copies (s3-versions.ts). */
  private async scanS3(t: ServableTracking, loc: S3Location): Promise<ScanResult> {
    const name = t.cfg.name;
    const listed = await this.s3.list(name, loc);
    if (!listed.ok) return listed;
    const byVersion = this.versionNames(listed.dirs);
    const copies = new Map<number, string>();
    const selected = await this.select(t, byVersion, async (v) => {
      const path = await this.s3.localCopy(name, loc, v, byVersion.get(v)!);
      if (path !== undefined) copies.set(v, path);
      return path !== undefined;
    });
    return { ok: true, versions: selected.map((v) => ({ version: v, path: copies.get(v)! })) };
  }

  /** Version numbers of child names; with duplicates (`1` and `001`) the last in sorted order wins, as upstream. */
  private versionNames(names: string[]): Map<number, string> {
    const byVersion = new Map<number, string>();
    for (const child of [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const version = parseVersionNumber(child);
      if (version === undefined) continue;
      const prev = byVersion.get(version);
      if (prev !== undefined) {
        this.logger.warn(`Duplicate version directories detected. Version ${version} will be loaded from ${child}, ${prev} will be ignored.`);
      }
      byVersion.set(version, child);
    }
    return byVersion;
  }

  /** The versions the model's policy selects among the complete ones, ascending. */
  private async select(t: ServableTracking, byVersion: Map<number, string>, isComplete: (v: number) => Promise<boolean>): Promise<number[]> {
    const { name, basePath, policy } = t.cfg;
    const selected: number[] = [];
    switch (policy.kind) {
      case 'latest': {
        const n = latestCount(policy);
        const desc = [...byVersion.keys()].sort((a, b) => b - a);
        for (const v of desc) {
          if (selected.length >= n) break;
          if (await isComplete(v)) selected.push(v);
        }
        break;
      }
      case 'all':
      case 'specific': {
        const wanted = policy.kind === 'all' ? [...byVersion.keys()] : [...new Set(policy.versions)];
        const present = wanted.filter((v) => byVersion.has(v));
        for (const v of wanted) {
          if (byVersion.has(v)) continue;
          this.logger.warn(
            `Version ${v} of servable ${name}, which was requested to be served as a 'specific' version in the servable's version policy, was not found in the file system`,
          );
        }
        const ok = await Promise.all(present.map((v) => isComplete(v)));
        present.forEach((v, i) => {
          if (ok[i]) selected.push(v);
        });
        break;
      }
    }
    const anyFound = policy.kind === 'specific' ? policy.versions.some((v) => byVersion.has(v)) : byVersion.size > 0;
    if (!anyFound) {
      this.logger.warn(
        `No versions of servable ${name} found under base path ${basePath}. Did you forget to name your leaf directory as a number (eg. '/1/')?`,
      );
    }
    return selected.sort((a, b) => a - b);
  }

  /** Whether version `v` may be offered: complete, and unchanged between two looks. */
  private async isComplete(t: ServableTracking, v: number, path: string): Promise<boolean> {
    let vt = t.versions.get(v);
    if (vt?.accepted) return true;
    const now = Date.now();
    if (!vt) {
      vt = { path, accepted: false, lastSnapshot: undefined, lastLookAt: 0, stableSince: now, loggedWaiting: false };
      t.versions.set(v, vt);
    }
    let why = await checkVersionStructure(path);
    if (why === 'empty') {
      // Nothing to load yet (e.g. `mkdir 3` before the copy). Upstream would fail it for good.
      vt.lastSnapshot = undefined;
      vt.stableSince = now;
      this.logWaiting(t, v, vt, describeIncompleteness(why));
      return false;
    }
    const snap = await snapshotVersionDir(path);
    if (snap !== vt.lastSnapshot || now - vt.lastLookAt < this.settleMs) {
      if (snap !== vt.lastSnapshot) {
        vt.lastSnapshot = snap;
        vt.stableSince = now;
      }
      // Second look a moment later: sizes still changing means a copy is in progress.
      try {
        await sleep(this.settleMs, this.closeController.signal);
      } catch {
        return false;
      }
      const again = await snapshotVersionDir(path);
      why = await checkVersionStructure(path);
      if (again !== snap) {
        vt.lastSnapshot = again;
        vt.stableSince = Date.now();
        vt.lastLookAt = Date.now();
        this.logWaiting(t, v, vt, 'its files are still changing');
        return false;
      }
    }
    vt.lastLookAt = Date.now();
    if (why === undefined) {
      vt.accepted = true;
      if (vt.loggedWaiting) this.logger.info(`Version ${v} of servable ${t.cfg.name} at ${path} is complete`);
      return true;
    }
    if (why !== 'empty' && Date.now() - vt.stableSince >= this.graceMs) {
      this.logger.warn(
        `Version ${v} of servable ${t.cfg.name} at ${path} is incomplete (${describeIncompleteness(why)}) and has not changed for ${this.graceMs} ms; loading it anyway`,
      );
      vt.accepted = true;
      return true;
    }
    this.logWaiting(t, v, vt, describeIncompleteness(why));
    return false;
  }

  private logWaiting(t: ServableTracking, v: number, vt: VersionTracking, why: string): void {
    if (vt.loggedWaiting) return;
    vt.loggedWaiting = true;
    this.logger.info(
      `Version ${v} of servable ${t.cfg.name} at ${vt.path} is not complete yet (${why}); it will be loaded once it is`,
    );
  }
}

/** A non-empty version directory seen but not offered yet (being written). */
function hasPendingVersion(t: ServableTracking): boolean {
  for (const vt of t.versions.values()) if (!vt.accepted && vt.lastSnapshot !== undefined) return true;
  return false;
}

function samePolicy(a: VersionPolicy, b: VersionPolicy): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'latest' && b.kind === 'latest') return a.numVersions === b.numVersions;
  if (a.kind === 'specific' && b.kind === 'specific') {
    return a.versions.length === b.versions.length && a.versions.every((v, i) => v === b.versions[i]);
  }
  return true;
}
