/**
 * Every generated object, read back from its YAML file, validates against its Kubernetes
 * (or CRD) schema, and the validation is live: a broken copy of each object is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { parseYamlStream } from '../../src/k8s/yaml.js';
import { generateCase, listCases } from './cases.js';

type Validatable = { validate(): void };
const MODELS: Record<string, new (data: any) => Validatable> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'networking.istio.io/v1beta1/VirtualService': VirtualService,
  'networking.istio.io/v1beta1/DestinationRule': DestinationRule,
};

/** A copy with a wrong type in a field the schema constrains. */
function broken(kind: string, obj: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(obj) as Record<string, any>;
  switch (kind) {
    case 'ConfigMap':
      copy['data'] = { 'model_config.pbtxt': 42 };
      break;
    case 'Service':
      copy['spec'].ports[0].port = 'grpc';
      break;
    case 'Deployment':
      copy['spec'].template.spec.containers[0].ports[0].containerPort = 'rest';
      break;
    case 'HorizontalPodAutoscaler':
      copy['spec'].maxReplicas = 'many';
      break;
    case 'PodDisruptionBudget':
      copy['spec'].selector = 'app=tfs';
      break;
    case 'ServiceMonitor':
      copy['spec'].endpoints[0].port = 8501;
      break;
    case 'VirtualService':
      copy['spec'].http[0].route[0].weight = 'ninety';
      break;
    case 'DestinationRule':
      copy['spec'].subsets = 'v1';
      break;
    default:
      throw new Error(`no broken variant for ${kind}`);
  }
  return copy;
}

for (const c of listCases()) {
  test(`schema: every object of ${c.name} validates after a YAML round trip`, () => {
    const bundle = generateCase(c);
    const kinds = new Set<string>();
    for (const file of bundle.files.filter((f) => f.path.endsWith('.yaml') && f.path !== 'kustomization.yaml')) {
      const docs = parseYamlStream(file.content) as Record<string, unknown>[];
      assert.equal(docs.length, 1, `${file.path}: one object per file`);
      const obj = docs[0]!;
      const key = `${String(obj['apiVersion'])}/${String(obj['kind'])}`;
      const Model = MODELS[key];
      assert.ok(Model, `${file.path}: unexpected ${key}`);
      assert.doesNotThrow(() => new Model(obj).validate(), `${file.path} must validate`);
      assert.throws(() => new Model(broken(String(obj['kind']), obj)).validate(), `${file.path}: a broken copy must not validate`);
      kinds.add(String(obj['kind']));
    }
    for (const k of ['ConfigMap', 'Service', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) assert.ok(kinds.has(k), `${c.name} has a ${k}`);
  });
}

test('schema: the kustomization lists exactly the object files', () => {
  for (const c of listCases()) {
    const bundle = generateCase(c);
    const k = parseYamlStream(bundle.files.find((f) => f.path === 'kustomization.yaml')!.content)[0] as Record<string, unknown>;
    assert.equal(k['apiVersion'], 'kustomize.config.k8s.io/v1beta1');
    assert.equal(k['kind'], 'Kustomization');
    assert.deepEqual(k['resources'], bundle.objects.map((o) => o.file));
    assert.equal(k['namespace'], c.flags.namespace);
  }
});
