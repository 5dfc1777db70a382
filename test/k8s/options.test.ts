/** Flag validation of `tfs gen k8s`: every misuse is a GenUsageError that names the flag. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GenUsageError, parseCanary, parseModelVolume, parseQuantity, resolveOptions, type GenK8sFlags } from '../../src/k8s/options.js';

const base: GenK8sFlags = { model_config_file: 'models.config', image: 'registry.example.com/tfs:0.1.0' };

function refuses(flags: Partial<GenK8sFlags> & Record<string, unknown>, message: RegExp): void {
  assert.throws(
    () => resolveOptions({ ...base, ...flags } as GenK8sFlags),
    (e: unknown) => e instanceof GenUsageError && message.test(e.message),
    `expected ${String(message)} for ${JSON.stringify(flags)}`,
  );
}

test('defaults', () => {
  const o = resolveOptions(base);
  assert.equal(o.name, 'tfs');
  assert.equal(o.replicas, 2);
  assert.equal(o.maxReplicas, 4);
  assert.equal(o.gpu, 0);
  assert.equal(o.cpu.text, '1');
  assert.equal(o.memory.text, '2Gi');
  assert.equal(o.memoryLimit.text, '4Gi');
  assert.deepEqual(o.modelSource, { kind: 'configFile', file: 'models.config', pollSeconds: 0 });
  assert.deepEqual(o.modelVolumes, []);
  assert.deepEqual(o.serveArgs, []);
});

test('model source: a config file or one model, not both, not neither', () => {
  refuses({ model_config_file: undefined }, /no models: give --model_config_file/);
  refuses({ model_name: 'm' }, /cannot be combined with --model_name/);
  refuses({ model_config_file: undefined, model_base_path: '/models/m' }, /--model_base_path needs --model_name/);
  refuses({ model_config_file: undefined, model_name: 'm', model_config_file_poll_wait_seconds: 60 }, /needs --model_config_file/);
  refuses({ batching_parameters_file_poll_wait_seconds: 10 }, /--batching_parameters_file_poll_wait_seconds needs --batching_parameters_file/);
  const single = resolveOptions({ image: 'i:1', model_name: 'my_model' });
  assert.deepEqual(single.modelSource, { kind: 'single', name: 'my_model', basePath: '/models/my_model' });
});

test('names, namespace and image', () => {
  refuses({ name: 'TF_Serving' }, /--name: 'TF_Serving' is not a valid Kubernetes name/);
  refuses({ name: '1tfs' }, /not a valid Kubernetes name/);
  refuses({ name: 'a'.repeat(64) }, /not a valid Kubernetes name/);
  refuses({ namespace: 'ML' }, /--namespace: 'ML'/);
  refuses({ image: ' ' }, /--image/);
  refuses({ image: 'a b' }, /--image/);
});

test('replicas and autoscaling bounds', () => {
  refuses({ replicas: 0 }, /--replicas must be an integer >= 1/);
  refuses({ replicas: 4, max_replicas: 3 }, /--max_replicas \(3\) must be at least --replicas \(4\)/);
  refuses({ target_cpu_utilization: 101 }, /--target_cpu_utilization must be an integer between 1 and 100/);
  refuses({ gpu: -1 }, /--gpu/);
  refuses({ gpu: 1.5 }, /--gpu/);
  assert.equal(resolveOptions({ ...base, replicas: 3 }).maxReplicas, 6);
});

test('quantities', () => {
  assert.equal(parseQuantity('500m')?.value, 0.5);
  assert.equal(parseQuantity('4Gi')?.value, 4 * 2 ** 30);
  assert.equal(parseQuantity('1.5')?.value, 1.5);
  assert.equal(parseQuantity('8G')?.value, 8e9);
  assert.equal(parseQuantity('4 Gi'), undefined);
  assert.equal(parseQuantity('-1'), undefined);
  assert.equal(parseQuantity('lots'), undefined);
  refuses({ memory: 'lots' }, /--memory: 'lots' is not a Kubernetes quantity/);
  refuses({ memory: '4096m' }, /--memory: '4096m' means millibytes/);
  refuses({ cpu: '0' }, /--cpu must be greater than 0/);
  refuses({ memory: '8Gi', memory_limit: '4Gi' }, /--memory_limit \(4Gi\) is less than --memory \(8Gi\)/);
  refuses({ cpu: '2', cpu_limit: '1500m' }, /--cpu_limit \(1500m\) is less than --cpu \(2\)/);
});

test('--model_volume forms', () => {
  assert.deepEqual(parseModelVolume('pvc:model-storage'), { raw: 'pvc:model-storage', target: { kind: 'auto' }, source: { kind: 'pvc', claimName: 'model-storage' } });
  assert.deepEqual(parseModelVolume('/models/=hostPath:/mnt/models/'), {
    raw: '/models/=hostPath:/mnt/models/',
    target: { kind: 'path', path: '/models' },
    source: { kind: 'hostPath', path: '/mnt/models' },
  });
  assert.deepEqual(parseModelVolume('classifier=emptyDir+init:registry.example.com/models@sha256:abc'), {
    raw: 'classifier=emptyDir+init:registry.example.com/models@sha256:abc',
    target: { kind: 'model', model: 'classifier' },
    source: { kind: 'emptyDirInit', image: 'registry.example.com/models@sha256:abc' },
  });
  assert.equal(parseModelVolume('PVC:claim').source.kind, 'pvc');
  assert.throws(() => parseModelVolume('nfs:server:/export'), /unknown volume kind 'nfs'/);
  assert.throws(() => parseModelVolume('pvc:Bad_Claim'), /not a valid PersistentVolumeClaim name/);
  assert.throws(() => parseModelVolume('hostPath:models'), /hostPath needs an absolute directory/);
  assert.throws(() => parseModelVolume('emptyDir+init:'), /needs an image reference/);
  assert.throws(() => parseModelVolume('models'), /expected \[TARGET=\]KIND:VALUE/);
  refuses({ model_volume: ['pvc:a', '/models/b=pvc:b'] }, /each needs a mount path or model name/);
});

test('--canary forms', () => {
  assert.deepEqual(parseCanary('my_model=1:90,2:10'), { model: 'my_model', subsets: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }] });
  assert.deepEqual(parseCanary('m=7:0, 8:100').subsets, [{ version: 7, weight: 0 }, { version: 8, weight: 100 }]);
  assert.throws(() => parseCanary('my_model=1:90'), /expected MODEL=V1:W1,V2:W2/);
  assert.throws(() => parseCanary('my_model=1:50,1:50'), /the two versions must differ/);
  assert.throws(() => parseCanary('my_model=1:90,2:20'), /weights must add up to 100 \(got 90 \+ 20\)/);
  assert.throws(() => parseCanary('my_model=0:90,2:10'), /positive integers/);
});

test('--serve_arg: only real tfs serve flags, not ones gen k8s sets, not unsupported ones', () => {
  const o = resolveOptions({ ...base, serve_arg: ['--rest_api_timeout_in_ms=5000', '--enable_model_warmup=false', '--grpc_max_threads', '16'] });
  assert.deepEqual(o.serveArgs, ['--rest_api_timeout_in_ms=5000', '--enable_model_warmup=false', '--grpc_max_threads=16']);
  refuses({ serve_arg: ['--no_such_flag=1'] }, /unknown tfs serve flag '--no_such_flag=1'/);
  refuses({ serve_arg: ['--port=9000'] }, /--port is set by tfs gen k8s/);
  refuses({ serve_arg: ['--model_config_file=/x'] }, /--model_config_file is set by tfs gen k8s: use --model_config_file/);
  refuses({ serve_arg: ['--shutdown_grace_period_ms=1'] }, /use --drain_seconds/);
  refuses({ serve_arg: ['--rest_api_timeout_in_ms=soon'] }, /Illegal value 'soon' specified for int flag 'rest_api_timeout_in_ms'/);
  refuses({ serve_arg: ['--tensorflow_session_config_file=/x'] }, /--tensorflow_session_config_file=\/x: .*Remove the flag/);
});

test('lifecycle bounds', () => {
  refuses({ startup_timeout_seconds: 5 }, /--startup_timeout_seconds must be an integer between 10 and 86400/);
  refuses({ drain_seconds: 0 }, /--drain_seconds/);
  refuses({ prestop_sleep_seconds: -1 }, /--prestop_sleep_seconds/);
  assert.equal(resolveOptions({ ...base, prestop_sleep_seconds: 0 }).prestopSleepSeconds, 0);
});
