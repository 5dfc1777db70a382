/**
 * Is a version directory complete? tfs does not hand a version to the loader while it is
 * still being written (a copy or an export in progress), which upstream does (and then
 * leaves the version failed for good). Two checks:
 *
 * - structure ({@link checkVersionStructure}): `saved_model.pb` or `saved_model.pbtxt` is
 *   there, and when a `variables/` directory has checkpoint files, the index and every data
 *   shard named by `variables.data-NNNNN-of-MMMMM` are there;
 * - stability ({@link snapshotVersionDir}): two looks a moment apart see the same files
 *   with the same sizes and modification times.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Why a version directory is not (yet) loadable, or undefined when it looks complete. */
export type Incompleteness = 'empty' | 'no-saved-model' | 'no-variables-index' | 'missing-variables-shards';

/** Human text for an {@link Incompleteness}, used in log lines. */
export function describeIncompleteness(why: Incompleteness): string {
  switch (why) {
    case 'empty':
      return 'the directory is empty';
    case 'no-saved-model':
      return 'no saved_model.pb or saved_model.pbtxt yet';
    case 'no-variables-index':
      return 'variables/variables.index is missing';
    case 'missing-variables-shards':
      return 'some variables/variables.data-* shards are missing';
  }
}

const DATA_SHARD = /^variables\.data-(\d{5})-of-(\d{5})$/;

/**
 * The structural check. `entries` lists the version directory; `variablesEntries` lists its
 * `variables/` subdirectory (undefined when there is none).
 */
export function structureOf(entries: readonly string[], variablesEntries: readonly string[] | undefined): Incompleteness | undefined {
  if (entries.length === 0) return 'empty';
  if (!entries.includes('saved_model.pb') && !entries.includes('saved_model.pbtxt')) return 'no-saved-model';
  if (variablesEntries === undefined || variablesEntries.length === 0) return undefined; // a model without variables
  const shards = variablesEntries.map((n) => DATA_SHARD.exec(n)).filter((m): m is RegExpExecArray => m !== null);
  const hasIndex = variablesEntries.includes('variables.index');
  if (!hasIndex) return shards.length > 0 ? 'no-variables-index' : undefined;
  if (shards.length === 0) return 'missing-variables-shards';
  const total = Number(shards[0]![2]);
  const have = new Set(shards.filter((m) => Number(m[2]) === total).map((m) => Number(m[1])));
  for (let i = 0; i < total; i++) if (!have.has(i)) return 'missing-variables-shards';
  return undefined;
}

/** List a directory, or undefined when it is not a readable directory. */
async function list(dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir);
  } catch {
    return undefined;
  }
}

/** Structural completeness of the version directory at `dir`. */
export async function checkVersionStructure(dir: string): Promise<Incompleteness | undefined> {
  const entries = (await list(dir)) ?? [];
  const variables = entries.includes('variables') ? await list(join(dir, 'variables')) : undefined;
  return structureOf(entries, variables);
}

/** At most this many entries are compared between looks (huge asset trees are not walked). */
const MAX_SNAPSHOT_ENTRIES = 10_000;

/**
 * A fingerprint of everything under `dir`: relative path, size and mtime of each entry,
 * sorted. Two equal fingerprints a moment apart mean nothing is being written.
 */
export async function snapshotVersionDir(dir: string): Promise<string> {
  const out: string[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (out.length >= MAX_SNAPSHOT_ENTRIES || depth > 8) return;
    let names: string[];
    try {
      names = await readdir(join(dir, rel));
    } catch {
      out.push(`${rel}/?`);
      return;
    }
    names.sort();
    for (const name of names) {
      if (out.length >= MAX_SNAPSHOT_ENTRIES) return;
      const relPath = rel ? `${rel}/${name}` : name;
      try {
        const st = await stat(join(dir, relPath));
        if (st.isDirectory()) {
          out.push(`${relPath}/`);
          await walk(relPath, depth + 1);
        } else {
          out.push(`${relPath} ${st.size} ${st.mtimeMs}`);
        }
      } catch {
        out.push(`${relPath} ?`); // vanished between readdir and stat: something is changing
      }
    }
  };
  await walk('', 0);
  return out.join('\n');
}
