/**
 * What the front ends (REST, gRPC, health, metrics) need from the model lifecycle.
 * The implementation is ServerCore (src/core); tests may pass a fake.
 */
import type { ModelServerConfig } from '../config/types.js';
import type { ModelServable } from './servable.js';

/** Which version a request wants: Latest(name), Specific(name, v), or a label. */
export interface ServableRequest {
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
}

/** A ref-counted hold on a loaded version; call release() when the request is done. */
export interface ServableHandle {
  readonly name: string;
  readonly version: number;
  readonly servable: ModelServable;
  release(): void;
}

export type ManagerState = 'UNKNOWN' | 'START' | 'LOADING' | 'AVAILABLE' | 'UNLOADING' | 'END';

/** One row of GetModelStatusResponse.model_version_status. */
export interface ModelVersionStatus {
  readonly version: number;
  readonly state: ManagerState;
  /** Canonical code name (`OK`, `NOT_FOUND`, ...) and message ('' when OK). */
  readonly status: { readonly errorCode: string; readonly errorMessage: string };
}

export interface ServerCoreApi {
  /**
   * Resolve a request to a loaded version and hold it. Throws TfsError with upstream's
   * texts: `Servable not found for request: Latest(m)` / `Specific(m, v)` (NOT_FOUND),
   * `Unrecognized servable version label: l` (INVALID_ARGUMENT).
   */
  getServableHandle(req: ServableRequest): ServableHandle;
  /**
   * Status of all tracked versions (descending), or of one. Throws NOT_FOUND
   * `Could not find any versions of model m` / `Could not find version v of model m`.
   */
  getModelStatus(name: string, version?: number): ModelVersionStatus[];
  /** Apply a new config (add, remove, change models); resolves when added models are available. */
  reloadConfig(config: ModelServerConfig): Promise<void>;
  /** The config in force. */
  currentConfig(): ModelServerConfig;
  /** True when every configured model has at least one AVAILABLE version (readiness). */
  isReady(): boolean;
}
