/**
 * SIGINT/SIGTERM for `tfs serve`: the first signal aborts a start-up in progress or drains
 * a running server (then exits 0, or 1 when the drain fails); a second one exits at once.
 */
import { Errors, StartupError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import type { RunningServer } from './server.js';

export interface ServeSignals {
  /** Pass to startServer({ signal }): aborted by a signal during start-up. */
  readonly startSignal: AbortSignal;
  /** Call once startServer resolves, so the next signal drains it. */
  setServer(server: RunningServer): void;
  /** How many signals arrived so far. */
  count(): number;
}

export function installServeSignals(logger: Logger, graceMs: number): ServeSignals {
  const startAbort = new AbortController();
  let server: RunningServer | undefined;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn(`Received ${sig} again: exiting now`);
      process.exit(130);
    }
    if (!server) {
      logger.info(`Received ${sig} during start-up: stopping`);
      startAbort.abort(new StartupError(Errors.startupInterrupted(sig)));
      return;
    }
    logger.info(`Received ${sig}: draining in-flight requests (up to ${graceMs} ms), then exiting`);
    server.shutdown(graceMs).then(
      () => {
        logger.info('Server stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, `Shutdown failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    startSignal: startAbort.signal,
    setServer: (s) => {
      server = s;
    },
    count: () => signals,
  };
}
