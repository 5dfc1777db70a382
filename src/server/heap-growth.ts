/**
 * V8's heap growing factor for `tfs serve`, from what the server is doing.
 *
 * Two costs pull apart (README, Reliability and Performance):
 * - Model loads and unloads leave tens of MiB of garbage in the old generation. Under V8's
 *   default growing, a server reloading every few seconds let its committed heap, and so its
 *   RSS, climb to 2-4x the live heap; a growing factor of 1.3 (`--heap-growing-percent=30`)
 *   keeps the soak's RSS floor flat.
 * - Serving alone leaves little old-generation garbage, but at 1.3 the allocation limit sits
 *   so close to the live heap that V8 keeps marking: with 400 KB gRPC requests (perf_mlp
 *   batch 128) about 6 full GCs a second, against under 1 at 2.0 (`npm run bench:big-tensor`).
 *
 * So the factor is tight (30) from start-up, through the initial load, and for
 * {@link RELOAD_QUIET_MS} after any version starts loading or unloading or a config reload;
 * otherwise loose (100). V8 reads the flag whenever it sizes the heap after a GC, so a change
 * applies from the next collection on. A `--heap-growing-percent` given to node itself turns
 * the policy off (commands/serve.ts).
 */
import type { ServableStateEvent } from '../core/events.js';
import type { ServerCore } from './server-core.js';

export const TIGHT_HEAP_GROWING_PERCENT = 30;
export const LOOSE_HEAP_GROWING_PERCENT = 100;
/** How long after the last load, unload or reload the factor stays tight. */
export const RELOAD_QUIET_MS = 30_000;

export interface HeapGrowthClock {
  setTimeout(fn: () => void, ms: number): { unref?(): unknown };
  clearTimeout(handle: unknown): void;
}

export class HeapGrowthPolicy {
  private timer: ReturnType<HeapGrowthClock['setTimeout']> | undefined;
  private current: number | undefined;
  private stopped = false;

  constructor(
    private readonly apply: (percent: number) => void,
    private readonly clock: HeapGrowthClock = { setTimeout, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    private readonly quietMs = RELOAD_QUIET_MS,
  ) {
    this.set(TIGHT_HEAP_GROWING_PERCENT);
  }

  /** The percent in force. */
  get percent(): number | undefined {
    return this.current;
  }

  /** Start-up is over (the initial models are loaded): serving alone runs loose. */
  started(): void {
    if (this.timer === undefined) this.set(LOOSE_HEAP_GROWING_PERCENT);
  }

  /** A load, unload or reload: tight now, loose again after a quiet period. */
  changed(): void {
    if (this.stopped) return;
    this.set(TIGHT_HEAP_GROWING_PERCENT);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.set(LOOSE_HEAP_GROWING_PERCENT);
    }, this.quietMs);
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private set(percent: number): void {
    if (this.stopped || percent === this.current) return;
    this.current = percent;
    this.apply(percent);
  }
}

/**
 * Start-up is over: follow `core`'s lifecycle from now on (versions LOADING or UNLOADING and
 * config reloads are changes). Returns detach.
 */
export function followLifecycle(policy: HeapGrowthPolicy, core: Pick<ServerCore, 'events'>): () => void {
  policy.started();
  const onState = (e: ServableStateEvent): void => {
    if (e.state === 'LOADING' || e.state === 'UNLOADING') policy.changed();
  };
  const onReload = (): void => policy.changed();
  core.events.on('servableState', onState);
  core.events.on('configReload', onReload);
  return () => {
    core.events.off('servableState', onState);
    core.events.off('configReload', onReload);
    policy.stop();
  };
}
