/**
 * `tfs gen k8s` as users run it (the compiled CLI in a child process): every golden case
 * written with --out matches fixtures/k8s/<case>/expected, the YAML stream on stdout, --json
 * against schemas/cli/gen-k8s.schema.json, and the exit codes and messages of misuse.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { runCliInProcess } from '../helpers/cli-inprocess.js';
import { repoRoot } from '../helpers/paths.js';
import { caseArgv, listCases, readExpected, VERSION_PLACEHOLDER, WARNINGS_FILE } from '../k8s/cases.js';
import { parseYamlStream } from '../../src/k8s/yaml.js';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'tfs-gen-k8s-'));
after(() => rmSync(work, { recursive: true, force: true }));

const cases = listCases();
const gpu = cases.find((c) => c.name === 'gpu')!;

/** oclif wraps warnings at the terminal width behind ` ›   `; join them back into lines. */
function warningsOf(stderr: string): string[] {
  return stderr
    .split(/\n(?= ›\s+Warning: )/)
    .map((w) => w.replace(/\n ›\s+/g, ' ').replace(/^ ›\s+Warning: /, '').replace(/\s+/g, ' ').trim())
    .filter((w) => w !== '');
}

for (const c of cases) {
  test(`tfs gen k8s --out: ${c.name} matches its golden files`, async () => {
    const out = join(work, c.name);
    const res = await runCliInProcess(['gen', 'k8s', ...caseArgv(c.flags), '--out', out], { cwd: c.dir });
    assert.equal(res.code, 0, res.stderr);
    const expected = readExpected(c);
    const written = readdirSync(out).sort();
    assert.deepEqual(written, [...expected.keys()].filter((k) => k !== WARNINGS_FILE).sort());
    for (const f of written) {
      let content = readFileSync(join(out, f), 'utf8');
      if (f === 'Dockerfile') content = content.replaceAll(`tfs-${version}.tgz`, `tfs-${VERSION_PLACEHOLDER}.tgz`).replaceAll(`tfs@${version}`, `tfs@${VERSION_PLACEHOLDER}`);
      assert.equal(content, expected.get(f), `${c.name}: ${f}`);
    }
    const expectedWarnings = expected.get(WARNINGS_FILE)!.split('\n').filter((l) => l !== '');
    assert.deepEqual(warningsOf(res.stderr), expectedWarnings.map((w) => w.replace(/\s+/g, ' ')));
    assert.match(res.stdout, new RegExp(`Wrote ${written.length} files to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(res.stdout, /kubectl apply -k /);
  });
}

test('tfs gen k8s without --out prints the tutorial deployment as one YAML stream (GPU, batching ConfigMap, probes, Service)', async () => {
  const res = await runCliInProcess(['gen', 'k8s', ...caseArgv(gpu.flags)], { cwd: gpu.dir });
  assert.equal(res.code, 0, res.stderr);
  const expected = readExpected(gpu);
  const kustomization = parseYamlStream(expected.get('kustomization.yaml')!)[0] as { resources: string[] };
  assert.equal(res.stdout, kustomization.resources.map((f) => `---\n${expected.get(f)!}`).join(''));
  const docs = parseYamlStream(res.stdout) as Record<string, any>[];
  assert.deepEqual(docs.map((d) => d['kind']), ['ConfigMap', 'Service', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']);
  const deployment = docs[2]!;
  const container = deployment['spec'].template.spec.containers[0];
  assert.equal(container.resources.limits['nvidia.com/gpu'], '1');
  assert.ok(container.args.includes('--batching_parameters_file=/config/batching.pbtxt'));
  assert.equal(docs[0]!['data']['batching.pbtxt'], readFileSync(join(gpu.dir, 'batching.pbtxt'), 'utf8'));
  assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  assert.equal(docs[1]!['spec'].type, 'ClusterIP');
});

test('tfs gen k8s --json matches schemas/cli/gen-k8s.schema.json', async () => {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'cli', 'gen-k8s.schema.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  const canary = cases.find((c) => c.name === 'canary')!;
  for (const [c, withOut] of [[canary, true], [gpu, false]] as const) {
    const out = join(work, `json-${c.name}`);
    const res = await runCliInProcess(['gen', 'k8s', ...caseArgv(c.flags), ...(withOut ? ['--out', out] : []), '--json'], { cwd: c.dir });
    assert.equal(res.code, 0, res.stderr);
    const json = JSON.parse(res.stdout) as { outDir: string | null; objects: { kind: string; manifest: unknown }[]; files: string[] };
    assert.ok(validate(json), JSON.stringify(validate.errors));
    assert.equal(json.outDir, withOut ? out : null);
    assert.deepEqual([...json.files].sort(), [...readExpected(c).keys()].filter((k) => k !== WARNINGS_FILE).sort());
    // The manifests are the objects of the golden files, in apply order.
    const expected = readExpected(c);
    const order = (parseYamlStream(expected.get('kustomization.yaml')!)[0] as { resources: string[] }).resources;
    assert.deepEqual(json.objects.map((o) => o.manifest), order.map((f) => parseYamlStream(expected.get(f)!)[0]));
  }
  // A bad schema check must be able to fail.
  assert.equal(validate({ outDir: null, objects: [], files: [], warnings: [], stale: [] }), false);
});

test('kebab-case flags work as the snake_case ones', async () => {
  const c = cases.find((x) => x.name === 'tutorial-model')!;
  const res = await runCliInProcess(['gen', 'k8s', '--model-config-file', 'model_config.pbtxt', '--image', 'registry.example.com/tfs:0.1.0'], { cwd: c.dir });
  assert.equal(res.code, 0, res.stderr);
  const expected = readExpected(c);
  assert.equal(res.stdout, ['configmap.yaml', 'service.yaml', 'deployment.yaml', 'hpa.yaml', 'pdb.yaml'].map((f) => `---\n${expected.get(f)!}`).join(''));
});

test('misuse: clear messages, exit 2 for flags, 1 for config files', async () => {
  const dir = join(work, 'misuse');
  const run = (args: string[]) => runCliInProcess(['gen', 'k8s', ...args], { cwd: cases.find((x) => x.name === 'two-models-batching')!.dir });
  // (Every usage error is checked in-process in test/k8s/options.test.ts; these check how the CLI reports them.)
  const checks: [string[], number, RegExp][] = [
    [['--model_config_file', 'model_config.pbtxt'], 2, /Missing required flag image/],
    [['--model_config_file', 'model_config.pbtxt', '--image', 'i:1', '--gpu', 'one'], 2, /Expected an integer but received: one/],
    [['--model_config_file', 'model_config.pbtxt', '--image', 'i:1', '--memory', '4096m'], 2, /--memory: '4096m' means millibytes[\s\S]*Write 4096Mi/],
    [['--model_config_file', 'model_config.pbtxt', '--image', 'i:1', '--canary', 'ranker=1:90,2:10'], 2, /--canary: no model named 'ranker' in the model config[\s\S]*classifier, regressor/],
    [['--model_config_file', 'model_config.pbtxt', '--image', 'i:1', '--model_volume', 'classifier=pvc:c'], 2, /model 'regressor' \(base_path \/models\/regressor\) is on no model volume/],
    [['--model_config_file', 'missing.config', '--image', 'i:1'], 1, /missing\.config: No such file or directory/],
    [['--model_config_file', 'batching_config.pbtxt', '--image', 'i:1'], 1, /batching_config\.pbtxt:2:16: Message type "tensorflow\.serving\.ModelServerConfig" has no field named "max_batch_size"/],
  ];
  // Independent runs: start them together (each is a separate node process).
  const results = await Promise.all(checks.map(([args]) => run(args)));
  for (const [i, [args, code, message]] of checks.entries()) {
    const res = results[i]!;
    assert.equal(res.code, code, `${args.join(' ')}\n${res.stderr}`);
    assert.match(res.stderr.replace(/\n ›\s+/g, ' ').replace(/\s+/g, ' '), message, args.join(' '));
    assert.equal(res.stdout, '', 'nothing on stdout when it fails');
  }
  // Files left from an earlier run are reported.
  const c = cases.find((x) => x.name === 'tutorial-model')!;
  const first = await runCliInProcess(['gen', 'k8s', ...caseArgv(c.flags), '--out', dir], { cwd: c.dir });
  assert.equal(first.code, 0, first.stderr);
  writeFileSync(join(dir, 'servicemonitor.yaml'), 'kind: ServiceMonitor\n');
  const again = await runCliInProcess(['gen', 'k8s', ...caseArgv(c.flags), '--out', dir], { cwd: c.dir });
  assert.equal(again.code, 0, again.stderr);
  assert.match(warningsOf(again.stderr).join('\n'), /servicemonitor\.yaml in .* is not part of this output/);
});

test('tfs gen k8s --help explains the flags and shows the tutorial example', async () => {
  const r = await runCliInProcess(['gen', 'k8s', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\$ tfs gen k8s --image <value>/);
  for (const flag of ['--model_config_file', '--batching_parameters_file', '--monitoring_config_file', '--gpu', '--replicas', '--namespace', '--model_volume', '--canary', '--out']) {
    assert.ok(r.stdout.includes(flag), flag);
  }
  assert.match(r.stdout, /tfs gen k8s --model_name my_model .*--gpu 1 --replicas 3 --namespace ml-serving/);
});
