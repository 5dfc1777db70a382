/**
 * The object-store half of the file-system source: which versions an `s3://` base path
 * holds, and a local copy of each version the source offers.
 *
 * - Versions are the numeric child "directories" of the base prefix (ListObjectsV2 with a
 *   `/` delimiter), as for a local base path.
 * - A version is offered only once it is complete (its objects make a whole SavedModel:
 *   `saved_model.pb`, and the variables index and every shard it names; see version-dir.ts),
 *   unchanged between two looks, and downloaded. The download goes to a temporary directory
 *   that is renamed into place when every object has arrived with its listed size, so the
 *   loader never sees a partial copy.
 * - The copies live in a per-process directory under `$TFS_MODEL_CACHE_DIR` (default
 *   `<os temp>/tfs-model-cache`). A copy is removed when its version has left the aspired
 *   list and the manager has unloaded it ({@link S3Versions.release}), and all of them when
 *   the source closes.
 */
import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../core/semaphore.js';
import { type Logger } from '../util/logger.js';
import { describeS3Error, S3Store, s3SettingsFromEnv, type S3Object } from './s3-store.js';
import type { StorageLocation } from './storage-location.js';
import { describeIncompleteness, structureOf } from './version-dir.js';

export type S3Location = Extract<StorageLocation, { kind: 's3' }>;

export interface S3VersionsOptions {
  readonly logger: Logger;
  /** Gap between the two looks that must agree before a new version is downloaded. */
  readonly settleMs: number;
  /** How long an unchanged version with a saved_model.pb but missing variables waits before it is offered anyway. */
  readonly graceMs: number;
  readonly signal: AbortSignal;
  /** Environment for the S3 settings and the cache directory (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

interface RemoteVersion {
  /** `bucket/prefix/child/` the copy comes from. */
  readonly source: string;
  /** The complete local copy, once downloaded. */
  path: string | undefined;
  snapshot: string | undefined;
  lastLookAt: number;
  stableSince: number;
  loggedWaiting: boolean;
  /** In the last aspired list sent for its model. */
  aspired: boolean;
  /** The manager finished with it (END). */
  ended: boolean;
}

/** The cache root of this process (created on first use). */
export function modelCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['TFS_MODEL_CACHE_DIR']?.trim() || join(tmpdir(), 'tfs-model-cache');
  return join(base, `${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** The files of a listing as version-dir.ts's structure check takes them. */
function structureOfObjects(objects: readonly S3Object[]): ReturnType<typeof structureOf> {
  const top = new Set<string>();
  const vars: string[] = [];
  for (const o of objects) {
    const [first, ...rest] = o.rel.split('/');
    top.add(first!);
    if (first === 'variables' && rest.length === 1) vars.push(rest[0]!);
  }
  return structureOf([...top], top.has('variables') ? vars : undefined);
}

const snapshotOf = (objects: readonly S3Object[]): string => objects.map((o) => `${o.rel} ${o.size} ${o.etag}`).join('\n');

export class S3Versions {
  private storeInstance: S3Store | undefined;
  private readonly entries = new Map<string, RemoteVersion>();
  private root: string | undefined;
  private seq = 0;

  constructor(private readonly opts: S3VersionsOptions) {}

  /** The S3 client (settings read from the environment on first use). */
  get store(): S3Store {
    this.storeInstance ??= new S3Store(s3SettingsFromEnv(this.opts.env ?? process.env));
    return this.storeInstance;
  }

  /** The version children of a base prefix, or upstream's "Could not find base path" text. */
  async list(name: string, loc: S3Location): Promise<{ ok: true; dirs: string[] } | { ok: false; message: string }> {
    try {
      const { dirs, any } = await this.store.listChildren(loc.bucket, loc.prefix, this.opts.signal);
      if (!any) return { ok: false, message: `Could not find base path ${loc.uri} for servable ${name} with error NOT_FOUND: no objects under ${loc.uri}` };
      return { ok: true, dirs };
    } catch (e) {
      return { ok: false, message: `Could not find base path ${loc.uri} for servable ${name} with error ${describeS3Error(e, loc.bucket, this.store.endpointText())}` };
    }
  }

  /**
   * The local copy of version `v` (child `child` of the base prefix) once it is complete and
   * downloaded, else undefined (not complete yet, or the download failed: tried again at the
   * next poll).
   */
  async localCopy(name: string, loc: S3Location, v: number, child: string): Promise<string | undefined> {
    const e = this.entry(name, v, `${loc.bucket}/${loc.prefix}${child}/`);
    if (e.path !== undefined) return e.path;
    const prefix = `${loc.prefix}${child}/`;
    const where = `s3://${loc.bucket}/${prefix}`;
    let objects: S3Object[];
    try {
      objects = await this.store.listObjects(loc.bucket, prefix, this.opts.signal);
      if (!(await this.settled(e, objects, loc.bucket, prefix))) {
        this.logWaiting(name, v, e, where, 'its objects are still changing');
        return undefined;
      }
    } catch (err) {
      if (this.opts.signal.aborted) return undefined;
      this.opts.logger.warn(`Listing version ${v} of servable ${name} at ${where} failed: ${describeS3Error(err, loc.bucket, this.store.endpointText())}`);
      return undefined;
    }
    const why = structureOfObjects(objects);
    if (why !== undefined) {
      const late = why !== 'empty' && why !== 'no-saved-model' && Date.now() - e.stableSince >= this.opts.graceMs;
      if (!late) {
        this.logWaiting(name, v, e, where, describeIncompleteness(why));
        return undefined;
      }
      this.opts.logger.warn(`Version ${v} of servable ${name} at ${where} is incomplete (${describeIncompleteness(why)}) and has not changed for ${this.opts.graceMs} ms; loading it anyway`);
    }
    e.path = await this.download(name, v, loc.bucket, prefix, objects);
    if (e.path !== undefined && e.loggedWaiting) this.opts.logger.info(`Version ${v} of servable ${name} at ${where} is complete`);
    return e.path;
  }

  /** Record the aspired list about to be sent for `name`; copies of versions already unloaded that left it are removed. */
  aspired(name: string, versions: readonly number[]): void {
    for (const [key, e] of this.entries) {
      if (!key.startsWith(`${name}\n`)) continue;
      e.aspired = versions.includes(Number(key.slice(name.length + 1)));
      if (!e.aspired && e.ended) this.remove(key, e);
    }
  }

  /** The manager is done with version `v` of `name` (END): its copy goes once it is not aspired. */
  release(name: string, v: number): void {
    const key = `${name}\n${v}`;
    const e = this.entries.get(key);
    if (!e) return;
    e.ended = true;
    if (!e.aspired) this.remove(key, e);
  }

  /** Remove every copy (the source is closing). */
  async close(): Promise<void> {
    this.entries.clear();
    this.storeInstance?.close();
    if (this.root !== undefined) await rm(this.root, { recursive: true, force: true }).catch(() => undefined);
  }

  private entry(name: string, v: number, source: string): RemoteVersion {
    const key = `${name}\n${v}`;
    let e = this.entries.get(key);
    if (e && e.source !== source) {
      // The base path was re-pointed: the old copy goes like one that left the aspired list.
      if (!e.aspired || e.ended) this.remove(key, e);
      e = undefined;
    }
    if (!e) {
      e = { source, path: undefined, snapshot: undefined, lastLookAt: 0, stableSince: Date.now(), loggedWaiting: false, aspired: false, ended: false };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Two looks `settleMs` apart agree (a listing that changed since the last poll is looked at again). */
  private async settled(e: RemoteVersion, objects: S3Object[], bucket: string, prefix: string): Promise<boolean> {
    const snap = snapshotOf(objects);
    const now = Date.now();
    if (snap === e.snapshot && now - e.lastLookAt >= this.opts.settleMs) {
      e.lastLookAt = now;
      return true;
    }
    if (snap !== e.snapshot) {
      e.snapshot = snap;
      e.stableSince = now;
    }
    await sleep(this.opts.settleMs, this.opts.signal);
    const again = await this.store.listObjects(bucket, prefix, this.opts.signal);
    e.lastLookAt = Date.now();
    if (snapshotOf(again) !== snap) {
      e.snapshot = snapshotOf(again);
      e.stableSince = Date.now();
      return false;
    }
    objects.splice(0, objects.length, ...again);
    return true;
  }

  /** Download into a temporary directory, then rename it into place; undefined when it failed. */
  private async download(name: string, v: number, bucket: string, prefix: string, objects: readonly S3Object[]): Promise<string | undefined> {
    this.root ??= modelCacheRoot(this.opts.env ?? process.env);
    const n = ++this.seq;
    const partial = join(this.root, `.partial-${n}`);
    const final = join(this.root, encodeURIComponent(name), `${v}-${n}`);
    const t0 = Date.now();
    try {
      await this.store.download(bucket, prefix, objects, partial, this.opts.signal);
      await mkdir(join(this.root, encodeURIComponent(name)), { recursive: true });
      await rename(partial, final);
    } catch (err) {
      await rm(partial, { recursive: true, force: true }).catch(() => undefined);
      if (!this.opts.signal.aborted) {
        const why = err instanceof Error && !('$metadata' in err) ? err.message : describeS3Error(err, bucket, this.store.endpointText());
        this.opts.logger.error(`Downloading version ${v} of servable ${name} from s3://${bucket}/${prefix} failed (tried again at the next poll): ${why}`);
      }
      return undefined;
    }
    const bytes = objects.reduce((s, o) => s + o.size, 0);
    this.opts.logger.info(`Downloaded version ${v} of servable ${name} from s3://${bucket}/${prefix} to ${final} (${objects.length} objects, ${bytes} bytes, ${Date.now() - t0} ms)`);
    return final;
  }

  /** Forget an entry and delete its copy (renamed away at once, deleted in the background). */
  private remove(key: string, e: RemoteVersion): void {
    if (this.entries.get(key) === e) this.entries.delete(key);
    const path = e.path;
    e.path = undefined;
    if (path === undefined || this.root === undefined) return;
    const trash = join(this.root, `.removed-${++this.seq}`);
    try {
      renameSync(path, trash);
    } catch {
      return;
    }
    this.opts.logger.info(`Removed the local copy of ${key.replace('\n', ' version ')} (${path})`);
    void rm(trash, { recursive: true, force: true }).catch(() => undefined);
  }

  private logWaiting(name: string, v: number, e: RemoteVersion, where: string, why: string): void {
    if (e.loggedWaiting) return;
    e.loggedWaiting = true;
    this.opts.logger.info(`Version ${v} of servable ${name} at ${where} is not complete yet (${why}); it will be loaded once it is`);
  }
}

/**
 * Start-up check of an `s3://` base path: undefined when its prefix can be listed and holds
 * something, else the status text (`NOT_FOUND: …`, `PERMISSION_DENIED: …`, `UNAVAILABLE: …`).
 */
export async function probeS3BasePath(loc: S3Location, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const store = new S3Store(s3SettingsFromEnv(env));
  try {
    const { any } = await store.listChildren(loc.bucket, loc.prefix);
    return any ? undefined : `NOT_FOUND: no objects under ${loc.uri}`;
  } catch (e) {
    return describeS3Error(e, loc.bucket, store.endpointText());
  } finally {
    store.close();
  }
}
