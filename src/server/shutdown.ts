/**
 * The drain of `tfs serve` (RunningServer.shutdown): the listeners stop accepting work,
 * in-flight requests get up to the grace period to finish (then they are cut off), and
 * the models are unloaded.
 */
import type { BatchingReloader } from './batching-reload.js';
import type { ConfigPoller } from './config-poller.js';
import type { RestApp } from './front-ends.js';
import type { TfsGrpcServer } from './grpc/server.js';
import type { RestDrain } from './rest/drain-plugin.js';
import type { ServerCore } from './server-core.js';

export interface DrainTargets {
  readonly core: ServerCore;
  readonly grpc: TfsGrpcServer | undefined;
  readonly rest: RestApp | undefined;
  readonly restDrain: RestDrain;
  readonly poller: ConfigPoller | undefined;
  readonly batchingReload: BatchingReloader | undefined;
  readonly detachMetrics: () => void;
  /** Runs queued batches at once, so nothing waits out a batch timeout during the drain. */
  readonly flushBatches: () => void;
}

/** Close the REST listener once its requests are done or the grace period is over. */
async function closeRest(rest: RestApp, restDrain: RestDrain, graceOver: Promise<'grace'>): Promise<void> {
  // Idle keep-alive connections are closed at once: their clients see the close before
  // they send again and open a new connection. The REST listener stays open while
  // requests finish, so `/readyz` answers 503 and new API calls get UNAVAILABLE (with
  // `Connection: close`) instead of a refused connection.
  rest.server.closeIdleConnections();
  await Promise.race([restDrain.idle(), graceOver]);
  const closed = rest.close();
  // Connections idle since (a response with `Connection: close` closes its own) go at
  // once; anything still running after the grace period is cut off.
  rest.server.closeIdleConnections();
  if ((await Promise.race([closed.then(() => 'closed' as const), graceOver])) === 'grace') {
    rest.server.closeAllConnections();
    await closed;
  }
}

/** Stop everything; the caller has already turned readiness off (see startServer). */
export async function drainAndStop(t: DrainTargets, graceMs: number): Promise<void> {
  t.grpc?.setServingStatus('NOT_SERVING');
  t.flushBatches();
  const pollerStopped = Promise.all([t.poller?.stop(), t.batchingReload?.stop()]);
  let graceTimer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace'>((r) => {
    graceTimer = setTimeout(() => r('grace'), graceMs);
  });
  const restClosed = t.rest ? closeRest(t.rest, t.restDrain, graceOver) : Promise.resolve();
  // grpc-js: refuse new calls, let running ones finish, cancel what is left at graceMs
  // (including open health Watch streams).
  await Promise.all([t.grpc?.shutdown(graceMs), restClosed]);
  clearTimeout(graceTimer);
  await pollerStopped;
  t.detachMetrics();
  await t.core.close();
}
