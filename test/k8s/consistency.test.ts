/**
 * The objects of every golden case agree with each other and with tfs serve: selectors
 * match pods, named ports exist, every config file the args name is in the ConfigMap
 * verbatim, every base_path is on a model volume, the container args are valid tfs serve
 * flags, the shutdown sequence fits the grace period, and canary routes reach real subsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseServeFlags } from '../../src/server/flags.js';
import { parseModelServerConfig } from '../../src/config/model-server-config.js';
import { isAtOrBelow } from '../../src/k8s/mounts.js';
import { generateCase, listCases } from './cases.js';

type Obj = Record<string, any>;

function byKind(objects: readonly { kind: string; manifest: Obj }[], kind: string): Obj[] {
  return objects.filter((o) => o.kind === kind).map((o) => o.manifest);
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

for (const c of listCases()) {
  test(`consistency: ${c.name}`, () => {
    const bundle = generateCase(c);
    const objs = bundle.objects;
    const deployments = byKind(objs, 'Deployment');
    const [service] = byKind(objs, 'Service');
    const configMaps = byKind(objs, 'ConfigMap');
    assert.ok(service && deployments.length > 0);

    // Recommended labels on every object.
    for (const o of objs) {
      const metadata = o.manifest['metadata'] as Obj;
      const labels = metadata['labels'] as Record<string, string>;
      for (const k of ['name', 'instance', 'component', 'managed-by']) assert.ok(labels[`app.kubernetes.io/${k}`], `${o.file}: app.kubernetes.io/${k}`);
      assert.equal(metadata['namespace'], c.flags.namespace, `${o.file}: namespace`);
    }

    for (const d of deployments) {
      const pod = d['spec'].template;
      const spec = pod.spec;
      const [container] = spec.containers as Obj[];
      assert.ok(container);
      // Selectors select the template's pods; the Service selects every Deployment's pods.
      assert.ok(matches(d['spec'].selector.matchLabels, pod.metadata.labels), `${d['metadata'].name}: selector`);
      assert.ok(matches(service['spec'].selector, pod.metadata.labels), `${d['metadata'].name}: Service selects its pods`);

      // Named ports used by Service and probes exist on the container.
      const ports = new Map((container['ports'] as Obj[]).map((p) => [p['name'], p['containerPort']]));
      assert.deepEqual([...ports], [['grpc', 8500], ['rest', 8501]]);
      for (const p of service['spec'].ports as Obj[]) assert.equal(ports.get(p['targetPort']), p['port']);
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) assert.ok(ports.has(container[probe].httpGet.port), probe);
      assert.equal(container['readinessProbe'].httpGet.path, '/readyz');
      assert.equal(container['livenessProbe'].httpGet.path, '/healthz');
      // The startup probe allows the configured load time.
      const startup = container['startupProbe'];
      assert.ok(startup.periodSeconds * startup.failureThreshold >= (c.flags.startup_timeout_seconds ?? 300));

      // The args are valid tfs serve flags (no unknown ones) that the real parser accepts.
      const parsed = parseServeFlags(container['args'] as string[], {});
      assert.deepEqual(parsed.unknown, [], 'unknown tfs serve flags');
      assert.equal(parsed.values['port'], 8500);
      assert.equal(parsed.values['rest_api_port'], 8501);
      assert.equal(parsed.values['enable_batching'], c.flags.batching_parameters_file !== undefined);

      // Shutdown: preStop sleep + drain fits in the grace period.
      const sleep = Number(container['lifecycle'].preStop.exec.command[1]);
      const drain = Number(parsed.values['shutdown_grace_period_ms']) / 1000;
      assert.ok(spec.terminationGracePeriodSeconds >= sleep + drain + 1, 'terminationGracePeriodSeconds covers preStop + drain');

      // Non-root, no service links (a Service named tfs would inject TFS_PORT).
      assert.equal(spec.securityContext.runAsNonRoot, true);
      assert.ok(spec.securityContext.runAsUser > 0);
      assert.equal(container['securityContext'].allowPrivilegeEscalation, false);
      assert.equal(spec.enableServiceLinks, false);

      // GPU limit when asked for.
      assert.equal(container['resources'].limits['nvidia.com/gpu'], c.flags.gpu ? String(c.flags.gpu) : undefined);

      // Every volume mount has a volume; the config files named by the args are in the ConfigMap.
      const volumes = new Map((spec.volumes as Obj[]).map((v) => [v['name'], v]));
      for (const m of container['volumeMounts'] as Obj[]) assert.ok(volumes.has(m['name']), `volume ${m['name']}`);
      const configVolume = volumes.get('config');
      const cm = configMaps.find((x) => x['metadata'].name === configVolume?.configMap.name);
      for (const flag of ['model_config_file', 'batching_parameters_file', 'monitoring_config_file']) {
        const path = parsed.values[flag];
        if (path === '') continue;
        assert.ok(cm, `${flag} needs the ConfigMap`);
        const key = String(path).replace(/^\/config\//, '');
        assert.ok(typeof cm['data'][key] === 'string', `${flag}: ${key} in the ConfigMap`);
        // Verbatim, except the canary's derived model config.
        const source = c.flags[flag as 'model_config_file'];
        if (source !== undefined && !(c.flags.canary && flag === 'model_config_file')) {
          assert.equal(cm['data'][key], readFileSync(join(c.dir, source), 'utf8'), `${flag} is carried verbatim`);
        }
      }

      // Every model base path is under a model volume mount.
      const modelText = cm?.['data']['model_config.pbtxt'] as string | undefined;
      const basePaths = modelText !== undefined ? parseModelServerConfig(modelText, 'model_config.pbtxt').models.map((m) => m.basePath) : [String(parsed.values['model_base_path'])];
      const modelMounts = (container['volumeMounts'] as Obj[]).filter((m) => String(m['name']).startsWith('models')).map((m) => String(m['mountPath']));
      for (const p of basePaths) assert.ok(modelMounts.some((m) => isAtOrBelow(p, m)), `${p} is on a model volume (${modelMounts.join(', ')})`);
    }

    // HPA and PDB target the Deployments.
    for (const hpa of byKind(objs, 'HorizontalPodAutoscaler')) {
      assert.ok(deployments.some((d) => d['metadata'].name === hpa['spec'].scaleTargetRef.name));
      assert.ok(hpa['spec'].minReplicas <= hpa['spec'].maxReplicas);
    }
    for (const pdb of byKind(objs, 'PodDisruptionBudget')) {
      assert.ok(deployments.some((d) => matches(pdb['spec'].selector.matchLabels, d['spec'].template.metadata.labels)));
    }

    // ServiceMonitor scrapes a Service port at the monitoring path.
    for (const sm of byKind(objs, 'ServiceMonitor')) {
      assert.ok(matches(sm['spec'].selector.matchLabels, service['metadata'].labels));
      const ep = sm['spec'].endpoints[0];
      assert.ok((service['spec'].ports as Obj[]).some((p) => p['name'] === ep.port));
      assert.equal(ep.path, '/monitoring/prometheus/metrics');
    }
    assert.equal(byKind(objs, 'ServiceMonitor').length, c.flags.monitoring_config_file ? 1 : 0);

    // Canary: routes go to subsets the DestinationRule defines, subsets select real pods,
    // weights add up to 100, and each subset's model config pins its version.
    const vs = byKind(objs, 'VirtualService');
    const dr = byKind(objs, 'DestinationRule');
    assert.equal(vs.length, c.flags.canary ? 1 : 0);
    assert.equal(dr.length, c.flags.canary ? 1 : 0);
    if (c.flags.canary) {
      const subsets = new Map((dr[0]!['spec'].subsets as Obj[]).map((s) => [s['name'], s['labels']]));
      for (const route of vs[0]!['spec'].http as Obj[]) {
        for (const r of route['route'] as Obj[]) {
          assert.equal(r['destination'].host, service['metadata'].name);
          assert.ok(subsets.has(r['destination'].subset));
        }
      }
      const weighted = (vs[0]!['spec'].http as Obj[]).at(-1)!;
      assert.equal((weighted['route'] as Obj[]).reduce((s, r) => s + r['weight'], 0), 100);
      for (const [name, labels] of subsets) {
        const d = deployments.find((x) => matches(labels, x['spec'].template.metadata.labels));
        assert.ok(d, `subset ${name} selects a Deployment's pods`);
        const cmName = String((d['spec'].template.spec.volumes as Obj[]).find((v) => v['name'] === 'config')?.['configMap'].name);
        const text = String(configMaps.find((x) => x['metadata'].name === cmName)?.['data']['model_config.pbtxt']);
        const model: string = c.flags.canary.split('=')[0]!;
        const pinned = parseModelServerConfig(text, 'derived').models.find((m) => m.name === model);
        assert.ok(pinned, `${model} in the derived config`);
        assert.deepEqual(pinned.versionPolicy, { kind: 'specific', versions: [Number(String(name).slice(1))] });
      }
    }
  });
}
