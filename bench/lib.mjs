// Helpers shared by the transport benchmarks (bench/rest.mjs, bench/grpc.mjs): the build to
// import from, flag parsing, the fixture config, the model loaders, the closed-loop driver and
// the best-of-rounds summary. TFS_DIST selects the build directory (default dist).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root. */
export const root = fileURLToPath(new URL('..', import.meta.url));
/** The build directory benchmarks import the engine from. */
export const dist = join(root, process.env.TFS_DIST ?? 'dist');
/** Imports `p` (e.g. 'src/server/server-core.js') from the build directory. */
export const imp = (p) => import(pathToFileURL(join(dist, p)).href);

/** `--name value` from `args`, or `def` when the flag is absent. */
export function option(args, name, def) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
}

/** The flags every transport benchmark takes, with their caps (runs stay bounded in time). */
export function commonOptions(args) {
  return {
    seconds: Math.min(30, Number(option(args, 'seconds', '3'))),
    concurrency: Math.min(256, Number(option(args, 'concurrency', '16'))),
    rounds: Math.min(5, Number(option(args, 'rounds', '2'))),
    fake: args.includes('--fake'),
    json: args.includes('--json'),
  };
}

/** A ModelServerConfig serving the named fixtures/models, latest version of each. */
export function fixtureConfig(modelList) {
  const models = join(root, 'fixtures', 'models');
  return {
    models: modelList.map((name) => ({
      name,
      basePath: join(models, name),
      modelPlatform: 'tensorflow',
      versionPolicy: { kind: 'latest', numVersions: 1 },
      versionLabels: {},
    })),
  };
}

/** The SavedModel loader from the build, or exit with a hint when the runtime is missing. */
export async function realLoader(bench, layer) {
  try {
    const mod = await imp('src/servables/saved-model-servable.js');
    return mod.loadSavedModelServable;
  } catch (e) {
    console.error(`${bench} needs the SavedModel runtime (src/servables/saved-model-servable.ts): ${e.message}`);
    console.error(`Run with --fake to measure the ${layer} layer over a JS model.`);
    process.exit(1);
  }
}

/**
 * A loader of a JS half_plus_two (y = 0.5x + 2) with upstream's serving_default signature,
 * x and y of the given shape: the transport layer alone.
 */
export function fakeLoader(shape) {
  return async (name, version) => {
    const spec = (n) => ({ name: n, dtype: 'DT_FLOAT', shape });
    const sig = { key: 'serving_default', methodName: 'tensorflow/serving/predict', inputs: { x: spec('x:0') }, outputs: { y: spec('y:0') }, defaults: {} };
    return {
      name,
      version,
      signatures: new Map([['serving_default', sig]]),
      signatureDefMap: {},
      async run(_key, inputs) {
        const x = inputs.x;
        const y = new Float32Array(x.data.length);
        for (let i = 0; i < y.length; i++) y[i] = 0.5 * x.data[i] + 2;
        return { y: { dtype: 'DT_FLOAT', shape: [...x.shape], data: y } };
      },
      async dispose() {},
    };
  };
}

/**
 * Runs `concurrency` closed loops of `once()` (resolves to an error or null) for `ms`;
 * latencies (ms) of successful calls are kept when `record` is set.
 */
export async function closedLoop(once, ms, concurrency, record) {
  const end = performance.now() + ms;
  const lat = [];
  let errors = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const err = await once();
      if (err) errors++;
      else if (record) lat.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { lat, errors };
}

/**
 * One benchmark step: a warm-up, then `beforeMeasure()` (awaited), then a measured closed loop.
 * Returns { calls, errors, rps, p50, p99 } (latencies in ms).
 */
export async function measureStep(once, { seconds, concurrency, warmupSeconds, beforeMeasure }) {
  await closedLoop(once, warmupSeconds * 1000, concurrency, false);
  if (beforeMeasure) await beforeMeasure();
  const t0 = performance.now();
  const { lat, errors } = await closedLoop(once, seconds * 1000, concurrency, true);
  const elapsed = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN);
  return { calls: lat.length, errors, rps: lat.length / elapsed, p50: q(0.5), p99: q(0.99) };
}

/** The run with the highest rps for `model` and `target` among `results` (undefined when none). */
export function bestRun(results, model, target) {
  return results.filter((r) => r.model === model && r.target === target).sort((a, b) => b.rps - a.rps)[0];
}

/** A free TCP port on 127.0.0.1 (for a child server that takes a port flag). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system, all threads) of process `pid` so far: /proc/<pid>/stat fields 14-15, in USER_HZ (100) ticks. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
