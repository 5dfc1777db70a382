/**
 * How model base paths map onto volumes.
 *
 * The model config is deployed unchanged, so every `base_path` it names must exist in the
 * container: each --model_volume is mounted at a directory, and every base path must lie
 * at or below one of those mounts. Without a target, a volume is mounted at the deepest
 * directory holding every base path: `/models/my_model` for one model (the volume then
 * holds `1/saved_model.pb`, `2/…`), `/models` for `/models/a` and `/models/b` (the volume
 * holds `a/1/…` and `b/1/…`). A target names the mount path (`/models=pvc:claim`) or a
 * model, mounted at its base path (`my_model=pvc:claim`). `s3://` base paths need no volume:
 * tfs serve downloads their versions itself.
 */
import { GenUsageError, type ModelVolumeSource, type ModelVolumeSpec } from './options.js';
import { CONFIG_MOUNT_PATH, isObjectStorePath, type DeployedModel } from './inputs.js';

/** Paths a model volume may not cover or hide (the image's own files and our mounts). */
const RESERVED = ['/bin', '/dev', '/etc', '/lib', '/lib64', '/opt/tfs', '/proc', '/run', '/sbin', '/sys', '/tmp', '/usr', '/var/run', CONFIG_MOUNT_PATH];

export interface ModelMount {
  /** Pod volume name (`models`, or `models-1`, `models-2`… for several). */
  readonly volumeName: string;
  readonly mountPath: string;
  readonly source: ModelVolumeSource;
  /** Models whose base path is on this volume. */
  readonly models: readonly string[];
  /** The flag it came from, or undefined for the default volume. */
  readonly flag?: string;
}

export interface MountPlan {
  readonly mounts: readonly ModelMount[];
  /** True when no --model_volume was given and the default PVC is used. */
  readonly usedDefault: boolean;
  readonly warnings: readonly string[];
}

/** `/a/b` is at or below `/a`. */
export function isAtOrBelow(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(dir + '/');
}

/** The deepest directory containing every path (the path itself when there is one). */
export function commonDirectory(paths: readonly string[]): string {
  if (paths.length === 0) return '/';
  let common = paths[0]!.split('/');
  for (const p of paths.slice(1)) {
    const parts = p.split('/');
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  const dir = common.join('/');
  return dir === '' ? '/' : dir;
}

function describe(spec: ModelVolumeSpec | undefined): string {
  return spec === undefined ? 'the default model volume' : `--model_volume '${spec.raw}'`;
}

/** The default volume: a PersistentVolumeClaim named after the deployment. */
export function defaultClaimName(name: string): string {
  return `${name}-models`;
}

/** Where a --model_volume is mounted: its path, its model's base path, or (auto) the base paths' common directory. */
function mountPathOf(spec: ModelVolumeSpec | undefined, models: readonly DeployedModel[]): string {
  const target = spec?.target ?? { kind: 'auto' as const };
  if (target.kind === 'path') {
    return target.path;
  }
  if (target.kind === 'model') {
    const model = models.find((m) => m.name === target.model);
    if (!model) {
      throw new GenUsageError(
        `${describe(spec)}: no model named '${target.model}' in the model config`,
        `Models: ${models.map((m) => m.name).join(', ')}. Or give a mount path: /models=pvc:CLAIM.`,
      );
    }
    return model.basePath;
  }
  const common = commonDirectory(models.map((m) => m.basePath));
  if (common === '/') {
    throw new GenUsageError(
      `the base paths ${models.map((m) => `'${m.basePath}'`).join(', ')} share no directory to mount one volume at`,
      'Give one --model_volume per directory, each with its mount path or model name (e.g. --model_volume /data=pvc:a --model_volume /models=pvc:b).',
    );
  }
  return common;
}

/** No mount at /, over a directory the container needs, or overlapping another. */
function checkMountPaths(resolved: readonly { spec: ModelVolumeSpec | undefined; mountPath: string }[]): void {
  for (const r of resolved) {
    if (r.mountPath === '/') throw new GenUsageError(`${describe(r.spec)}: a volume cannot be mounted at /`);
    const clash = RESERVED.find((x) => isAtOrBelow(r.mountPath, x) || isAtOrBelow(x, r.mountPath));
    if (clash !== undefined) {
      throw new GenUsageError(
        `${describe(r.spec)}: mount path ${r.mountPath} would ${isAtOrBelow(r.mountPath, clash) ? 'be inside' : 'hide'} ${clash}, which the container needs`,
        'Keep models under a directory of their own, such as /models (change base_path in the model config and the mount path together).',
      );
    }
  }
  for (let i = 0; i < resolved.length; i++) {
    for (let j = i + 1; j < resolved.length; j++) {
      const a = resolved[i]!;
      const b = resolved[j]!;
      if (isAtOrBelow(a.mountPath, b.mountPath) || isAtOrBelow(b.mountPath, a.mountPath)) {
        throw new GenUsageError(
          `${describe(a.spec)} and ${describe(b.spec)} overlap (mount paths ${a.mountPath} and ${b.mountPath})`,
          'Mount each volume at its own directory; one volume can hold several models.',
        );
      }
    }
  }
}

/** Resolves mount paths, checks that every base path is covered. Throws GenUsageError. */
export function planModelMounts(allModels: readonly DeployedModel[], specs: readonly ModelVolumeSpec[], name: string): MountPlan {
  // s3:// models are read by tfs serve itself: only models on the filesystem need a volume.
  const models = allModels.filter((m) => !isObjectStorePath(m.basePath));
  if (models.length === 0) {
    if (specs.length > 0) {
      throw new GenUsageError(
        `${describe(specs[0])}: every model is read from object storage (s3://), so no model volume is mounted`,
        'Drop --model_volume, or point base_path at the directory where the volume holds the models.',
      );
    }
    return { mounts: [], usedDefault: false, warnings: [] };
  }
  const usedDefault = specs.length === 0;
  const effective: (ModelVolumeSpec | undefined)[] = usedDefault ? [undefined] : [...specs];
  const warnings: string[] = [];
  const resolved = effective.map((spec, i) => {
    const mountPath = mountPathOf(spec, models);
    const source: ModelVolumeSource = spec?.source ?? { kind: 'pvc', claimName: defaultClaimName(name) };
    const volumeName = effective.length === 1 ? 'models' : `models-${i + 1}`;
    return { spec, mountPath, source, volumeName };
  });

  checkMountPaths(resolved);

  const byMount = new Map<string, string[]>(resolved.map((r) => [r.mountPath, []]));
  for (const m of models) {
    const home = resolved.find((r) => isAtOrBelow(m.basePath, r.mountPath));
    if (!home) {
      throw new GenUsageError(
        `model '${m.name}' (base_path ${m.basePath}) is on no model volume (mounts: ${resolved.map((r) => r.mountPath).join(', ')})`,
        `Add --model_volume ${m.name}=pvc:CLAIM (or hostPath:/dir, emptyDir+init:IMAGE) to mount its models at ${m.basePath}.`,
      );
    }
    byMount.get(home.mountPath)!.push(m.name);
  }
  const mounts: ModelMount[] = resolved.map((r) => {
    const mounted = byMount.get(r.mountPath) ?? [];
    if (mounted.length === 0) warnings.push(`${describe(r.spec)}: no model's base_path is under ${r.mountPath}; the volume is mounted but unused`);
    return {
      volumeName: r.volumeName,
      mountPath: r.mountPath,
      source: r.source,
      models: mounted,
      ...(r.spec === undefined ? {} : { flag: r.spec.raw }),
    };
  });
  for (const m of mounts) {
    if (m.source.kind === 'hostPath') {
      warnings.push(`${m.flag === undefined ? 'hostPath' : `--model_volume '${m.flag}'`}: every node that may run the pods needs the models at ${m.source.path}`);
    }
  }
  if (usedDefault) {
    const m = mounts[0]!;
    warnings.push(
      `no --model_volume given: models are read from the PersistentVolumeClaim '${defaultClaimName(name)}' mounted read-only at ${m.mountPath} ` +
        `(create it, ReadOnlyMany or ReadWriteMany, holding ${m.models.length === 1 && models[0]!.basePath === m.mountPath ? 'the numbered version directories' : 'the model directories'})`,
    );
  }
  return { mounts, usedDefault, warnings };
}
