/**
 * Version labels (`version_labels` in ModelConfig): label → version per model, rebuilt on
 * every config load before any model changes (upstream server_core.cc
 * `UpdateModelVersionLabelMap`). Pure, so the rules can be tested with tables.
 */
import type { ModelConfig } from '../config/types.js';
import { Errors } from '../errors.js';

/** model name → (label → version). */
export type LabelMap = ReadonlyMap<string, ReadonlyMap<string, number>>;

export interface LabelRuleOptions {
  /** `--allow_version_labels_for_unavailable_models`. */
  readonly allowVersionLabelsForUnavailableModels: boolean;
  /** Whether version `version` of `model` is AVAILABLE right now. */
  readonly isAvailable: (model: string, version: number) => boolean;
}

/**
 * The label map a config asks for. A label must point to an AVAILABLE version, else the
 * whole reload fails with FAILED_PRECONDITION `Request to assign label to version <v> of
 * model <m>, which is not currently available for inference`. With
 * `allowVersionLabelsForUnavailableModels`, a label that is new or keeps its version may
 * point anywhere; moving an existing label still needs the target AVAILABLE (so a canary
 * is loaded first and labelled stable after).
 *
 * `current` is the map in force (undefined before the first config).
 */
export function computeLabelMap(models: readonly ModelConfig[], current: LabelMap | undefined, opts: LabelRuleOptions): LabelMap {
  const next = new Map<string, Map<string, number>>();
  for (const model of models) {
    // Proto maps have no order; sort for a deterministic first error.
    const entries = Object.entries(model.versionLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [label, version] of entries) {
      let allowUnavailable = false;
      if (opts.allowVersionLabelsForUnavailableModels) {
        const existing = current?.get(model.name)?.get(label);
        allowUnavailable = existing === undefined || existing === version;
      }
      if (!allowUnavailable && !opts.isAvailable(model.name, version)) {
        throw Errors.labelVersionNotAvailable(model.name, version);
      }
      let labels = next.get(model.name);
      if (!labels) {
        labels = new Map();
        next.set(model.name, labels);
      }
      labels.set(label, version);
    }
  }
  return next;
}
