import { Command, Flags } from '@oclif/core';
import { ConfigError } from '../../src/config/validation.js';
import { TfsError } from '../../src/errors.js';
import type { K8sBundle } from '../../src/k8s/generate.js';
import { GEN_K8S_DEFAULTS, GenUsageError, type GenK8sFlags } from '../../src/k8s/options.js';
import { packageRoot } from '../../src/util/paths.js';

/** `--json` output (schemas/cli/gen-k8s.json). */
export interface GenK8sResult {
  outDir: string | null;
  objects: { file: string; apiVersion: string; kind: string; name: string; namespace?: string; manifest: Record<string, unknown> }[];
  files: string[];
  warnings: string[];
  stale: string[];
}

const d = GEN_K8S_DEFAULTS;

/** Snake_case flag (as tfs serve's) with its kebab-case spelling as an alias. */
function kebab(name: string): { aliases?: string[] } {
  return name.includes('_') ? { aliases: [name.replace(/_/g, '-')] } : {};
}

export default class GenK8s extends Command {
  static override summary = 'Write Kubernetes manifests for tfs from the config files tfs serve reads.';

  static override description = [
    'Builds a Deployment (probes on /readyz and /healthz, graceful shutdown, non-root, GPU limits), a ClusterIP Service, a ConfigMap holding your config files verbatim, a HorizontalPodAutoscaler, a PodDisruptionBudget, a ServiceMonitor when monitoring is on, an Istio VirtualService and DestinationRule with --canary, a kustomization.yaml and a Dockerfile for --image. Every object is validated against its Kubernetes schema before it is written.',
    'Without --out the objects are printed as one YAML stream; with --out DIR each goes to its own file (apply with kubectl apply -k DIR).',
    'Models: every base_path in the model config must be on a model volume. --model_volume [TARGET=]KIND:VALUE mounts pvc:CLAIM, hostPath:/node/dir or emptyDir+init:IMAGE (an init container copies the models out of IMAGE, which holds them at the mount path). Without TARGET the volume is mounted at the directory holding every base_path (the base path itself for one model); TARGET is a mount path (/models=pvc:claim) or a model name (my_model=pvc:claim). Default: pvc:<name>-models.',
    'Scaling: --autoscale keda replaces the HorizontalPodAutoscaler with a KEDA ScaledObject that reads tfs\'s request rate (or, with --keda_metric queue_depth, its batching queue) from Prometheus; CPU pods keep a CPU trigger, GPU pods scale on the serving signal alone. --kserve instead writes a KServe ServingRuntime running tfs and an InferenceService for one model (--model_name, --storage_uri). KEDA and KServe objects are validated against the CRD schemas in schemas/k8s/.',
  ].join('\n\n');

  static override examples = [
    '<%= config.bin %> <%= command.id %> --model_config_file models.config --batching_parameters_file batching.pbtxt --image registry.example.com/tfs:0.1.0 --out k8s/',
    '<%= config.bin %> <%= command.id %> --model_name my_model --model_base_path /models/my_model --batching_parameters_file batching.pbtxt --gpu 1 --replicas 3 --namespace ml-serving --name tf-serving --image registry.example.com/tfs-gpu:0.1.0 --model_volume pvc:model-storage',
    '<%= config.bin %> <%= command.id %> --model_config_file models.config --canary classifier=1:90,2:10 --image registry.example.com/tfs:0.1.0 --out k8s/',
    '<%= config.bin %> <%= command.id %> --model_config_file models.config --monitoring_config_file monitoring.config --autoscale keda --image registry.example.com/tfs:0.1.0 --out k8s/',
    '<%= config.bin %> <%= command.id %> --model_name half_plus_two --kserve --storage_uri pvc://model-storage/half_plus_two --image registry.example.com/tfs:0.1.0 --out kserve/',
  ];

  static override enableJsonFlag = true;

  static override flags = {
    model_config_file: Flags.string({ summary: 'The ModelServerConfig file tfs serve reads (--model_config_file).', helpGroup: 'CONFIG', ...kebab('model_config_file') }),
    model_name: Flags.string({ summary: 'Single-model form, instead of --model_config_file (as tensorflow_model_server).', helpGroup: 'CONFIG', ...kebab('model_name') }),
    model_base_path: Flags.string({ summary: 'Base path of --model_name in the container. [default: /models/<model_name>]', helpGroup: 'CONFIG', ...kebab('model_base_path') }),
    batching_parameters_file: Flags.string({ summary: 'BatchingParameters file; turns batching on (--enable_batching=true).', helpGroup: 'CONFIG', ...kebab('batching_parameters_file') }),
    monitoring_config_file: Flags.string({ summary: 'MonitoringConfig file; with prometheus_config enabled a ServiceMonitor is generated.', helpGroup: 'CONFIG', ...kebab('monitoring_config_file') }),
    model_config_file_poll_wait_seconds: Flags.integer({
      summary: `Re-read the model config every N seconds in place (0: a config change rolls the pods instead). [default: ${d.modelConfigPollSeconds}]`,
      min: 0,
      helpGroup: 'CONFIG',
      ...kebab('model_config_file_poll_wait_seconds'),
    }),
    batching_parameters_file_poll_wait_seconds: Flags.integer({
      summary: 'tfs serve re-reads the batching file every N seconds in place (0: a change rolls the pods instead). [default: --model_config_file_poll_wait_seconds]',
      min: 0,
      helpGroup: 'CONFIG',
      ...kebab('batching_parameters_file_poll_wait_seconds'),
    }),
    image: Flags.string({ summary: 'Container image running tfs serve (build it with the generated Dockerfile).', required: true }),
    name: Flags.string({ summary: 'Name of the Deployment, Service and other objects.', default: d.name }),
    namespace: Flags.string({ summary: 'Namespace of every object (also set in kustomization.yaml).' }),
    replicas: Flags.integer({ summary: 'Minimum replicas (the HorizontalPodAutoscaler keeps at least this many).', default: d.replicas, min: 1, helpGroup: 'SCALING' }),
    max_replicas: Flags.integer({ summary: 'Maximum replicas for the autoscaler. [default: 2 x --replicas]', min: 1, helpGroup: 'SCALING', ...kebab('max_replicas') }),
    autoscale: Flags.option({ options: ['cpu', 'keda'] as const, summary: 'What scales the pods: the CPU HorizontalPodAutoscaler, or a KEDA ScaledObject on tfs\'s request rate or queue depth in Prometheus (needs --monitoring_config_file; CPU pods keep a CPU trigger).', default: 'cpu', helpGroup: 'SCALING' })(),
    keda_metric: Flags.option({ options: ['request_rate', 'queue_depth'] as const, summary: 'With --autoscale keda: requests/s per pod, or requests waiting in batching queues per pod (needs batching). [default: request_rate]', helpGroup: 'SCALING', ...kebab('keda_metric') })(),
    keda_threshold: Flags.integer({ summary: 'With --autoscale keda: the per-pod target of --keda_metric. [default: 50 requests/s, or 8 queued]', min: 1, helpGroup: 'SCALING', ...kebab('keda_threshold') }),
    prometheus_url: Flags.string({ summary: 'With --autoscale keda: the Prometheus KEDA queries. [default: http://prometheus-operated.monitoring.svc:9090]', helpGroup: 'SCALING', ...kebab('prometheus_url') }),
    kserve: Flags.boolean({ summary: 'Emit a KServe ServingRuntime running tfs and an InferenceService using it (single model, --storage_uri), instead of the Deployment and its objects.', helpGroup: 'KSERVE' }),
    storage_uri: Flags.string({ summary: 'With --kserve: where KServe fetches the model base path (pvc://claim/path, s3://bucket/path, gs://...).', helpGroup: 'KSERVE', ...kebab('storage_uri') }),
    target_cpu_utilization: Flags.integer({ summary: 'Average CPU utilisation (% of --cpu) the autoscaler aims for.', default: d.targetCpuUtilization, min: 1, max: 100, helpGroup: 'SCALING', ...kebab('target_cpu_utilization') }),
    gpu: Flags.integer({ summary: "nvidia.com/gpu limit per pod; tfs runs with --runtime=tensorflow (the generated Dockerfile installs TensorFlow and builds tfs's native addon).", default: d.gpu, min: 0, helpGroup: 'RESOURCES' }),
    cpu: Flags.string({ summary: 'CPU request per pod.', default: d.cpu, helpGroup: 'RESOURCES' }),
    memory: Flags.string({ summary: 'Memory request per pod.', default: d.memory, helpGroup: 'RESOURCES' }),
    cpu_limit: Flags.string({ summary: 'CPU limit per pod (none by default: throttling hurts latency).', helpGroup: 'RESOURCES', ...kebab('cpu_limit') }),
    memory_limit: Flags.string({ summary: 'Memory limit per pod.', default: d.memoryLimit, helpGroup: 'RESOURCES', ...kebab('memory_limit') }),
    model_volume: Flags.string({
      summary: 'Where models come from: [TARGET=]pvc:CLAIM | hostPath:/dir | emptyDir+init:IMAGE (repeatable).',
      multiple: true,
      helpGroup: 'MODELS',
      ...kebab('model_volume'),
    }),
    s3_secret: Flags.string({
      summary: 'For s3:// base paths: a Secret whose keys become the environment of tfs (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, S3_ENDPOINT, …). Without it, tfs uses the pod\'s own AWS identity (e.g. IRSA).',
      helpGroup: 'MODELS',
      ...kebab('s3_secret'),
    }),
    canary: Flags.string({ summary: 'Split MODEL between two versions by weight with Istio: MODEL=V1:W1,V2:W2 (e.g. my_model=1:90,2:10).', helpGroup: 'MODELS' }),
    startup_timeout_seconds: Flags.integer({ summary: 'How long models may take to load before the container is restarted.', default: d.startupTimeoutSeconds, min: 10, helpGroup: 'LIFECYCLE', ...kebab('startup_timeout_seconds') }),
    prestop_sleep_seconds: Flags.integer({ summary: 'preStop sleep while the pod is removed from load balancers.', default: d.prestopSleepSeconds, min: 0, helpGroup: 'LIFECYCLE', ...kebab('prestop_sleep_seconds') }),
    drain_seconds: Flags.integer({ summary: 'Time in-flight requests get after SIGTERM (tfs serve --shutdown_grace_period_ms).', default: d.drainSeconds, min: 1, helpGroup: 'LIFECYCLE', ...kebab('drain_seconds') }),
    serve_arg: Flags.string({ summary: 'Extra tfs serve flag, e.g. --serve_arg=--rest_api_timeout_in_ms=5000 (repeatable).', multiple: true, ...kebab('serve_arg') }),
    out: Flags.string({ summary: 'Write one file per object, kustomization.yaml and Dockerfile into this directory (default: YAML stream on stdout).', char: 'o' }),
  };

  async run(): Promise<GenK8sResult> {
    const { flags } = await this.parse(GenK8s);
    const input: GenK8sFlags = {
      model_config_file: flags.model_config_file,
      model_name: flags.model_name,
      model_base_path: flags.model_base_path,
      batching_parameters_file: flags.batching_parameters_file,
      monitoring_config_file: flags.monitoring_config_file,
      image: flags.image,
      name: flags.name,
      namespace: flags.namespace,
      replicas: flags.replicas,
      max_replicas: flags.max_replicas,
      target_cpu_utilization: flags.target_cpu_utilization,
      gpu: flags.gpu,
      cpu: flags.cpu,
      memory: flags.memory,
      cpu_limit: flags.cpu_limit,
      memory_limit: flags.memory_limit,
      model_volume: flags.model_volume,
      canary: flags.canary,
      model_config_file_poll_wait_seconds: flags.model_config_file_poll_wait_seconds,
      batching_parameters_file_poll_wait_seconds: flags.batching_parameters_file_poll_wait_seconds,
      startup_timeout_seconds: flags.startup_timeout_seconds,
      prestop_sleep_seconds: flags.prestop_sleep_seconds,
      drain_seconds: flags.drain_seconds,
      serve_arg: flags.serve_arg,
      autoscale: flags.autoscale,
      keda_metric: flags.keda_metric,
      keda_threshold: flags.keda_threshold,
      prometheus_url: flags.prometheus_url,
      kserve: flags.kserve,
      storage_uri: flags.storage_uri,
      s3_secret: flags.s3_secret,
    };

    // Imported here, not at the top: oclif imports every command module when it starts (also
    // for `tfs serve`), and the generator pulls in kubernetes-models and yaml (issue 20).
    const { bundleStream, generateK8s, writeBundle } = await import('../../src/k8s/generate.js');
    const { tarballName } = await import('../../src/k8s/dockerfile.js');
    let bundle: K8sBundle;
    try {
      bundle = generateK8s(input);
    } catch (e) {
      if (e instanceof GenUsageError) this.error(e.message, { exit: 2, ...(e.hint ? { suggestions: [e.hint] } : {}) });
      if (e instanceof ConfigError) {
        const details = e.details;
        // details: every error as file:line:column with its fix.
        this.error(details && !details.startsWith(e.message) ? `${e.message}\n${details}` : details || e.message, { exit: 1 });
      }
      if (e instanceof TfsError) this.error(e.message, { exit: 1, ...(e.hint ? { suggestions: [e.hint] } : {}) });
      throw e;
    }
    for (const w of bundle.warnings) this.warn(w);

    let stale: string[] = [];
    if (flags.out !== undefined) {
      const res = writeBundle(bundle, flags.out);
      stale = res.stale;
      for (const f of stale) this.warn(`${f} in ${flags.out} is not part of this output (left from an earlier run?); kubectl apply -k ignores it`);
      const tgz = tarballName(this.config.version);
      this.log(`Wrote ${bundle.files.length} files to ${flags.out}:`);
      for (const f of bundle.files) this.log(`  ${f.path}`);
      this.log('Next:');
      this.log(`  npm pack ${packageRoot} --pack-destination ${flags.out}   # ${tgz}, for the Dockerfile (run npm run build first in a checkout)`);
      this.log(`  docker build -t ${flags.image} ${flags.out} && docker push ${flags.image}`);
      this.log(`  kubectl apply -k ${flags.out}`);
    } else {
      this.log(bundleStream(bundle).replace(/\n$/, ''));
    }
    return {
      outDir: flags.out ?? null,
      objects: bundle.objects.map((o) => ({ ...o })),
      files: bundle.files.map((f) => f.path),
      warnings: [...bundle.warnings],
      stale,
    };
  }
}
