/**
 * Version policies as pure functions (no I/O), so they can be tested with tables.
 *
 * - {@link parseVersionNumber}: which directory names are versions (upstream `safe_strto64`).
 * - {@link selectAspiredVersions}: the model's `model_version_policy` (latest / all / specific)
 *   applied to the versions found on disk (file_system_storage_path_source.cc).
 * - {@link availabilityPreservingAction}: the manager's next load/unload for one model
 *   (availability_preserving_policy.cc): a new version loads before the old one unloads.
 */
import type { VersionPolicy } from '../config/types.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The version number a directory name stands for, or undefined when it is not a version.
 *
 * As upstream's `safe_strto64`: the whole name must be an optionally signed decimal integer,
 * surrounding whitespace allowed, leading zeros allowed (`00000123` is 123), within int64.
 * Numbers JavaScript cannot represent exactly (beyond 2^53) are refused as well, since every
 * layer of tfs carries versions as numbers.
 */
export function parseVersionNumber(name: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)[ \t\n\v\f\r]*$/.exec(name);
  if (!m) return undefined;
  const big = BigInt(`${m[1] ?? ''}${m[2] ?? ''}`);
  if (big < INT64_MIN || big > INT64_MAX) return undefined;
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) return undefined;
  return Number(big);
}

/** What a version policy makes of the versions present on disk. */
export interface PolicySelection {
  /** Versions to serve, ascending. */
  readonly aspired: number[];
  /** `specific` versions that are not on disk (upstream warns about each). */
  readonly missingSpecific: number[];
}

/** `latest.num_versions`, where 0 (unset) counts as 1. */
export function latestCount(policy: VersionPolicy): number {
  return policy.kind === 'latest' ? Math.max(1, Math.floor(policy.numVersions) || 0) : 0;
}

/**
 * Apply a version policy to the versions found under a base path.
 * latest{n}: the n highest (n = max(1, n)); all: every one; specific: the listed ones present.
 */
export function selectAspiredVersions(policy: VersionPolicy, present: Iterable<number>): PolicySelection {
  const versions = [...new Set(present)].sort((a, b) => a - b);
  switch (policy.kind) {
    case 'latest': {
      const n = latestCount(policy);
      return { aspired: versions.slice(Math.max(0, versions.length - n)), missingSpecific: [] };
    }
    case 'all':
      return { aspired: versions, missingSpecific: [] };
    case 'specific': {
      const have = new Set(versions);
      const wanted = [...new Set(policy.versions)];
      return {
        aspired: wanted.filter((v) => have.has(v)).sort((a, b) => a - b),
        missingSpecific: wanted.filter((v) => !have.has(v)).sort((a, b) => a - b),
      };
    }
  }
}

/**
 * The harness states the manager tracks per version (upstream LoaderHarness::State, minus
 * the resource-approval steps tfs does not have).
 */
export type HarnessState =
  | 'new'
  | 'loadRequested'
  | 'loading'
  | 'ready'
  | 'quiescing'
  | 'unloading'
  | 'disabled'
  | 'error';

/** One version of a model as the policy sees it. */
export interface VersionSnapshot {
  readonly version: number;
  readonly state: HarnessState;
  readonly aspired: boolean;
}

export interface PolicyAction {
  readonly action: 'load' | 'unload';
  readonly version: number;
}

/**
 * Availability-preserving policy: the next action for one model, or undefined.
 *
 * Unload the lowest non-aspired serving version, but only when that cannot leave the model
 * with nothing to serve: when no version is aspired at all, when an aspired version is
 * already serving, or when more than one non-aspired version is serving. Otherwise load the
 * highest aspired version that has not started loading. Effect: on a version change the
 * new version becomes AVAILABLE before the old one starts unloading.
 */
export function availabilityPreservingAction(versions: readonly VersionSnapshot[]): PolicyAction | undefined {
  let hasAspired = false;
  let hasAspiredServing = false;
  const unaspiredServing: number[] = [];
  for (const v of versions) {
    if (v.aspired) {
      hasAspired = true;
      if (v.state === 'ready') hasAspiredServing = true;
    } else if (v.state === 'ready') {
      unaspiredServing.push(v.version);
    }
  }
  if ((!hasAspired || hasAspiredServing || unaspiredServing.length > 1) && unaspiredServing.length > 0) {
    return { action: 'unload', version: Math.min(...unaspiredServing) };
  }
  let highestNew: number | undefined;
  for (const v of versions) {
    if (v.aspired && v.state === 'new' && (highestNew === undefined || v.version > highestNew)) highestNew = v.version;
  }
  return highestNew === undefined ? undefined : { action: 'load', version: highestNew };
}
