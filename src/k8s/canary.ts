/**
 * `--canary MODEL=V1:W1,V2:W2`: split one model's traffic between two of its versions,
 * by weight, with Istio (the tutorial's A/B example).
 *
 * tfs answers a request without a version with the model's latest version, so the split
 * cannot happen inside one pod. Instead there is one Deployment per version (a "subset",
 * pod label `version: v<N>`); each runs the user's model config with MODEL pinned to its
 * version (`specific { versions: N }`, and only the version labels that point at N). The
 * VirtualService then routes:
 *   1. `model-version: v<N>` request header (as in the tutorial) → subset v<N>;
 *   2. REST paths that name a version or label of MODEL (`/v1/models/M/versions/N…`,
 *      `/v1/models/M/labels/L…`) → the subset that serves it, so pinned requests never
 *      reach a pod without that version;
 *   3. everything else → both subsets by weight.
 * gRPC requests carry the version inside the message, where Istio cannot see it: gRPC
 * clients that pin a version send the `model-version` header.
 */
import { basename } from 'node:path';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { formatTextFormat } from '../proto/text-format.js';
import { GenUsageError, type CanarySpec } from './options.js';
import { modelServerConfigType, type LoadedInputs } from './inputs.js';

/** The request header that picks a subset (the tutorial's VirtualService uses it). */
export const VERSION_HEADER = 'model-version';

/** The pod label that tells subsets apart (Istio's convention). */
export const SUBSET_LABEL = 'version';

export interface CanarySubset {
  /** Subset name and pod label value: `v<version>`. */
  readonly name: string;
  readonly version: number;
  readonly weight: number;
  /** The model config this subset's pods run (MODEL pinned to `version`). */
  readonly modelConfigText: string;
  /** Version labels of MODEL that point at this version. */
  readonly labels: readonly string[];
}

export interface CanaryPlan {
  readonly model: string;
  readonly subsets: readonly [CanarySubset, CanarySubset];
}

type Obj = Record<string, unknown>;

function configsOf(proto: Obj): Obj[] {
  return ((proto['model_config_list'] as Obj | undefined)?.['config'] ?? []) as Obj[];
}

/** Checks the spec against the model config and derives each subset's config. Throws GenUsageError. */
export function planCanary(spec: CanarySpec, inputs: LoadedInputs): CanaryPlan {
  const model = inputs.models.find((m) => m.name === spec.model);
  if (!model) {
    throw new GenUsageError(
      `--canary: no model named '${spec.model}' in the model config`,
      `Models: ${inputs.models.map((m) => m.name).join(', ')}.`,
    );
  }
  const policy = model.config.versionPolicy;
  if (policy.kind === 'specific') {
    for (const s of spec.subsets) {
      if (!policy.versions.includes(s.version)) {
        throw new GenUsageError(
          `--canary: model '${spec.model}' does not serve version ${s.version} (its model_version_policy is specific { versions: ${policy.versions.join(', ')} })`,
          'Name two versions the config serves, or add the version to model_version_policy.',
        );
      }
    }
  }

  // The single-model form (--model_name) has no file: start from the config it stands for.
  const source = inputs.modelConfig?.source ?? '--model_name';
  const proto: Obj = inputs.modelConfig?.proto ?? {
    config: 'model_config_list',
    model_config_list: { config: [{ name: model.name, base_path: model.basePath, model_platform: 'tensorflow', version_labels: {} }] },
  };
  const labelsOf = (version: number): string[] =>
    Object.entries(model.config.versionLabels)
      .filter(([, v]) => v === version)
      .map(([k]) => k)
      .sort();

  const type = modelServerConfigType();
  const derive = (s: CanarySpec['subsets'][number]): CanarySubset => {
    const copy = structuredClone(proto);
    for (const c of configsOf(copy)) {
      if (c['name'] !== spec.model) continue;
      c['model_version_policy'] = { policy_choice: 'specific', specific: { versions: [String(s.version)] } };
      const labels = (c['version_labels'] ?? {}) as Record<string, unknown>;
      c['version_labels'] = Object.fromEntries(Object.entries(labels).filter(([, v]) => Number(v) === s.version));
    }
    const from = source === '--model_name' ? `--model_name ${spec.model}` : basename(source);
    const header =
      `# Derived by \`tfs gen k8s --canary\` from ${from}: model '${spec.model}' is pinned to\n` +
      `# version ${s.version}, so pods of subset v${s.version} answer its unversioned requests with it.\n`;
    return {
      name: `v${s.version}`,
      version: s.version,
      weight: s.weight,
      modelConfigText: header + formatTextFormat(type, copy),
      labels: labelsOf(s.version),
    };
  };
  return { model: spec.model, subsets: [derive(spec.subsets[0]), derive(spec.subsets[1])] };
}

/** RE2 (Envoy `safe_regex`) escaping. */
function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`);
}

/** A full-match regex for REST paths that name `version` or one of `labels` of `model`. */
export function pinnedPathRegex(model: string, version: number, labels: readonly string[]): string {
  const alternatives = [`versions/${version}`, ...labels.map((l) => `labels/${escapeRegex(l)}`)];
  const which = alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join('|')})`;
  return `/v1/models/${escapeRegex(model)}/${which}([:/].*)?`;
}

export interface IstioNames {
  readonly host: string;
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The DestinationRule: one subset per version, selected by the pod label. */
export function buildDestinationRule(plan: CanaryPlan, n: IstioNames): DestinationRule {
  return new DestinationRule({
    metadata: { name: n.name, ...(n.namespace === undefined ? {} : { namespace: n.namespace }), labels: { ...n.labels } },
    spec: {
      host: n.host,
      subsets: plan.subsets.map((s) => ({ name: s.name, labels: { [SUBSET_LABEL]: s.name } })),
    },
  });
}

/** The VirtualService: header and pinned-path routes per subset, then the weighted split. */
export function buildVirtualService(plan: CanaryPlan, n: IstioNames): VirtualService {
  const dest = (subset: string) => ({ host: n.host, subset });
  return new VirtualService({
    metadata: { name: n.name, ...(n.namespace === undefined ? {} : { namespace: n.namespace }), labels: { ...n.labels } },
    spec: {
      hosts: [n.host],
      http: [
        ...plan.subsets.map((s) => ({
          name: `${s.name}-by-header`,
          match: [{ headers: { [VERSION_HEADER]: { exact: s.name } } }],
          route: [{ destination: dest(s.name) }],
        })),
        ...plan.subsets.map((s) => ({
          name: `${s.name}-pinned-paths`,
          match: [{ uri: { regex: pinnedPathRegex(plan.model, s.version, s.labels) } }],
          route: [{ destination: dest(s.name) }],
        })),
        {
          name: 'weighted',
          route: plan.subsets.map((s) => ({ destination: dest(s.name), weight: s.weight })),
        },
      ],
    },
  });
}
