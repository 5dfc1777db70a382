/**
 * Paths for tests: the repo root, the project's fixtures, and ../shared.
 *
 * Tests that need ../shared call `sharedOrSkip(t)`: when ../shared is missing they skip
 * with a message saying so, and under CI (CI=true, where ../shared is always present)
 * they fail instead, so a missing ../shared never passes silently.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { fixturesDir, packageRoot } from '../../src/util/paths.js';

export const repoRoot = packageRoot;
export const fixtures = fixturesDir;
export const sharedDir = resolve(process.env['TFS_SHARED_DIR'] ?? join(repoRoot, '..', 'shared'));
export const sharedFixtures = join(sharedDir, 'fixtures');
export const hasShared = existsSync(sharedFixtures);

export const SHARED_MISSING = `../shared/fixtures not found at ${sharedFixtures} (set TFS_SHARED_DIR)`;

/** Returns the shared fixtures dir, or skips the test (fails under CI) when it is missing. */
export function sharedOrSkip(t: TestContext): string | undefined {
  if (hasShared) return sharedFixtures;
  if (process.env['CI']) throw new Error(SHARED_MISSING);
  t.skip(SHARED_MISSING);
  return undefined;
}
