/**
 * `gen k8s --autoscale keda` and `--kserve`: the objects, checked against the CRD schemas
 * vendored in schemas/k8s/ after a YAML round trip (and a broken copy refused), the KEDA
 * queries on tfs's metric names, and misuse refused with a reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrdObject } from '../../src/k8s/crd.js';
import { generateK8s, type K8sBundle } from '../../src/k8s/generate.js';
import { GenUsageError, type GenK8sFlags } from '../../src/k8s/options.js';
import { parseYamlStream } from '../../src/k8s/yaml.js';
import { PROMQL_ALIASES, TFS } from '../../src/metrics/names.js';

const FILES: Record<string, string> = {
  'monitoring.pbtxt': 'prometheus_config { enable: true path: "/monitoring/prometheus/metrics" }\n',
  'batching.pbtxt': 'max_batch_size { value: 32 }\nbatch_timeout_micros { value: 1000 }\nnum_batch_threads { value: 2 }\n',
};

function gen(flags: Partial<GenK8sFlags>): K8sBundle {
  return generateK8s({ model_name: 'my_model', image: 'registry.example.com/tfs:0.1.0', name: 'tfs', ...flags }, { read: (_kind, file) => FILES[file]!, version: '0.0.0' });
}

/** Every object of `kind`, read back from its YAML file. */
function readBack(bundle: K8sBundle, kind: string): Record<string, any>[] {
  return bundle.files
    .filter((f) => f.path.endsWith('.yaml') && f.path !== 'kustomization.yaml')
    .map((f) => parseYamlStream(f.content)[0] as Record<string, any>)
    .filter((o) => o['kind'] === kind);
}

/** Validates against the vendored schema, and a copy broken by `breakIt` must not. */
function assertSchema(obj: Record<string, any>, breakIt: (copy: Record<string, any>) => void): void {
  assert.doesNotThrow(() => new CrdObject(obj as never).validate());
  const copy = structuredClone(obj);
  breakIt(copy);
  assert.throws(() => new CrdObject(copy as never).validate(), `a broken ${String(obj['kind'])} must not validate`);
}

test('--autoscale keda: a ScaledObject on the request rate, plus the CPU trigger for CPU pods, and no HPA', () => {
  const b = gen({ monitoring_config_file: 'monitoring.pbtxt', autoscale: 'keda', namespace: 'ml', replicas: 2 });
  assert.equal(readBack(b, 'HorizontalPodAutoscaler').length, 0, 'KEDA owns the HPA');
  const [so] = readBack(b, 'ScaledObject');
  assert.ok(so, 'a ScaledObject');
  assertSchema(so, (c) => (c['spec'].triggers[0].metadata.threshold = 50));
  assertSchema(so, (c) => delete c['spec'].scaleTargetRef.name);
  assert.equal(so['apiVersion'], 'keda.sh/v1alpha1');
  assert.deepEqual(so['spec'].scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'tfs' });
  assert.deepEqual([so['spec'].minReplicaCount, so['spec'].maxReplicaCount], [2, 4]);
  const [prom, cpu] = so['spec'].triggers;
  assert.equal(prom.type, 'prometheus');
  assert.equal(prom.metadata.query, `sum(rate(${PROMQL_ALIASES.requestCount}{namespace="ml",pod=~"tfs-[a-z0-9]+-[a-z0-9]+"}[1m]))`);
  assert.equal(prom.metadata.threshold, '50');
  assert.equal(prom.metadata.serverAddress, 'http://prometheus-operated.monitoring.svc:9090');
  assert.deepEqual(cpu, { type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: '70' } });
  assert.equal(readBack(b, 'ServiceMonitor').length, 1, 'Prometheus scrapes what KEDA reads');
  assert.ok(b.files.find((f) => f.path === 'kustomization.yaml')!.content.includes('scaledobject.yaml'));
});

test('--autoscale keda --gpu: GPU pods scale on the queue depth alone; the CPU HPA path warns for GPU pods', () => {
  const b = gen({ monitoring_config_file: 'monitoring.pbtxt', batching_parameters_file: 'batching.pbtxt', autoscale: 'keda', keda_metric: 'queue_depth', keda_threshold: 4, gpu: 1, prometheus_url: 'http://prom:9090' });
  const [so] = readBack(b, 'ScaledObject');
  assert.equal(so!['spec'].triggers.length, 1);
  assert.deepEqual(so!['spec'].triggers[0].metadata, { serverAddress: 'http://prom:9090', query: `sum(${TFS.batchingQueuedRequests}{pod=~"tfs-[a-z0-9]+-[a-z0-9]+"})`, threshold: '4', ignoreNullValues: 'true' });
  const cpuHpa = gen({ gpu: 1 });
  assert.equal(readBack(cpuHpa, 'HorizontalPodAutoscaler').length, 1);
  assert.ok(cpuHpa.warnings.some((w) => w.includes('use --autoscale keda')), cpuHpa.warnings.join('\n'));
  assert.ok(!gen({}).warnings.some((w) => w.includes('--autoscale keda')), 'CPU pods keep the CPU HPA without a warning');
});

test('--autoscale keda with --canary: one ScaledObject per subset Deployment', () => {
  FILES['model_config.pbtxt'] = 'model_config_list { config { name: "my_model" base_path: "/models/my_model" model_platform: "tensorflow" model_version_policy { all {} } } }\n';
  const b = gen({ model_name: undefined, model_config_file: 'model_config.pbtxt', monitoring_config_file: 'monitoring.pbtxt', autoscale: 'keda', canary: 'my_model=1:90,2:10' });
  const names = readBack(b, 'ScaledObject').map((o) => [o['metadata'].name, o['spec'].scaleTargetRef.name]);
  assert.equal(names.length, 2);
  for (const [so, target] of names) assert.equal(so, target);
});

test('--kserve: a ServingRuntime running tfs serve and an InferenceService using it, valid against the KServe schemas', () => {
  const b = gen({ kserve: true, storage_uri: 'pvc://model-storage/my_model', gpu: 1, replicas: 1, max_replicas: 3, serve_arg: ['--rest_api_timeout_in_ms=5000'] });
  assert.deepEqual(
    b.objects.map((o) => [o.kind, o.name, o.file]),
    [
      ['ServingRuntime', 'tfs-runtime', 'servingruntime.yaml'],
      ['InferenceService', 'tfs', 'inferenceservice.yaml'],
    ],
  );
  const [rt] = readBack(b, 'ServingRuntime');
  const [isvc] = readBack(b, 'InferenceService');
  assertSchema(rt!, (c) => (c['spec'].protocolVersions = ['v3']));
  assertSchema(isvc!, (c) => delete c['spec'].predictor.model.modelFormat);
  const container = rt!['spec'].containers[0];
  assert.equal(container.image, 'registry.example.com/tfs:0.1.0');
  assert.deepEqual(container.args, [
    '--model_name={{.Name}}',
    '--model_base_path=/mnt/models',
    '--port=9000',
    '--rest_api_port=8080',
    '--shutdown_grace_period_ms=10000',
    '--runtime=tensorflow',
    '--rest_api_timeout_in_ms=5000',
  ]);
  assert.equal(container.resources.limits['nvidia.com/gpu'], '1');
  assert.deepEqual(isvc!['spec'].predictor.model, {
    modelFormat: { name: 'tensorflow', version: '2' },
    runtime: 'tfs-runtime',
    storageUri: 'pvc://model-storage/my_model',
    protocolVersion: 'v1',
    resources: container.resources,
  });
  assert.deepEqual([isvc!['spec'].predictor.minReplicas, isvc!['spec'].predictor.maxReplicas], [1, 3]);
  assert.ok(b.files.some((f) => f.path === 'Dockerfile' && f.content.includes('nvidia/cuda:12.')));
});

test('misuse is refused with the reason', () => {
  const refused = (flags: Partial<GenK8sFlags>, re: RegExp): void => assert.throws(() => gen(flags), (e: unknown) => e instanceof GenUsageError && re.test(e.message));
  refused({ autoscale: 'keda' }, /--autoscale keda needs --monitoring_config_file with prometheus_config enabled/);
  refused({ autoscale: 'keda', monitoring_config_file: 'monitoring.pbtxt', keda_metric: 'queue_depth' }, /queue_depth needs --batching_parameters_file/);
  refused({ autoscale: 'hpa' }, /--autoscale: 'hpa' is not one of cpu, keda/);
  refused({ keda_threshold: 3 }, /--keda_threshold needs --autoscale keda/);
  refused({ kserve: true }, /--kserve needs --storage_uri/);
  refused({ storage_uri: 's3://b/m' }, /--storage_uri needs --kserve/);
  refused({ kserve: true, storage_uri: 's3://b/m', batching_parameters_file: 'batching.pbtxt' }, /--kserve does not take --batching_parameters_file/);
});
