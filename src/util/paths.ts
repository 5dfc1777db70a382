/** Where the package's own files (protos/, schemas/, fixtures/) are, from src/ or dist/src/. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The npm package name (the CLI's bin is `tfs`; the npm name `tfs` belongs to an unrelated package). */
export const PACKAGE_NAME = 'tfserving';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        /* keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`tfs: cannot find the package root (package.json named "${PACKAGE_NAME}")`);
    dir = up;
  }
}

/** The directory holding tfs's package.json. */
export const packageRoot: string = findPackageRoot();
export const protosDir: string = join(packageRoot, 'protos');
export const schemasDir: string = join(packageRoot, 'schemas');
export const fixturesDir: string = join(packageRoot, 'fixtures');
