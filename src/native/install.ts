/**
 * `tfs native install`: find a TensorFlow on this machine and build the native addon
 * (native/tfs_native.cc) against it into $TFS_NATIVE_DIR, without any download.
 *
 * TensorFlow comes from either
 * - a pip-installed `tensorflow` / `tensorflow-cpu` wheel in a Python (`--python`, default
 *   $TFS_PYTHON, then python3): its package folder holds the C API headers (include/) and
 *   libtensorflow_cc.so.2 + libtensorflow_framework.so.2, which export every TF_* function; or
 * - a libtensorflow folder (`--libtensorflow`, default $LIBTENSORFLOW_DIR) with include/ and
 *   lib/libtensorflow.so.2.
 * The Node-API headers come from the npm package node-api-headers (an optional dependency).
 * The addon's runtime library path (rpath) is set to that TensorFlow's library folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Errors } from '../errors.js';
import { packageRoot } from '../util/paths.js';
import { ADDON_FILE, INFO_FILE, type NativeInstallInfo, nativeDir } from './addon.js';

export interface TensorflowLocation {
  readonly includeDir: string;
  readonly libraryDir: string;
  /** Linker arguments naming the libraries. */
  readonly libs: readonly string[];
  readonly version: string;
  /** How it was found (`python /usr/bin/python3: tensorflow-cpu 2.21.0`). */
  readonly source: string;
}

export interface FindOptions {
  readonly python?: string | undefined;
  readonly libtensorflow?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

const C_API = join('tensorflow', 'c', 'c_api.h');

/** Asks `python` where its tensorflow package is and which distribution installed it (no TF import). */
function pythonProbe(python: string): { dir: string; dist: string } {
  const code = [
    'import importlib.util, importlib.metadata as md, json',
    "s = importlib.util.find_spec('tensorflow')",
    'dist = ""',
    "for d in ('tensorflow', 'tensorflow-cpu', 'tensorflow-gpu', 'tf-nightly'):",
    '    try:',
    "        dist = d + ' ' + md.version(d); break",
    '    except Exception: pass',
    "print(json.dumps({'dir': list(s.submodule_search_locations)[0] if s else '', 'dist': dist}))",
  ].join('\n');
  let out: string;
  try {
    out = execFileSync(python, ['-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw Errors.nativeInstallFailed(`could not run ${python}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { dir: string; dist: string };
}
function fromPython(python: string): TensorflowLocation {
  const { dir, dist } = pythonProbe(python);
  if (!dir) throw Errors.nativeInstallFailed(`${python} has no tensorflow package (pip install tensorflow-cpu, or pass --python / --libtensorflow)`);
  const includeDir = join(dir, 'include');
  if (!existsSync(join(includeDir, C_API))) throw Errors.nativeInstallFailed(`${dir} has no C API headers (${join('include', C_API)})`);
  const names = readdirSync(dir);
  const libs = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
  const missing = libs.filter((l) => !names.includes(l));
  if (missing.length > 0) throw Errors.nativeInstallFailed(`${dir} lacks ${missing.join(', ')}`);
  return {
    includeDir,
    libraryDir: dir,
    libs: libs.map((l) => `-l:${l}`),
    version: dist.split(' ')[1] ?? '',
    source: `python ${python}: ${dist || 'tensorflow'} in ${dir}`,
  };
}

function fromLibtensorflow(root: string): TensorflowLocation {
  const includeDir = join(root, 'include');
  const libraryDir = join(root, 'lib');
  if (!existsSync(join(includeDir, C_API))) throw Errors.nativeInstallFailed(`${root} has no ${join('include', C_API)}`);
  const lib = ['libtensorflow.so.2', 'libtensorflow.so'].find((l) => existsSync(join(libraryDir, l)));
  if (!lib) throw Errors.nativeInstallFailed(`${libraryDir} has no libtensorflow.so.2`);
  const extra = existsSync(join(libraryDir, 'libtensorflow_framework.so.2')) ? ['-l:libtensorflow_framework.so.2'] : [];
  return { includeDir, libraryDir, libs: [`-l:${lib}`, ...extra], version: '', source: `libtensorflow ${root}` };
}

/** The TensorFlow to build against: --libtensorflow, $LIBTENSORFLOW_DIR, else a Python's wheel. */
export function findTensorflow(o: FindOptions = {}): TensorflowLocation {
  const env = o.env ?? process.env;
  const lib = o.libtensorflow ?? (o.python === undefined ? env['LIBTENSORFLOW_DIR'] : undefined);
  if (lib) return fromLibtensorflow(lib);
  return fromPython(o.python ?? env['TFS_PYTHON'] ?? 'python3');
}

/** The Node-API headers of the node-api-headers package. */
export function nodeApiInclude(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json')), 'include');
  } catch {
    throw Errors.nativeInstallFailed('the npm package node-api-headers is not installed (npm install node-api-headers)');
  }
}

export interface BuildOptions {
  readonly tf: TensorflowLocation;
  /** Where the addon goes (default $TFS_NATIVE_DIR or ~/.cache/tfs/native). */
  readonly outDir?: string;
  readonly cxx?: string;
}

/** The g++ command line that builds the addon into `out`. */
export function compileArgs(tf: TensorflowLocation, out: string): string[] {
  return [
    '-O2', '-shared', '-fPIC', '-std=c++17', '-DNAPI_VERSION=8',
    `-I${nodeApiInclude()}`, `-I${tf.includeDir}`,
    join(packageRoot, 'native', 'tfs_native.cc'),
    '-o', out,
    `-L${tf.libraryDir}`, ...tf.libs, `-Wl,-rpath,${tf.libraryDir}`,
  ];
}

/** Loads a freshly built addon in a child process: its TF version and devices (or why it fails). */
function probeAddon(file: string): { version: string; devices: string[] } {
  const code = `const a = require(${JSON.stringify(file)}); console.log(JSON.stringify({ version: a.version(), devices: a.localDevices().map((d) => d.type + ' ' + d.name) }));`;
  try {
    const out = execFileSync(process.execPath, ['-e', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
    return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { version: string; devices: string[] };
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? String(e);
    throw Errors.nativeInstallFailed(`the built addon does not load: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

/** Build the addon against `tf`, check that it loads, and record what was found. */
export function buildAddon(o: BuildOptions): NativeInstallInfo & { readonly addon: string } {
  const outDir = o.outDir ?? nativeDir();
  mkdirSync(outDir, { recursive: true });
  const tmp = join(outDir, `.tmp-${process.pid}-${ADDON_FILE}`);
  try {
    execFileSync(o.cxx ?? process.env['CXX'] ?? 'g++', compileArgs(o.tf, tmp), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    rmSync(tmp, { force: true });
    const stderr = (e as { stderr?: string }).stderr ?? (e instanceof Error ? e.message : String(e));
    throw Errors.nativeInstallFailed(`the compiler failed: ${stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
  }
  const probe = probeAddon(tmp);
  // Renamed into place, never rewritten: a running server keeps the file it mapped.
  const addon = join(outDir, ADDON_FILE);
  renameSync(tmp, addon);
  const info: NativeInstallInfo = {
    tensorflowVersion: probe.version,
    libraryDir: o.tf.libraryDir,
    includeDir: o.tf.includeDir,
    source: o.tf.source,
    devices: probe.devices,
    builtAt: new Date().toISOString(),
  };
  writeFileSync(join(outDir, INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
  return { ...info, addon };
}
