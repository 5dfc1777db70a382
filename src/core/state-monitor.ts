/**
 * ServableStateMonitor: the latest state of every version ever published, which is what
 * GetModelStatus reports (upstream servable_state_monitor.cc). Versions that reached END
 * stay visible for the lifetime of the monitor, failed ones with their error.
 */
import type { TfsError } from '../errors.js';
import type { ServableStateEvent } from './events.js';

export interface TrackedState {
  readonly version: number;
  readonly state: ServableStateEvent['state'];
  readonly error?: TfsError;
  /** Date.now() when the state was published. */
  readonly time: number;
}

export class ServableStateMonitor {
  private readonly states = new Map<string, Map<number, TrackedState>>();

  /** Record a published state (the newest state of a version replaces the older one). */
  handle(e: ServableStateEvent): void {
    let versions = this.states.get(e.name);
    if (!versions) {
      versions = new Map();
      this.states.set(e.name, versions);
    }
    versions.set(e.version, {
      version: e.version,
      state: e.state,
      ...(e.error ? { error: e.error } : {}),
      time: Date.now(),
    });
  }

  /** Every tracked version of a model, highest version first (upstream orders by std::greater). */
  versionStates(name: string): TrackedState[] {
    const versions = this.states.get(name);
    if (!versions) return [];
    return [...versions.values()].sort((a, b) => b.version - a.version);
  }

  state(name: string, version: number): TrackedState | undefined {
    return this.states.get(name)?.get(version);
  }

  modelNames(): string[] {
    return [...this.states.keys()];
  }

  /**
   * The "Latest(name)" view used while waiting for a model (upstream
   * `HasAnyServableInStreamReachedState`): the highest version whose state is `goal` or END,
   * if any.
   */
  reachedGoalOrEnd(name: string, goal: ServableStateEvent['state']): TrackedState | undefined {
    for (const s of this.versionStates(name)) {
      if (s.state === goal || s.state === 'END') return s;
    }
    return undefined;
  }
}
