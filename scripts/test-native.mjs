#!/usr/bin/env node
// npm run test:native: TensorFlow's own runtime (tfs serve --runtime tensorflow) against
// TensorFlow's recorded outputs. Builds the native addon from the TensorFlow wheel it finds
// (--python PY, $TFS_PYTHON, /work/venv-tf/bin/python, python3; or $LIBTENSORFLOW_DIR) into
// $TFS_NATIVE_DIR (default ~/.cache/tfs/native), then runs every signature of fixtures/zoo
// and of ../shared/fixtures through the native servable with test-zoo.mjs's comparison rules.
// With no TensorFlow on the machine it says so and exits 0 (CI has none).
//
//   npm run test:native                   (builds tfs first)
//   node scripts/test-native.mjs [--python PY] [--no-build] [--require] [name-substring ...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const take = (flag) => {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args.splice(i, 2)[1];
};
const python = take('--python');
const noBuild = args.includes('--no-build');
// --require (scripts/ci-native.sh, once it installed a wheel): no TensorFlow is a failure, not a skip.
const required = args.includes('--require');
const rest = args.filter((a) => a !== '--no-build' && a !== '--require');

const { nativeDir } = await import(join(root, 'dist/src/native/addon.js'));
const { buildAddon, findTensorflow } = await import(join(root, 'dist/src/native/install.js'));
const dir = nativeDir();
/** The Python whose TensorFlow the addon was built against (for re-checking misses against it). */
let usedPython = python ?? process.env.TFS_PYTHON;

if (!noBuild) {
  const candidates = python ? [python] : [process.env.TFS_PYTHON, '/work/venv-tf/bin/python', 'python3'].filter(Boolean);
  let tf;
  const why = [];
  for (const py of candidates) {
    try {
      tf = findTensorflow({ python: py });
      usedPython = py;
      break;
    } catch (e) {
      why.push(e.message);
    }
  }
  if (!tf && process.env.LIBTENSORFLOW_DIR) tf = findTensorflow({});
  if (!tf) {
    console.log(`test:native: ${required ? 'FAILED' : 'SKIPPED'}, no TensorFlow found to build the native addon against (${why.join('; ')})`);
    process.exit(required ? 1 : 0);
  }
  const t0 = performance.now();
  const info = buildAddon({ tf, outDir: dir });
  console.log(`test:native: addon built in ${((performance.now() - t0) / 1000).toFixed(1)} s: TensorFlow ${info.tensorflowVersion} from ${tf.source} -> ${info.addon}`);
} else if (!existsSync(join(dir, 'tfs_native.node'))) {
  console.log(`test:native: SKIPPED, --no-build and no addon in ${dir}`);
  process.exit(0);
}

const env = { ...process.env, TFS_NATIVE_DIR: dir, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' };
const jsonOut = join(mkdtempSync(join(tmpdir(), 'tfs-test-native-')), 'zoo.json');
const r = spawnSync(process.execPath, [join(root, 'scripts', 'test-zoo.mjs'), '--backend', 'native', '--json', jsonOut, ...rest], { stdio: 'inherit', env });
if (!existsSync(jsonOut)) process.exit(r.status ?? 1);
const verdicts = JSON.parse(readFileSync(jsonOut, 'utf8')).byBackend.native;
// Every signature must match: Keras 3 exports through tf.saved_model.save, which TensorFlow's
// graph loader leaves without their captured variables, are restored by the servable
// (src/native/captured-variables.ts) and are held to TensorFlow's outputs like the rest.
const bad = localRecheck(verdicts.filter((v) => v.kind !== 'match'));
console.log(
  `test:native: ${verdicts.length - bad.length} of ${verdicts.length} signatures match TensorFlow (the recorded oracle, or TensorFlow on this machine); ` +
    `${bad.length} failure(s)${bad.length ? `: ${bad.map((v) => `${v.model}:${v.signature}`).join(', ')}` : ''}`,
);
if (rest.length > 0) process.exit(bad.length > 0 ? 1 : 0);

// Tensors are released after each call: 10,000 calls of a model with string outputs (copied)
// and of an int64 identity (outputs handed over as TensorFlow's buffers, which the caller then
// overwrites: the next call must not see it) must not grow the process.
const leak = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', `
  const { loadNativeServable } = await import(${JSON.stringify(join(root, 'dist/src/servables/native-servable.js'))});
  const s = await loadNativeServable('m', 1, ${JSON.stringify(join(root, 'fixtures', 'zoo', 'models', 'dtype_string_bytes', '1'))});
  const n = await loadNativeServable('n', 1, ${JSON.stringify(join(root, 'fixtures', 'zoo', 'models', 'dtype_int64', '1'))});
  const x = { dtype: 'DT_STRING', shape: [64, 2], data: Array.from({ length: 128 }, (_, i) => new Uint8Array(200).fill(i)) };
  const y = { dtype: 'DT_INT64', shape: [64, 256], data: new BigInt64Array(64 * 256).fill(-3n) };
  const round = async (k) => {
    for (let i = 0; i < k; i++) {
      await s.run('concat', { x });
      // numeric outputs are TensorFlow's own buffers, freed when their ArrayBuffer is collected
      const o = await n.run('identity', { x: y });
      if (o.y.data[0] !== -3n) throw new Error('identity returned ' + o.y.data[0]);
      o.y.data.fill(5n);
    }
    global.gc();
    return process.memoryUsage().rss;
  };
  await round(2000);
  const before = await round(2000);
  const after = await round(10000);
  console.log(JSON.stringify({ before, after }));
  await s.dispose();
  await n.dispose();
`], { encoding: 'utf8', env });
const m = /\{"before".*\}/.exec(leak.stdout ?? '');
if (!m) {
  console.log(`test:native: leak check did not run: ${leak.stderr?.slice(-500)}`);
  process.exit(1);
}
const { before, after } = JSON.parse(m[0]);
const grewMb = (after - before) / 2 ** 20;
// 10,000 calls move ~0.8 GB of strings and ~2.6 GB of int64s through the addon; a per-call leak of them would show as hundreds of MiB.
console.log(`test:native: 10,000 more calls (concat, 64x2 strings of 200 bytes; int64 identity, 64x256) changed RSS by ${grewMb.toFixed(1)} MiB (${(before / 2 ** 20).toFixed(0)} -> ${(after / 2 ** 20).toFixed(0)} MiB)`);
process.exit(bad.length > 0 || grewMb > 64 ? 1 : 0);

/**
 * The zoo's oracle was written by TensorFlow on one CPU; TensorFlow's float16/bfloat16 kernels
 * take CPU-specific oneDNN paths (AVX512-FP16, AMX), so on another CPU TensorFlow itself can
 * answer otherwise. The native runtime is TensorFlow: a miss is re-checked against what this
 * machine's TensorFlow (the Python the addon was built from) answers for the same inputs, and
 * only a miss against that stays a failure. Returns the verdicts still failing.
 */
function localRecheck(misses) {
  const zooManifest = JSON.parse(readFileSync(join(root, 'fixtures', 'zoo', 'manifest.json'), 'utf8'));
  const models = [...new Set(misses.map((v) => v.model))].filter((m) => m in zooManifest.models);
  if (models.length === 0 || !usedPython) return misses;
  const out = mkdtempSync(join(tmpdir(), 'tfs-native-local-'));
  const py = spawnSync(usedPython, [join(root, 'scripts', 'tf-local-oracle.py'), join(root, 'fixtures', 'zoo'), out, ...models], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  if (py.status !== 0) {
    console.log('test:native: could not re-run the misses with this machine\'s TensorFlow; they stay failures');
    return misses;
  }
  const json = join(out, 'zoo.json');
  spawnSync(process.execPath, [join(root, 'scripts', 'test-zoo.mjs'), '--backend', 'native', '--zoo', out, '--json', json, ...models], { stdio: 'inherit', env });
  if (!existsSync(json)) return misses;
  const local = JSON.parse(readFileSync(json, 'utf8')).byBackend.native;
  const matchesHere = new Set(local.filter((v) => v.kind === 'match').map((v) => `${v.model}:${v.signature}`));
  const here = misses.filter((v) => matchesHere.has(`${v.model}:${v.signature}`));
  if (here.length > 0) {
    console.log(
      `test:native: ${here.length} signature(s) differ from the recorded oracle but equal TensorFlow on this machine ` +
        `(its float16/bfloat16 kernels are CPU-specific): ${here.map((v) => `${v.model}:${v.signature}`).join(', ')}`,
    );
  }
  return misses.filter((v) => !matchesHere.has(`${v.model}:${v.signature}`));
}
