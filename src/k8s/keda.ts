/**
 * `--autoscale keda`: a KEDA ScaledObject per Deployment, scaling on tfs's own serving
 * signals read from Prometheus (scraped through the generated ServiceMonitor), instead of the
 * CPU HorizontalPodAutoscaler:
 *  - request_rate: `sum(rate(tensorflow_serving_request_count{pod=~"<deployment>-…"}[1m]))`,
 *    target requests/s per pod;
 *  - queue_depth: `sum(tfs_batching_queued_requests{pod=~"<deployment>-…"})`, target queued
 *    requests per pod (needs batching).
 * CPU pods keep scaling on CPU as well (a `cpu` trigger at --target_cpu_utilization, the
 * rule the HPA had); GPU pods scale on the serving signal alone, since their CPU use says
 * little about load. KEDA owns the HPA it creates, so no HorizontalPodAutoscaler is emitted.
 */
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PROMQL_ALIASES, TFS } from '../metrics/names.js';
import { CrdObject } from './crd.js';
import type { Naming } from './manifests.js';
import type { AutoscaleOptions, ResolvedOptions } from './options.js';

type Keda = Extract<AutoscaleOptions, { kind: 'keda' }>;

/** The same scale-down pacing as the CPU HPA: one pod a minute after five quiet minutes. */
const BEHAVIOR = { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };

/** PromQL selecting the pods of one Deployment (`<deployment>-<replicaset hash>-<suffix>`). */
function podSelector(deploymentName: string, namespace: string | undefined): string {
  const ns = namespace === undefined ? '' : `namespace="${namespace}",`;
  return `{${ns}pod=~"${deploymentName}-[a-z0-9]+-[a-z0-9]+"}`;
}

/** The PromQL KEDA runs for `metric` over one Deployment's pods. */
export function kedaQuery(metric: Keda['metric'], deploymentName: string, namespace: string | undefined): string {
  const sel = podSelector(deploymentName, namespace);
  return metric === 'request_rate' ? `sum(rate(${PROMQL_ALIASES.requestCount}${sel}[1m]))` : `sum(${TFS.batchingQueuedRequests}${sel})`;
}

/** The ScaledObject for one Deployment (validated against schemas/k8s and kubernetes-models). */
export function buildScaledObject(
  n: Naming,
  opts: ResolvedOptions,
  keda: Keda,
  w: { deploymentName: string; minReplicas: number; maxReplicas: number; subsetLabels: Record<string, string> },
): CrdObject {
  // The behavior is an autoscaling/v2 type: check it where kubernetes-models has it.
  new HorizontalPodAutoscaler({ metadata: { name: w.deploymentName }, spec: { scaleTargetRef: { kind: 'Deployment', name: w.deploymentName }, maxReplicas: w.maxReplicas, behavior: BEHAVIOR } }).validate();
  const triggers: Record<string, unknown>[] = [
    {
      type: 'prometheus',
      name: keda.metric.replace('_', '-'),
      metricType: 'AverageValue',
      metadata: { serverAddress: keda.prometheusUrl, query: kedaQuery(keda.metric, w.deploymentName, n.namespace), threshold: String(keda.threshold), ignoreNullValues: 'true' },
    },
  ];
  if (opts.gpu === 0) triggers.push({ type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: String(opts.targetCpuUtilization) } });
  return new CrdObject({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: w.deploymentName, ...(n.namespace === undefined ? {} : { namespace: n.namespace }), labels: { ...n.labels, ...w.subsetLabels } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: w.deploymentName },
      pollingInterval: 15,
      cooldownPeriod: 300,
      minReplicaCount: w.minReplicas,
      maxReplicaCount: w.maxReplicas,
      advanced: { horizontalPodAutoscalerConfig: { behavior: BEHAVIOR } },
      triggers,
    },
  });
}
