/**
 * `tfs validate --check-models`: load every version of every model a ModelServerConfig
 * names, as `tfs serve` would at start-up, without serving it.
 *
 * For each model: the base path must exist (serve's TFS_ERR_BASE_PATH_NOT_FOUND), the
 * scheme must be one tfs reads, and its version policy must select at least one version
 * present (serve would otherwise wait forever, logging upstream's `No versions of servable
 * ...`). Each selected version is then loaded with the SavedModel loader serve uses (the
 * freezer, the runtime) and its warmup file replayed, and disposed. A failure is reported
 * with the entry serve's start-up error has for it: `{name: m version: v} due to error: ...`.
 * A version that loads without some of its signatures (the runtime lacks their ops) is
 * reported with the signatures it serves and those it does not, with why.
 */
import { asTfsError, Errors } from '../errors.js';
import type { ModelConfig } from '../config/types.js';
import { selectAspiredVersions } from '../core/version-policy.js';
import { initBackend, type BackendName } from '../runtime/backend.js';
import { listVersionDirs } from '../savedmodel/saved-model.js';
import { loadSavedModelServable } from '../servables/saved-model-servable.js';
import { warmupServable } from '../servables/warmup.js';
import type { AspiredVersion } from '../core/aspired-versions-manager.js';
import { FileSystemSource } from '../sources/file-system-source.js';
import { probeS3BasePath, type S3Location } from '../sources/s3-versions.js';
import { parseStorageLocation } from '../sources/storage-location.js';
import { type Logger, silentLogger } from '../util/logger.js';

/** One version as `--check-models` found it. */
export interface VersionCheck {
  readonly version: number;
  readonly dir: string;
  readonly ok: boolean;
  /** Serve's start-up error entry for this version (`{name: m version: v} due to error: ...`). */
  readonly error?: string;
  /** The error's code (`UNIMPLEMENTED`, `DATA_LOSS`, ...). */
  readonly code?: string;
  /** Load time, milliseconds (warmup included). */
  readonly loadMs: number;
  /** Loaded versions: the signatures served. */
  readonly servedSignatures?: string[];
  /** Loaded versions: signatures listed but not served (they answer UNIMPLEMENTED), with why. */
  readonly unservedSignatures?: { key: string; reason: string }[];
}

/** One model as `--check-models` found it. */
export interface ModelCheck {
  readonly name: string;
  readonly basePath: string;
  readonly ok: boolean;
  /** The versions the policy selects, loaded in turn. */
  readonly versions: VersionCheck[];
  /** Model-level errors (base path missing, no versions, unsupported scheme). */
  readonly errors: string[];
  /** E.g. `specific` versions that are not on disk (serve warns and serves the rest). */
  readonly warnings: string[];
}

export interface CheckModelsOptions {
  /** `--backend` of serve (default auto). */
  readonly backend?: BackendName;
  /** `--saved_model_tags` (default serve). */
  readonly tags?: readonly string[];
  /** Replay warmup files as serve does (default true). */
  readonly warmup?: boolean;
  /** `--refuse_partial_models` of serve: a signature the runtime cannot serve fails the model. */
  readonly refusePartialModels?: boolean;
  readonly logger?: Logger;
}

type Selection = { dirs: { version: number; dir: string }[]; errors: string[]; warnings: string[]; close?: () => Promise<void> };

/** What serve logs while it waits forever for a version (upstream's text). */
const noVersions = (name: string, where: string): string =>
  `No versions of servable ${name} found under base path ${where}. Did you forget to name your leaf directory as a number (eg. '/1/')?`;

/** The versions of `model` that serve would load, or the model-level error why none. */
async function selectVersions(model: ModelConfig, logger: Logger): Promise<Selection> {
  const loc = parseStorageLocation(model.basePath);
  if (loc.kind === 'unsupported') return { dirs: [], errors: [loc.error], warnings: [] };
  if (loc.kind === 's3') return selectS3Versions(model, loc, logger);
  let present;
  try {
    present = listVersionDirs(loc.path);
  } catch {
    return { dirs: [], errors: [Errors.basePathNotFound(loc.path, model.name).message], warnings: [] };
  }
  const selection = selectAspiredVersions(model.versionPolicy, present.map((v) => v.version));
  const warnings = selection.missingSpecific.map((v) => `version ${v} of ${model.name} is named by its specific version policy but not found under ${loc.path}`);
  const dirs = present.filter((v) => selection.aspired.includes(v.version)).map((v) => ({ version: v.version, dir: v.path }));
  return { dirs, errors: dirs.length > 0 ? [] : [noVersions(model.name, loc.path)], warnings };
}

/** An `s3://` model: one poll of serve's source, which downloads the selected versions (removed by `close`). */
async function selectS3Versions(model: ModelConfig, loc: S3Location, logger: Logger): Promise<Selection> {
  const status = await probeS3BasePath(loc);
  if (status !== undefined) return { dirs: [], errors: [Errors.basePathUnreadable(loc.uri, model.name, status).message], warnings: [] };
  const source = new FileSystemSource({ pollWaitSeconds: -1, watch: false, logger });
  let offered: AspiredVersion[] = [];
  source.setAspiredVersionsCallback((_, versions) => (offered = versions));
  source.updateConfig([{ name: model.name, basePath: model.basePath, policy: model.versionPolicy }]);
  source.start();
  await source.pollNow();
  const dirs = offered.map((v) => ({ version: v.version, dir: v.path }));
  return { dirs, errors: dirs.length > 0 ? [] : [noVersions(model.name, loc.uri)], warnings: [], close: () => source.close() };
}

/** Load one version as serve does (loader, then warmup), then dispose it. */
async function checkVersion(name: string, version: number, dir: string, opts: CheckModelsOptions): Promise<VersionCheck> {
  const t0 = performance.now();
  const logger = opts.logger ?? silentLogger;
  try {
    const servable = await loadSavedModelServable(name, version, dir, {
      tags: opts.tags ?? ['serve'],
      ...(opts.backend ? { backend: opts.backend } : {}),
      ...(opts.refusePartialModels ? { refusePartialModels: true } : {}),
      logger,
    });
    const unserved = servable.unservedSignatures ?? new Map();
    try {
      if (opts.warmup !== false) await warmupServable(servable, dir, { logger });
    } finally {
      await servable.dispose();
    }
    return {
      version,
      dir,
      ok: true,
      loadMs: Math.round(performance.now() - t0),
      servedSignatures: [...servable.signatures.keys()].filter((k) => !unserved.has(k)),
      unservedSignatures: [...unserved].map(([key, u]) => ({ key, reason: u.reason })),
    };
  } catch (e) {
    const error = asTfsError(e);
    return { version, dir, ok: false, error: `{name: ${name} version: ${version}} due to error: ${error.toString()}`, code: error.codeName, loadMs: Math.round(performance.now() - t0) };
  }
}

/** Check every model in turn (one load at a time, so memory stays that of the largest version). */
export async function checkModels(models: readonly ModelConfig[], opts: CheckModelsOptions = {}): Promise<ModelCheck[]> {
  if (models.length > 0) await initBackend(opts.backend ?? 'auto');
  const out: ModelCheck[] = [];
  for (const m of models) {
    const { dirs, errors, warnings, close } = await selectVersions(m, opts.logger ?? silentLogger);
    const versions: VersionCheck[] = [];
    try {
      for (const d of dirs) versions.push(await checkVersion(m.name, d.version, d.dir, opts));
    } finally {
      await close?.();
    }
    out.push({ name: m.name, basePath: m.basePath, ok: errors.length === 0 && versions.every((v) => v.ok), versions, errors, warnings });
  }
  return out;
}

/** The text `tfs validate --check-models` prints for the models of one file. */
export function modelCheckLines(checks: readonly ModelCheck[]): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  for (const m of checks) {
    const loaded = m.versions.filter((v) => v.ok).map((v) => `${v.version} (${v.loadMs} ms)`);
    out.push(`  model ${m.name}: ${m.ok ? 'loads' : 'FAILS'}${loaded.length > 0 ? `; loaded version${loaded.length === 1 ? '' : 's'} ${loaded.join(', ')}` : ''}`);
    for (const w of m.warnings) err.push(`warning: ${w}`);
    for (const v of m.versions) {
      if (!v.ok || !v.unservedSignatures || v.unservedSignatures.length === 0) continue;
      const not = v.unservedSignatures.map((u) => `${u.key} (${u.reason})`).join('; ');
      out.push(`    version ${v.version} serves ${(v.servedSignatures ?? []).join(', ')}; not served (each request answers UNIMPLEMENTED): ${not}`);
    }
    for (const e of m.errors) err.push(`model ${m.name}: ${e}`);
    for (const v of m.versions) if (v.error !== undefined) err.push(`model ${m.name}: ${v.error}`);
  }
  return { out, err };
}
