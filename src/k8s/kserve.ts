/**
 * `--kserve`: tfs as a KServe runtime. A ServingRuntime (serving.kserve.io/v1alpha1) whose
 * container runs `tfs serve` the way KServe runs TensorFlow Serving (the model KServe's
 * storage initializer fetched into /mnt/models, REST on 8080, the model named by KServe's
 * `{{.Name}}` placeholder), and an InferenceService (serving.kserve.io/v1beta1) whose
 * predictor uses it for --storage_uri. KServe serves one model per InferenceService, so this
 * takes the single-model form (--model_name).
 */
import { Pod } from 'kubernetes-models/v1/Pod';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { CrdObject } from './crd.js';
import { RUN_AS_USER, type Naming } from './manifests.js';
import type { ResolvedOptions } from './options.js';

/** Where KServe's storage initializer puts the model, and its HTTP port. */
export const KSERVE_MODEL_DIR = '/mnt/models';
export const KSERVE_HTTP_PORT = 8080;
export const KSERVE_GRPC_PORT = 9000;

/** The ServingRuntime's name for a --name. */
export function runtimeName(name: string): string {
  return `${name}-runtime`;
}

function resources(opts: ResolvedOptions): { requests: Record<string, string>; limits: Record<string, string> } {
  const limits: Record<string, string> = { memory: opts.memoryLimit.text };
  if (opts.cpuLimit) limits['cpu'] = opts.cpuLimit.text;
  if (opts.gpu > 0) limits['nvidia.com/gpu'] = String(opts.gpu);
  return { requests: { cpu: opts.cpu.text, memory: opts.memory.text }, limits };
}

/** The tfs container of the runtime (checked with kubernetes-models as a core/v1 Container). */
function runtimeContainer(opts: ResolvedOptions, shutdownGraceMs: number): IContainer {
  const args = [
    '--model_name={{.Name}}',
    `--model_base_path=${KSERVE_MODEL_DIR}`,
    `--port=${KSERVE_GRPC_PORT}`,
    `--rest_api_port=${KSERVE_HTTP_PORT}`,
    `--shutdown_grace_period_ms=${shutdownGraceMs}`,
    ...(opts.gpu > 0 && !opts.serveArgNames.has('backend') && !opts.serveArgNames.has('runtime') ? ['--runtime=tensorflow'] : []),
    ...opts.serveArgs,
  ];
  const container: IContainer = {
    name: 'kserve-container',
    image: opts.image,
    args,
    ports: [{ containerPort: KSERVE_HTTP_PORT, protocol: 'TCP' }],
    resources: resources(opts),
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: RUN_AS_USER, capabilities: { drop: ['ALL'] } },
  };
  new Pod({ metadata: { name: 'kserve-container-check' }, spec: { containers: [container] } }).validate();
  return container;
}

/** The ServingRuntime and the InferenceService that uses it. */
export function buildKServe(n: Naming, opts: ResolvedOptions, storageUri: string, shutdownGraceMs: number): { runtime: CrdObject; service: CrdObject } {
  const metadata = (name: string): Record<string, unknown> => ({ name, ...(n.namespace === undefined ? {} : { namespace: n.namespace }), labels: { ...n.labels } });
  const runtime = new CrdObject({
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ServingRuntime',
    metadata: metadata(runtimeName(opts.name)),
    spec: {
      // Chosen by name in the InferenceService, never auto-selected over KServe's own runtime.
      supportedModelFormats: [{ name: 'tensorflow', version: '2', autoSelect: false }],
      protocolVersions: ['v1', 'v2'],
      multiModel: false,
      containers: [runtimeContainer(opts, shutdownGraceMs)],
    },
  });
  const service = new CrdObject({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: metadata(opts.name),
    spec: {
      predictor: {
        minReplicas: opts.replicas,
        maxReplicas: opts.maxReplicas,
        model: { modelFormat: { name: 'tensorflow', version: '2' }, runtime: runtimeName(opts.name), storageUri, protocolVersion: 'v1', resources: resources(opts) },
      },
    },
  });
  return { runtime, service };
}
