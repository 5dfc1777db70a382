/** Where the package's own files (protos/, schemas/, fixtures/) are, from src/ or dist/src/. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'tfs') return dir;
      } catch {
        /* keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('tfs: cannot find the package root (package.json named "tfs")');
    dir = up;
  }
}

/** The directory holding tfs's package.json. */
export const packageRoot: string = findPackageRoot();
export const protosDir: string = join(packageRoot, 'protos');
export const schemasDir: string = join(packageRoot, 'schemas');
export const fixturesDir: string = join(packageRoot, 'fixtures');
