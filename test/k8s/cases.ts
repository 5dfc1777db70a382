/**
 * The golden cases of `tfs gen k8s` (fixtures/k8s/<case>/): `case.json` holds the flags
 * (file paths relative to the case directory, next to the config files), `expected/` the
 * files the command writes plus `warnings.txt`.
 *
 * Regenerate the goldens after an intended change with:
 *   npm run build && TFS_UPDATE_GOLDEN=1 node scripts/run-tests.mjs test/k8s/golden
 * then review the diff (git diff fixtures/k8s) before committing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readConfigFile } from '../../src/config/model-server-config.js';
import { generateK8s, type K8sBundle } from '../../src/k8s/generate.js';
import type { GenK8sFlags } from '../../src/k8s/options.js';
import { fixtures } from '../helpers/paths.js';

export const casesDir = join(fixtures, 'k8s');
export const UPDATE_GOLDEN = process.env['TFS_UPDATE_GOLDEN'] === '1';
/** The Dockerfile names tfs's version; goldens hold this placeholder instead. */
export const VERSION_PLACEHOLDER = '<VERSION>';
export const WARNINGS_FILE = 'warnings.txt';

export interface GoldenCase {
  readonly name: string;
  readonly dir: string;
  readonly description: string;
  readonly flags: GenK8sFlags;
}

export function listCases(): GoldenCase[] {
  return readdirSync(casesDir)
    .filter((n) => statSync(join(casesDir, n)).isDirectory())
    .sort()
    .map((name) => {
      const dir = join(casesDir, name);
      const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { description: string; flags: GenK8sFlags };
      return { name, dir, description: c.description, flags: c.flags };
    });
}

/** Runs the generator in-process as the CLI would from the case directory. */
export function generateCase(c: GoldenCase, flags: Partial<GenK8sFlags> = {}): K8sBundle {
  return generateK8s({ ...c.flags, ...flags }, { read: (kind, file) => readConfigFile(kind, join(c.dir, file)), version: VERSION_PLACEHOLDER });
}

/** The command line for the case's flags (`--name value`, repeated for lists). */
export function caseArgv(flags: GenK8sFlags): string[] {
  const argv: string[] = [];
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined) continue;
    // `=` keeps values that start with `--` (serve_arg) attached to their flag.
    for (const item of Array.isArray(v) ? v : [v]) argv.push(`--${k}=${String(item)}`);
  }
  return argv;
}

/** The expected files of a case (name → content), warnings.txt included. */
export function readExpected(c: GoldenCase): Map<string, string> {
  const dir = join(c.dir, 'expected');
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const n of names) out.set(n, readFileSync(join(dir, n), 'utf8'));
  return out;
}

/** The files a bundle should match in expected/ (warnings.txt included). */
export function bundleFiles(bundle: K8sBundle): Map<string, string> {
  const out = new Map<string, string>(bundle.files.map((f) => [f.path, f.content]));
  out.set(WARNINGS_FILE, bundle.warnings.map((w) => w + '\n').join(''));
  return out;
}
