/**
 * Pure builders for the Kubernetes objects of one tfs deployment, on the typed models of
 * `kubernetes-models` (core/apps/autoscaling/policy) and `@kubernetes-models/prometheus-operator`.
 *
 * Numbers that must agree with `tfs serve` live in {@link podTiming} and {@link serveArgs}:
 * the ports, the health paths, and the shutdown sequence (preStop sleep → SIGTERM → tfs
 * drains for --shutdown_grace_period_ms → exit 0, all inside terminationGracePeriodSeconds).
 */
import { createHash } from 'node:crypto';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { ResolvedOptions } from './options.js';
import { CONFIG_KEYS, CONFIG_MOUNT_PATH, type ConfigFileInput, type LoadedInputs } from './inputs.js';
import type { ModelMount } from './mounts.js';

/** Container ports (tensorflow_model_server's usual ones; fixed so probes and Services agree). */
export const GRPC_PORT = 8500;
export const REST_PORT = 8501;
/** Liveness and readiness endpoints of `tfs serve` (on the REST port). */
export const LIVE_PATH = '/healthz';
export const READY_PATH = '/readyz';
/** The uid/gid the image runs as (the `node` user of the official Node images). */
export const RUN_AS_USER = 1000;
/** Where an init container sees the emptyDir it fills. */
export const INIT_STAGING_PATH = '/mnt/tfs-models';
/** Pod annotation holding the hash of the config files a restart must pick up. */
export const CONFIG_HASH_ANNOTATION = 'tfs/config-sha256';

/** Labels and metadata shared by every object of one deployment. */
export interface Naming {
  readonly name: string;
  readonly namespace?: string;
  /** Recommended labels (`app.kubernetes.io/*`) on every object and pod. */
  readonly labels: Readonly<Record<string, string>>;
  /** The immutable subset used by selectors (name + instance). */
  readonly selector: Readonly<Record<string, string>>;
}

/** The `app.kubernetes.io/version` value: the image tag when it is a valid label value. */
export function imageVersion(image: string): string | undefined {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  if (colon <= slash) return undefined;
  const tag = noDigest.slice(colon + 1);
  return tag.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(tag) && tag !== '' ? tag : undefined;
}

export function naming(opts: ResolvedOptions): Naming {
  const selector = { 'app.kubernetes.io/name': 'tfs', 'app.kubernetes.io/instance': opts.name };
  const version = imageVersion(opts.image);
  return {
    name: opts.name,
    ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
    labels: {
      ...selector,
      ...(version === undefined ? {} : { 'app.kubernetes.io/version': version }),
      'app.kubernetes.io/component': 'model-server',
      'app.kubernetes.io/managed-by': 'tfs',
    },
    selector,
  };
}

function meta(n: Naming, name: string, extraLabels: Record<string, string> = {}) {
  return {
    name,
    ...(n.namespace === undefined ? {} : { namespace: n.namespace }),
    labels: { ...n.labels, ...extraLabels },
  };
}

/** Probe and shutdown timing, derived from the options. */
export interface PodTiming {
  readonly startupFailureThreshold: number;
  readonly startupPeriodSeconds: number;
  readonly terminationGracePeriodSeconds: number;
  readonly shutdownGracePeriodMs: number;
  readonly prestopSleepSeconds: number;
  readonly progressDeadlineSeconds: number;
}

/**
 * terminationGracePeriodSeconds covers the preStop sleep (endpoints are removed while the
 * pod still serves), then tfs's drain after SIGTERM, plus a margin for process exit.
 */
export function podTiming(opts: ResolvedOptions): PodTiming {
  const startupPeriodSeconds = 10;
  return {
    startupPeriodSeconds,
    startupFailureThreshold: Math.ceil(opts.startupTimeoutSeconds / startupPeriodSeconds),
    prestopSleepSeconds: opts.prestopSleepSeconds,
    shutdownGracePeriodMs: opts.drainSeconds * 1000,
    terminationGracePeriodSeconds: opts.prestopSleepSeconds + opts.drainSeconds + 5,
    // A rollout is reported failed only after the slowest allowed start plus scheduling time.
    progressDeadlineSeconds: opts.startupTimeoutSeconds + 300,
  };
}

/** Kubernetes expands `$(VAR)` in args; `$$(` keeps a literal `$(`. */
function escapeArg(a: string): string {
  return a.replace(/\$\(/g, '$$$$(');
}

/** The `tfs serve` arguments (tensorflow_model_server's flags) for one Deployment. */
export function serveArgs(opts: ResolvedOptions, inputs: LoadedInputs, timing: PodTiming): string[] {
  const args = [`--port=${GRPC_PORT}`, `--rest_api_port=${REST_PORT}`];
  if (opts.modelSource.kind === 'configFile' || opts.canary !== undefined) {
    args.push(`--model_config_file=${CONFIG_MOUNT_PATH}/${CONFIG_KEYS.modelConfig}`);
    const poll = opts.modelSource.kind === 'configFile' ? opts.modelSource.pollSeconds : 0;
    if (poll > 0) args.push(`--model_config_file_poll_wait_seconds=${poll}`);
  } else {
    args.push(`--model_name=${opts.modelSource.name}`, `--model_base_path=${inputs.models[0]!.basePath}`);
  }
  if (inputs.batching) {
    args.push('--enable_batching=true', `--batching_parameters_file=${CONFIG_MOUNT_PATH}/${CONFIG_KEYS.batching}`);
    // Re-read in place from the ConfigMap volume (mounted as a directory, so updates arrive).
    if (opts.batchingPollSeconds > 0) args.push(`--batching_parameters_file_poll_wait_seconds=${opts.batchingPollSeconds}`);
  }
  if (inputs.monitoring) args.push(`--monitoring_config_file=${CONFIG_MOUNT_PATH}/${CONFIG_KEYS.monitoring}`);
  args.push(`--shutdown_grace_period_ms=${timing.shutdownGracePeriodMs}`);
  // With a GPU, insist on TensorFlow's own runtime (the native addon the image builds): a
  // missing or unloadable addon is then a start-up error, not a silent fall-back to the CPU.
  if (opts.gpu > 0 && !opts.serveArgNames.has('backend') && !opts.serveArgNames.has('runtime')) args.push('--runtime=tensorflow');
  args.push(...opts.serveArgs);
  return args.map(escapeArg);
}

/** The ConfigMap: the config files, verbatim, under fixed keys mounted at /config. */
export function buildConfigMap(n: Naming, name: string, files: readonly ConfigFileInput[], extraLabels: Record<string, string> = {}): ConfigMap {
  return new ConfigMap({
    metadata: meta(n, name, extraLabels),
    data: Object.fromEntries(files.map((f) => [f.key, f.text])),
  });
}

/**
 * Hash of the files whose change needs a restart (a pod-template annotation, so that
 * applying a changed config rolls the pods). With --model_config_file_poll_wait_seconds
 * the model config is re-read in place, so it is left out; so is the batching file when it is
 * polled (--batching_parameters_file_poll_wait_seconds).
 */
export function configHash(files: readonly ConfigFileInput[], excludeKeys: readonly string[] = []): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => a.key.localeCompare(b.key))) {
    if (excludeKeys.includes(f.key)) continue;
    h.update(f.key).update('\0').update(f.text).update('\0');
  }
  return h.digest('hex');
}

const containerSecurity: ISecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

function httpProbe(path: string, extra: Omit<IProbe, 'httpGet'>): IProbe {
  return { httpGet: { path, port: 'rest' }, ...extra };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Volumes, mounts and init containers for the model volumes. */
export function modelVolumes(mounts: readonly ModelMount[]): { volumes: IVolume[]; volumeMounts: IVolumeMount[]; initContainers: IContainer[] } {
  const volumes: IVolume[] = [];
  const volumeMounts: IVolumeMount[] = [];
  const initContainers: IContainer[] = [];
  for (const m of mounts) {
    const s = m.source;
    if (s.kind === 'pvc') volumes.push({ name: m.volumeName, persistentVolumeClaim: { claimName: s.claimName, readOnly: true } });
    else if (s.kind === 'hostPath') volumes.push({ name: m.volumeName, hostPath: { path: s.path, type: 'Directory' } });
    else {
      volumes.push({ name: m.volumeName, emptyDir: {} });
      // The image holds the models at the mount path; copy them into the emptyDir.
      initContainers.push({
        name: `${m.volumeName}-init`,
        image: s.image,
        command: ['sh', '-c', `cp -R ${shellQuote(m.mountPath + '/.')} ${INIT_STAGING_PATH}/`],
        volumeMounts: [{ name: m.volumeName, mountPath: INIT_STAGING_PATH }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '1Gi' } },
        securityContext: containerSecurity,
      });
    }
    volumeMounts.push({ name: m.volumeName, mountPath: m.mountPath, readOnly: true });
  }
  return { volumes, volumeMounts, initContainers };
}

export interface DeploymentSpecInput {
  readonly deploymentName: string;
  /** Extra pod labels (the canary subset label); also part of the selector. */
  readonly subsetLabels: Readonly<Record<string, string>>;
  readonly configMapName: string | undefined;
  readonly configHash: string | undefined;
  readonly args: readonly string[];
  readonly mounts: readonly ModelMount[];
  readonly timing: PodTiming;
  /** Prometheus scrape path when monitoring is on. */
  readonly metricsPath: string | undefined;
  /** Behind an Istio sidecar: keep the proxy up while tfs drains. */
  readonly istio: boolean;
}

/** The tfs container: image, args, ports, resources, probes, preStop sleep. */
function tfsContainer(opts: ResolvedOptions, d: DeploymentSpecInput, volumeMounts: NonNullable<IContainer['volumeMounts']>): IContainer {
  const requests: Record<string, string> = { cpu: opts.cpu.text, memory: opts.memory.text };
  const limits: Record<string, string> = { memory: opts.memoryLimit.text };
  if (opts.cpuLimit) limits['cpu'] = opts.cpuLimit.text;
  if (opts.gpu > 0) limits['nvidia.com/gpu'] = String(opts.gpu);

  const t = d.timing;
  return {
    name: 'tfs',
    image: opts.image,
    args: [...d.args],
    ports: [
      { name: 'grpc', containerPort: GRPC_PORT, protocol: 'TCP' },
      { name: 'rest', containerPort: REST_PORT, protocol: 'TCP' },
    ],
    resources: { requests, limits },
    // s3:// models: credentials, region and endpoint from the Secret, as tfs serve reads them.
    ...(opts.s3Secret === undefined ? {} : { envFrom: [{ secretRef: { name: opts.s3Secret } }] }),
    volumeMounts,
    // Models load before /readyz answers 200; until then liveness is not checked.
    startupProbe: httpProbe(READY_PATH, { periodSeconds: t.startupPeriodSeconds, timeoutSeconds: 5, failureThreshold: t.startupFailureThreshold }),
    readinessProbe: httpProbe(READY_PATH, { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 }),
    // Lenient: a long model run on the event loop must not get the pod killed.
    livenessProbe: httpProbe(LIVE_PATH, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 }),
    ...(t.prestopSleepSeconds > 0 ? { lifecycle: { preStop: { exec: { command: ['sleep', String(t.prestopSleepSeconds)] } } } } : {}),
    securityContext: containerSecurity,
  };
}

/** Pod annotations: the config hash, Prometheus scrape hints, Istio drain settings. */
function podAnnotations(d: DeploymentSpecInput): Record<string, string> {
  const t = d.timing;
  const annotations: Record<string, string> = {};
  if (d.configHash !== undefined) annotations[CONFIG_HASH_ANNOTATION] = d.configHash;
  if (d.metricsPath !== undefined) {
    annotations['prometheus.io/scrape'] = 'true';
    annotations['prometheus.io/port'] = String(REST_PORT);
    annotations['prometheus.io/path'] = d.metricsPath;
  }
  if (d.istio) {
    annotations['proxy.istio.io/config'] = JSON.stringify({
      holdApplicationUntilProxyStarts: true,
      terminationDrainDuration: `${t.prestopSleepSeconds + t.shutdownGracePeriodMs / 1000}s`,
    });
  }
  return annotations;
}

/** The Deployment. Replicas are left to the HorizontalPodAutoscaler (its minReplicas). */
export function buildDeployment(n: Naming, opts: ResolvedOptions, d: DeploymentSpecInput): Deployment {
  const { volumes, volumeMounts, initContainers } = modelVolumes(d.mounts);
  if (d.configMapName !== undefined) {
    volumes.push({ name: 'config', configMap: { name: d.configMapName } });
    // Mounted as a directory (not subPath), so ConfigMap updates reach the files.
    volumeMounts.push({ name: 'config', mountPath: CONFIG_MOUNT_PATH, readOnly: true });
  }
  volumes.push({ name: 'tmp', emptyDir: {} });
  volumeMounts.push({ name: 'tmp', mountPath: '/tmp' });

  const container = tfsContainer(opts, d, volumeMounts);
  const t = d.timing;

  const podLabels = { ...n.labels, ...d.subsetLabels };
  const selector = { ...n.selector, ...d.subsetLabels };
  const annotations = podAnnotations(d);

  return new Deployment({
    metadata: meta(n, d.deploymentName, { ...d.subsetLabels }),
    spec: {
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      progressDeadlineSeconds: t.progressDeadlineSeconds,
      template: {
        metadata: { labels: podLabels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
        spec: {
          // tfs needs no Kubernetes API access.
          automountServiceAccountToken: false,
          // Service links would inject variables such as TFS_PORT=tcp://… for a Service
          // named tfs, which tfs serve reads as its --port flag.
          enableServiceLinks: false,
          terminationGracePeriodSeconds: t.terminationGracePeriodSeconds,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS_USER,
            runAsGroup: RUN_AS_USER,
            fsGroup: RUN_AS_USER,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...(initContainers.length > 0 ? { initContainers } : {}),
          containers: [container],
          volumes,
          ...(opts.gpu > 0 ? { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] } : {}),
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
          ],
        },
      },
    },
  });
}

/** ClusterIP Service with named ports; appProtocol lets a mesh treat them as gRPC and HTTP. */
export function buildService(n: Naming): Service {
  return new Service({
    metadata: meta(n, n.name),
    spec: {
      type: 'ClusterIP',
      selector: { ...n.selector },
      ports: [
        { name: 'grpc', port: GRPC_PORT, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' },
        { name: 'rest', port: REST_PORT, targetPort: 'rest', protocol: 'TCP', appProtocol: 'http' },
      ],
    },
  });
}

/** autoscaling/v2 HPA on CPU utilisation; scales down slowly (model loading is expensive). */
export function buildHpa(n: Naming, deploymentName: string, minReplicas: number, maxReplicas: number, targetCpu: number, extraLabels: Record<string, string> = {}): HorizontalPodAutoscaler {
  return new HorizontalPodAutoscaler({
    metadata: meta(n, deploymentName, extraLabels),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deploymentName },
      minReplicas,
      maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: targetCpu } } }],
      behavior: {
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
      },
    },
  });
}

/**
 * policy/v1 PDB: at most one pod voluntarily evicted at a time. maxUnavailable (not
 * minAvailable) so a single-replica deployment never blocks node drains; unhealthy pods
 * may always be evicted so a crash-looping pod cannot block them either.
 */
export function buildPdb(n: Naming, deploymentName: string, subsetLabels: Record<string, string> = {}): PodDisruptionBudget {
  return new PodDisruptionBudget({
    metadata: meta(n, deploymentName, subsetLabels),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: { ...n.selector, ...subsetLabels } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}

/** Prometheus Operator ServiceMonitor scraping the REST port at the monitoring config's path. */
export function buildServiceMonitor(n: Naming, path: string): ServiceMonitor {
  return new ServiceMonitor({
    metadata: meta(n, n.name),
    spec: {
      selector: { matchLabels: { ...n.selector } },
      endpoints: [{ port: 'rest', path, interval: '30s', scrapeTimeout: '10s' }],
    },
  });
}
