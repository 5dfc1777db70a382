/**
 * The tfs native addon (native/tfs_native.cc, built by `tfs native install`): where it
 * lives, its JavaScript face, and loading it once per thread.
 *
 * The addon is looked for in $TFS_NATIVE_DIR (default ~/.cache/tfs/native) as
 * `tfs_native.node`, next to `tfs_native.json` (what the install found: TF version, library
 * folder, devices). It is never part of the npm package: it is built on the user's machine
 * against the user's TensorFlow.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Errors, TfsError } from '../errors.js';
import type { TensorData } from '../tensor/tensor.js';

/** A tensor as the addon passes it: TF_DataType number, dims, TF's memory layout. */
export interface NativeTensor {
  readonly dtype: number;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** One feed of a run: graph tensor name (`x:0`), TF_DataType, dims, values. */
export type NativeFeed = readonly [string, number, readonly number[], TensorData];

/** An open TF_Session with its graph (an opaque handle). */
export interface NativeSession {
  readonly __nativeSession: unique symbol;
}

export interface NativeDevice {
  readonly name: string;
  /** `CPU`, `GPU`, ... */
  readonly type: string;
  readonly memory: number;
}

/** A TensorFlow failure: TF's status code (same numbering as gRPC's) and TF's message. */
export interface NativeError extends Error {
  readonly tfCode?: number;
}

export interface NativeAddon {
  /** TF_Version(): the TensorFlow the addon is linked against. */
  version(): string;
  /** What this build supports beyond the first API (absent in addons built before it). */
  readonly features?: readonly string[];
  /**
   * TF_LoadSessionFromSavedModel with `config` (a serialised ConfigProto), off the event loop;
   * then, with `restores` (flat `[handleNode, checkpointKey, ...]`, needs the `restoreCaptured`
   * feature), RestoreV2 + AssignVariableOp of each key into each handle.
   */
  load(dir: string, tags: readonly string[], config: Uint8Array, restores?: readonly string[]): Promise<NativeSession>;
  /** TF_SessionRun, off the event loop; results in `fetches` order. */
  run(session: NativeSession, feeds: readonly NativeFeed[], fetches: readonly string[], targets: readonly string[]): Promise<NativeTensor[]>;
  devices(session: NativeSession): NativeDevice[];
  /** The devices a fresh session sees (CPU, GPU, ...). */
  localDevices(): NativeDevice[];
  /** Close and free the session (no run may be in flight). */
  close(session: NativeSession): void;
}

export const ADDON_FILE = 'tfs_native.node';
export const INFO_FILE = 'tfs_native.json';

/** What `tfs native install` recorded next to the addon. */
export interface NativeInstallInfo {
  readonly tensorflowVersion: string;
  readonly libraryDir: string;
  readonly includeDir: string;
  readonly source: string;
  readonly devices: readonly string[];
  readonly builtAt: string;
}

/** The folder the addon is installed in: $TFS_NATIVE_DIR, else ~/.cache/tfs/native. */
export function nativeDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env['TFS_NATIVE_DIR'];
  return dir !== undefined && dir !== '' ? dir : join(homedir(), '.cache', 'tfs', 'native');
}

export function readInstallInfo(dir: string = nativeDir()): NativeInstallInfo | undefined {
  const file = join(dir, INFO_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as NativeInstallInfo;
  } catch {
    return undefined;
  }
}

let cached: { dir: string; result: NativeAddon | TfsError } | undefined;

/**
 * The addon from `dir` (loaded once per thread and folder). Throws a TfsError saying how to
 * install it when it is absent, or why it did not load.
 */
export function loadNativeAddon(dir: string = nativeDir()): NativeAddon {
  if (cached?.dir !== dir) cached = { dir, result: openAddon(dir) };
  if (cached.result instanceof TfsError) throw cached.result;
  return cached.result;
}

/** The addon, or why it cannot be used (for `--runtime auto`). */
export function tryLoadNativeAddon(dir: string = nativeDir()): { addon: NativeAddon } | { reason: TfsError } {
  try {
    return { addon: loadNativeAddon(dir) };
  } catch (e) {
    return { reason: e instanceof TfsError ? e : Errors.nativeLoadFailed(join(dir, ADDON_FILE), String(e)) };
  }
}

function openAddon(dir: string): NativeAddon | TfsError {
  const file = join(dir, ADDON_FILE);
  if (!existsSync(file)) return Errors.nativeNotInstalled(dir);
  // TensorFlow logs its start-up chatter to stderr unless told otherwise; keep warnings and up.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
  try {
    return createRequire(import.meta.url)(file) as NativeAddon;
  } catch (e) {
    return Errors.nativeLoadFailed(file, e instanceof Error ? e.message : String(e));
  }
}
