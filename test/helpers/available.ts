/**
 * Waiting for versions to become AVAILABLE, by event. ServerCore.create and reloadConfig
 * resolve once each model has *a* version AVAILABLE (upstream waits for Latest), so a test
 * that needs a particular older version must wait for it.
 */
import type { ServableStateEvent } from '../../src/core/events.js';
import type { ServerCore } from '../../src/server/server-core.js';

/** Resolves when every listed version of `name` is AVAILABLE; rejects if one ends in error. */
export function untilVersionsAvailable(core: ServerCore, name: string, versions: number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const pending = new Set(versions);
    const done = (err?: Error): void => {
      core.events.off('servableState', on);
      if (err) reject(err);
      else resolve();
    };
    const on = (e: ServableStateEvent): void => {
      if (e.name !== name || !pending.has(e.version)) return;
      if (e.state === 'AVAILABLE') pending.delete(e.version);
      else if (e.state === 'END' && e.error) return done(new Error(`${name} version ${e.version} failed to load: ${e.error.message}`));
      if (pending.size === 0) done();
    };
    // The listener goes on before the check, so no event can slip between them.
    core.events.on('servableState', on);
    for (const v of versions) {
      const s = core.getModelStatus(name).find((r) => r.version === v);
      if (s?.state === 'AVAILABLE') pending.delete(v);
    }
    if (pending.size === 0) done();
  });
}
