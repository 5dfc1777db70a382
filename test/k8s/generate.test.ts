/**
 * generateK8s end to end on in-memory config files: base path → volume mapping, config
 * errors with positions, canary planning and routing, config hashes, args.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/validation.js';
import { generateK8s, bundleStream, type K8sBundle } from '../../src/k8s/generate.js';
import { GenUsageError, type GenK8sFlags } from '../../src/k8s/options.js';
import { pinnedPathRegex } from '../../src/k8s/canary.js';
import { commonDirectory } from '../../src/k8s/mounts.js';
import { parseYamlStream } from '../../src/k8s/yaml.js';
import { CONFIG_HASH_ANNOTATION } from '../../src/k8s/manifests.js';

type Obj = Record<string, any>;

const TWO_MODELS = `model_config_list {
  config { name: 'a' base_path: '/models/a' model_platform: 'tensorflow' }
  config { name: 'b' base_path: '/models/b/' model_platform: 'tensorflow'
           model_version_policy { specific { versions: 3 versions: 4 } }
           version_labels { key: 'old' value: 3 } version_labels { key: 'new' value: 4 } }
}
`;

function gen(files: Record<string, string>, flags: Partial<GenK8sFlags>): K8sBundle {
  return generateK8s(
    { model_config_file: 'models.config', image: 'reg/tfs:1.0.0', ...flags },
    {
      version: '9.9.9',
      read: (kind, file) => {
        const text = files[file];
        if (text === undefined) throw new ConfigError(kind, file, [{ severity: 'error', file, line: 0, column: 0, message: `${file}: No such file or directory`, path: '' }]);
        return text;
      },
    },
  );
}

function manifest(b: K8sBundle, kind: string, name?: string): Obj {
  const o = b.objects.find((x) => x.kind === kind && (name === undefined || x.name === name));
  assert.ok(o, `${kind} ${name ?? ''}`);
  return o.manifest as Obj;
}

function container(b: K8sBundle, name?: string): Obj {
  return manifest(b, 'Deployment', name)['spec'].template.spec.containers[0];
}

function refuses(fn: () => unknown, type: typeof GenUsageError | typeof ConfigError, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof type && message.test(e.message), String(message));
}

test('one volume without a target is mounted at the directory holding every base path', () => {
  assert.equal(commonDirectory(['/models/a', '/models/b']), '/models');
  assert.equal(commonDirectory(['/models/a']), '/models/a');
  assert.equal(commonDirectory(['/models/a/x', '/models/ab']), '/models');
  assert.equal(commonDirectory(['/a/x', '/b/y']), '/');
  const b = gen({ 'models.config': TWO_MODELS }, { model_volume: ['pvc:models'] });
  assert.deepEqual(container(b)['volumeMounts'][0], { name: 'models', mountPath: '/models', readOnly: true });
  assert.deepEqual(b.warnings, []);
});

test('volumes per model and per path; every base path must be covered', () => {
  const b = gen({ 'models.config': TWO_MODELS }, { model_volume: ['a=hostPath:/srv/a', '/models/b=pvc:bee'] });
  const mounts = container(b)['volumeMounts'] as Obj[];
  assert.deepEqual(mounts.slice(0, 2), [
    { name: 'models-1', mountPath: '/models/a', readOnly: true },
    { name: 'models-2', mountPath: '/models/b', readOnly: true },
  ]);
  refuses(() => gen({ 'models.config': TWO_MODELS }, { model_volume: ['a=pvc:x'] }), GenUsageError, /model 'b' \(base_path \/models\/b\) is on no model volume \(mounts: \/models\/a\)/);
  refuses(() => gen({ 'models.config': TWO_MODELS }, { model_volume: ['c=pvc:x'] }), GenUsageError, /no model named 'c' in the model config/);
  refuses(() => gen({ 'models.config': TWO_MODELS }, { model_volume: ['/models=pvc:x', 'a=pvc:y'] }), GenUsageError, /overlap \(mount paths \/models and \/models\/a\)/);
  const apart = `model_config_list { config { name: 'a' base_path: '/data/a' model_platform: 'tensorflow' } config { name: 'b' base_path: '/models/b' model_platform: 'tensorflow' } }`;
  refuses(() => gen({ 'models.config': apart }, {}), GenUsageError, /share no directory/);
  const unused = gen({ 'models.config': TWO_MODELS }, { model_volume: ['/models=pvc:x', '/extra=pvc:y'] });
  assert.match(unused.warnings.join('\n'), /--model_volume '\/extra=pvc:y': no model's base_path is under \/extra/);
});

test('model volumes may not cover or hide what the container needs', () => {
  const usr = `model_config_list { config { name: 'a' base_path: '/usr/share/models/a' model_platform: 'tensorflow' } }`;
  refuses(() => gen({ 'models.config': usr }, {}), GenUsageError, /mount path \/usr\/share\/models\/a would be inside \/usr/);
  const opt = `model_config_list { config { name: 'a' base_path: '/opt/a' model_platform: 'tensorflow' } config { name: 'b' base_path: '/opt/b' model_platform: 'tensorflow' } }`;
  refuses(() => gen({ 'models.config': opt }, {}), GenUsageError, /mount path \/opt would hide \/opt\/tfs/);
  const cfg = `model_config_list { config { name: 'a' base_path: '/config/a' model_platform: 'tensorflow' } }`;
  refuses(() => gen({ 'models.config': cfg }, {}), GenUsageError, /inside \/config/);
});

test('base paths must be container paths', () => {
  refuses(() => gen({ 'models.config': `model_config_list { config { name: 'a' base_path: 'models/a' model_platform: 'tensorflow' } }` }, {}), GenUsageError, /model 'a' has the relative base_path 'models\/a'; in a container it must be absolute/);
  refuses(() => gen({ 'models.config': `model_config_list { config { name: 'a' base_path: 'gs://bucket/a' model_platform: 'tensorflow' } }` }, {}), GenUsageError, /base_path 'gs:\/\/bucket\/a'; UNIMPLEMENTED: File system scheme 'gs' not implemented/);
  const b = gen({ 'models.config': `model_config_list { config { name: 'a' base_path: 'file:///models/a/' model_platform: 'tensorflow' } }` }, {});
  assert.equal(container(b)['volumeMounts'][0].mountPath, '/models/a');
  refuses(() => gen({ 'models.config': `model_config_list { }` }, {}), GenUsageError, /lists no models/);
});

test('s3:// base paths need no model volume; --s3_secret puts the store\'s credentials in the environment', () => {
  const mixed = `model_config_list { config { name: 'a' base_path: 's3://bucket/models/a' model_platform: 'tensorflow' } config { name: 'b' base_path: '/models/b' model_platform: 'tensorflow' } }`;
  const b = gen({ 'models.config': mixed }, { model_volume: ['pvc:claim-b'], s3_secret: 'store-creds' });
  const c = container(b);
  assert.deepEqual(c['envFrom'], [{ secretRef: { name: 'store-creds' } }]);
  assert.deepEqual(
    (c['volumeMounts'] as Obj[]).filter((m) => String(m['name']).startsWith('models')),
    [{ name: 'models', mountPath: '/models/b', readOnly: true }],
    'only the filesystem model gets a volume, mounted at its own base path',
  );
  assert.equal((parseYamlStream(b.files.find((f) => f.path === 'configmap.yaml')!.content)[0] as Obj)['data']['model_config.pbtxt'], mixed);
  assert.deepEqual(b.warnings, []);

  const remote = `model_config_list { config { name: 'a' base_path: 's3://bucket/models/a' model_platform: 'tensorflow' } }`;
  const r = gen({ 'models.config': remote }, {});
  const volumes = manifest(r, 'Deployment')['spec'].template.spec.volumes as Obj[];
  assert.ok(!volumes.some((v) => String(v['name']).startsWith('models')), 'no default model PVC when every model is in s3');
  assert.equal(container(r)['envFrom'], undefined);
  assert.match(r.warnings.join('\n'), /model 'a' \(s3:\/\/bucket\/models\/a\): no --s3_secret, so tfs reads S3 credentials/);
  const single = gen({}, { model_config_file: undefined, model_name: 'm', model_base_path: 's3://bucket/m', s3_secret: 'creds' });
  assert.ok(container(single)['args'].includes('--model_base_path=s3://bucket/m'), container(single)['args'].join(' '));

  refuses(() => gen({ 'models.config': remote }, { model_volume: ['pvc:x'] }), GenUsageError, /every model is read from object storage/);
  refuses(() => gen({ 'models.config': TWO_MODELS }, { model_volume: ['pvc:x'], s3_secret: 'creds' }), GenUsageError, /--s3_secret creds: no model's base_path is an s3:\/\/ path/);
  refuses(() => gen({ 'models.config': remote }, { s3_secret: 'Not_A_Name' }), GenUsageError, /--s3_secret: 'Not_A_Name' is not a valid Secret name/);
  refuses(() => gen({ 'models.config': `model_config_list { config { name: 'a' base_path: 's3:///a' model_platform: 'tensorflow' } }` }, {}), GenUsageError, /S3 path doesn't contain a bucket name/);
});

test('invalid config files are the loaders\' errors, with file:line:column', () => {
  refuses(() => gen({ 'models.config': `model_config_list { config { nme: 'a' } }` }, {}), ConfigError, /^models\.config:1:33: .*no field named "nme"/);
  refuses(() => gen({ 'models.config': TWO_MODELS, 'b.pbtxt': 'max_batch_size { value: -1 }' }, { batching_parameters_file: 'b.pbtxt' }), ConfigError, /^b\.pbtxt:1:25: input_batch_size_limit must be positive; was -1$/);
  refuses(() => gen({ 'models.config': TWO_MODELS, 'm.pbtxt': 'prometheus_config { enable: maybe }' }, { monitoring_config_file: 'm.pbtxt' }), ConfigError, /^m\.pbtxt:1:35: Invalid value for boolean field "enable"/);
  refuses(() => gen({}, {}), ConfigError, /models\.config: No such file or directory/);
});

test('the ConfigMap carries the files verbatim; the config hash rolls pods on the changes that need a restart', () => {
  const batching = 'max_batch_size { value: 8 }\nnum_batch_threads { value: 1 }\n\t# tab and trailing spaces   \n';
  const b = gen({ 'models.config': TWO_MODELS, 'b.pbtxt': batching }, { batching_parameters_file: 'b.pbtxt' });
  const cm = parseYamlStream(b.files.find((f) => f.path === 'configmap.yaml')!.content)[0] as Obj;
  assert.equal(cm['data']['model_config.pbtxt'], TWO_MODELS);
  assert.equal(cm['data']['batching.pbtxt'], batching);
  const hash = (x: K8sBundle) => manifest(x, 'Deployment')['spec'].template.metadata.annotations[CONFIG_HASH_ANNOTATION] as string;
  const changedModels = TWO_MODELS.replace("'a'", "'a2'");
  const b2 = gen({ 'models.config': changedModels, 'b.pbtxt': batching }, { batching_parameters_file: 'b.pbtxt' });
  assert.notEqual(hash(b), hash(b2), 'a model config change rolls the pods when it is not polled');
  const p1 = gen({ 'models.config': TWO_MODELS, 'b.pbtxt': batching }, { batching_parameters_file: 'b.pbtxt', model_config_file_poll_wait_seconds: 30 });
  const p2 = gen({ 'models.config': changedModels, 'b.pbtxt': batching }, { batching_parameters_file: 'b.pbtxt', model_config_file_poll_wait_seconds: 30 });
  assert.equal(hash(p1), hash(p2), 'a polled model config is re-read in place');
  assert.ok(container(p1)['args'].includes('--model_config_file_poll_wait_seconds=30'));
  // The batching file follows the model config's polling (as tfs serve does) unless told otherwise.
  assert.ok(container(p1)['args'].includes('--batching_parameters_file_poll_wait_seconds=30'));
  const p3 = gen({ 'models.config': TWO_MODELS, 'b.pbtxt': batching + '\n' }, { batching_parameters_file: 'b.pbtxt', model_config_file_poll_wait_seconds: 30 });
  assert.equal(hash(p1), hash(p3), 'a polled batching file is re-read in place: no rollout');
  const once = { batching_parameters_file: 'b.pbtxt', model_config_file_poll_wait_seconds: 30, batching_parameters_file_poll_wait_seconds: 0 };
  const r1 = gen({ 'models.config': TWO_MODELS, 'b.pbtxt': batching }, once);
  const r2 = gen({ 'models.config': TWO_MODELS, 'b.pbtxt': batching + '\n' }, once);
  assert.notEqual(hash(r1), hash(r2), 'batching read once: a change rolls the pods');
  assert.ok(!container(r1)['args'].some((a: string) => a.startsWith('--batching_parameters_file_poll_wait_seconds')));
  // Polled on its own, with a single model; the ConfigMap is a directory volume (subPath never updates).
  const single = gen({ 'b.pbtxt': batching }, { model_config_file: undefined, model_name: 'm', batching_parameters_file: 'b.pbtxt', batching_parameters_file_poll_wait_seconds: 15 });
  assert.ok(container(single)['args'].includes('--batching_parameters_file_poll_wait_seconds=15'));
  const mount = container(single)['volumeMounts'].find((m: Obj) => m['name'] === 'config');
  assert.equal(mount['mountPath'], '/config');
  assert.equal(mount['subPath'], undefined);
});

test('monitoring: ServiceMonitor and scrape annotations only when prometheus is enabled, at the configured path', () => {
  const on = gen({ 'models.config': TWO_MODELS, 'm': 'prometheus_config { enable: true path: "/metrics" }' }, { monitoring_config_file: 'm' });
  assert.equal(manifest(on, 'ServiceMonitor')['spec'].endpoints[0].path, '/metrics');
  assert.equal(manifest(on, 'Deployment')['spec'].template.metadata.annotations['prometheus.io/path'], '/metrics');
  const defaultPath = gen({ 'models.config': TWO_MODELS, 'm': 'prometheus_config { enable: true }' }, { monitoring_config_file: 'm' });
  assert.equal(manifest(defaultPath, 'ServiceMonitor')['spec'].endpoints[0].path, '/monitoring/prometheus/metrics');
  const off = gen({ 'models.config': TWO_MODELS, 'm': 'prometheus_config { enable: false }' }, { monitoring_config_file: 'm' });
  assert.equal(off.objects.find((o) => o.kind === 'ServiceMonitor'), undefined);
  assert.match(off.warnings.join('\n'), /prometheus_config is not enabled, so no ServiceMonitor/);
  assert.ok(container(off)['args'].includes('--monitoring_config_file=/config/monitoring.pbtxt'), 'tfs still reads the file');
});

test('batching sizing hints', () => {
  const unset = gen({ 'models.config': TWO_MODELS, 'b': 'max_batch_size { value: 8 }' }, { batching_parameters_file: 'b' });
  assert.match(unset.warnings.join('\n'), /num_batch_threads is not set, so tfs serve starts one batch thread per CPU of the node/);
  const many = gen({ 'models.config': TWO_MODELS, 'b': 'num_batch_threads { value: 8 }' }, { batching_parameters_file: 'b', cpu: '2' });
  assert.match(many.warnings.join('\n'), /num_batch_threads is 8 but each pod requests 2 CPU/);
  const fits = gen({ 'models.config': TWO_MODELS, 'b': 'num_batch_threads { value: 2 }' }, { batching_parameters_file: 'b', cpu: '2', model_volume: ['pvc:m'] });
  assert.deepEqual(fits.warnings, []);
});

test('args: GPU runtime unless given, $( escaped, extra serve flags last', () => {
  const gpu = gen({ 'models.config': TWO_MODELS }, { gpu: 2 });
  assert.ok(container(gpu)['args'].includes('--runtime=tensorflow'));
  assert.ok(!container(gpu)['args'].some((a: string) => a.startsWith('--backend')));
  assert.equal(container(gpu)['resources'].limits['nvidia.com/gpu'], '2');
  assert.deepEqual(manifest(gpu, 'Deployment')['spec'].template.spec.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  const dockerfile = gpu.files.find((f) => f.path === 'Dockerfile')!.content;
  assert.match(dockerfile, /pip3 install --no-cache-dir tensorflow==2\.21\.0/);
  assert.match(dockerfile, /RUN \/opt\/tfs\/node_modules\/\.bin\/tfs native install --python python3/);
  assert.match(dockerfile, /ENV NODE_ENV=production TFS_NATIVE_DIR=\/opt\/tfs\/native/);
  const wasm = gen({ 'models.config': TWO_MODELS }, { gpu: 1, serve_arg: ['--backend=wasm'] });
  assert.deepEqual(container(wasm)['args'].filter((a: string) => a.startsWith('--backend') || a.startsWith('--runtime')), ['--backend=wasm']);
  const embedded = gen({ 'models.config': TWO_MODELS }, { gpu: 1, serve_arg: ['--runtime=embedded'] });
  assert.deepEqual(container(embedded)['args'].filter((a: string) => a.startsWith('--backend') || a.startsWith('--runtime')), ['--runtime=embedded']);
  const single = generateK8s({ model_name: 'm', model_base_path: '/models/$(HOME)', image: 'i:1' }, { version: '1' });
  assert.ok(container(single)['args'].includes('--model_base_path=/models/$$(HOME)'));
  const ssl = gen({ 'models.config': TWO_MODELS }, { serve_arg: ['--ssl_config_file=/etc/tfs-tls/ssl.pbtxt'], model_volume: ['pvc:m'] });
  assert.deepEqual(ssl.warnings, ['--serve_arg --ssl_config_file=/etc/tfs-tls/ssl.pbtxt: /etc/tfs-tls/ssl.pbtxt must exist in the container; mount it (e.g. from a Secret) with a kustomize patch']);
  const cpu = gen({ 'models.config': TWO_MODELS }, {});
  assert.equal(container(cpu)['resources'].limits['nvidia.com/gpu'], undefined);
  assert.doesNotMatch(cpu.files.find((f) => f.path === 'Dockerfile')!.content, /tensorflow|native install/);
  assert.match(cpu.files.find((f) => f.path === 'Dockerfile')!.content, /COPY tfs-9\.9\.9\.tgz/);
});

test('shutdown timing follows --prestop_sleep_seconds and --drain_seconds', () => {
  const b = gen({ 'models.config': TWO_MODELS }, { prestop_sleep_seconds: 15, drain_seconds: 30 });
  const spec = manifest(b, 'Deployment')['spec'].template.spec;
  assert.equal(spec.terminationGracePeriodSeconds, 50);
  assert.deepEqual(spec.containers[0].lifecycle, { preStop: { exec: { command: ['sleep', '15'] } } });
  assert.ok(spec.containers[0].args.includes('--shutdown_grace_period_ms=30000'));
  const none = gen({ 'models.config': TWO_MODELS }, { prestop_sleep_seconds: 0 });
  assert.equal(container(none)['lifecycle'], undefined);
  const slow = gen({ 'models.config': TWO_MODELS }, { startup_timeout_seconds: 1200 });
  assert.equal(container(slow)['startupProbe'].failureThreshold, 120);
  assert.equal(manifest(slow, 'Deployment')['spec'].progressDeadlineSeconds, 1500);
});

test('canary: version checks, subsets, pinned routes', () => {
  refuses(() => gen({ 'models.config': TWO_MODELS }, { canary: 'z=1:50,2:50' }), GenUsageError, /--canary: no model named 'z'/);
  refuses(() => gen({ 'models.config': TWO_MODELS }, { canary: 'b=3:50,5:50' }), GenUsageError, /model 'b' does not serve version 5 \(its model_version_policy is specific \{ versions: 3, 4 \}\)/);
  const b = gen({ 'models.config': TWO_MODELS }, { canary: 'b=3:75,4:25', replicas: 4, max_replicas: 10 });
  assert.deepEqual(b.objects.map((o) => `${o.kind}/${o.name}`), [
    'ConfigMap/tfs-v3-config', 'ConfigMap/tfs-v4-config', 'Service/tfs', 'Deployment/tfs-v3', 'Deployment/tfs-v4',
    'HorizontalPodAutoscaler/tfs-v3', 'HorizontalPodAutoscaler/tfs-v4', 'PodDisruptionBudget/tfs-v3', 'PodDisruptionBudget/tfs-v4',
    'DestinationRule/tfs', 'VirtualService/tfs',
  ]);
  assert.deepEqual([manifest(b, 'HorizontalPodAutoscaler', 'tfs-v3')['spec'].minReplicas, manifest(b, 'HorizontalPodAutoscaler', 'tfs-v3')['spec'].maxReplicas], [3, 8]);
  assert.deepEqual([manifest(b, 'HorizontalPodAutoscaler', 'tfs-v4')['spec'].minReplicas, manifest(b, 'HorizontalPodAutoscaler', 'tfs-v4')['spec'].maxReplicas], [1, 3]);
  // Deployment selectors of the two subsets are disjoint.
  assert.notDeepEqual(manifest(b, 'Deployment', 'tfs-v3')['spec'].selector, manifest(b, 'Deployment', 'tfs-v4')['spec'].selector);
  const v3 = String(manifest(b, 'ConfigMap', 'tfs-v3-config')['data']['model_config.pbtxt']);
  assert.match(v3, /specific \{\n\s+versions: 3\n\s+\}/);
  assert.match(v3, /key: "old"/);
  assert.doesNotMatch(v3, /key: "new"/);
  const routes = manifest(b, 'VirtualService')['spec'].http as Obj[];
  assert.equal(routes[2]!['match'][0].uri.regex, '/v1/models/b/(versions/3|labels/old)([:/].*)?');
  // The single-model form works too: its derived config is a model config file.
  const single = generateK8s({ model_name: 'm', image: 'i:1', canary: 'm=1:90,2:10' }, { version: '1' });
  assert.ok(container(single, 'tfs-v1')['args'].includes('--model_config_file=/config/model_config.pbtxt'));
  assert.match(String(manifest(single, 'ConfigMap', 'tfs-v2-config')['data']['model_config.pbtxt']), /from --model_name m/);
  // Istio: the sidecar outlives the drain.
  assert.equal(
    manifest(b, 'Deployment', 'tfs-v3')['spec'].template.metadata.annotations['proxy.istio.io/config'],
    '{"holdApplicationUntilProxyStarts":true,"terminationDrainDuration":"20s"}',
  );
  refuses(() => gen({ 'models.config': TWO_MODELS }, { canary: 'b=3:75,4:25', name: 'x'.repeat(60) }), GenUsageError, /generated ConfigMap name 'x{60}-v3-config' is not a valid Kubernetes name/);
});

test('pinned path regexes match exactly the REST URLs of that version or label (Envoy full match)', () => {
  const re = new RegExp(`^(?:${pinnedPathRegex('my.model', 1, ['stable', 'a+b'])})$`);
  for (const ok of ['/v1/models/my.model/versions/1', '/v1/models/my.model/versions/1:predict', '/v1/models/my.model/versions/1/metadata', '/v1/models/my.model/labels/stable:classify', '/v1/models/my.model/labels/a+b:predict']) {
    assert.match(ok, re);
  }
  for (const no of ['/v1/models/my.model/versions/10:predict', '/v1/models/myXmodel/versions/1', '/v1/models/my.model:predict', '/v1/models/my.model/labels/stable2:predict', '/v1/models/my.model/labels/aab:predict']) {
    assert.doesNotMatch(no, re);
  }
});

test('the YAML stream holds every object once, in apply order', () => {
  const b = gen({ 'models.config': TWO_MODELS }, {});
  const docs = parseYamlStream(bundleStream(b)) as Obj[];
  assert.deepEqual(docs.map((d) => d['kind']), ['ConfigMap', 'Service', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']);
  assert.deepEqual(docs, b.objects.map((o) => o.manifest));
});
