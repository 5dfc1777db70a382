#!/usr/bin/env node
// npm run test:native: TensorFlow's own runtime (tfs serve --runtime tensorflow) against
// TensorFlow's recorded outputs. Builds the native addon from the TensorFlow wheel it finds
// (--python PY, $TFS_PYTHON, /work/venv-tf/bin/python, python3; or $LIBTENSORFLOW_DIR) into
// $TFS_NATIVE_DIR (default ~/.cache/tfs/native), then runs every signature of fixtures/zoo
// and of ../shared/fixtures through the native servable with test-zoo.mjs's comparison rules.
// With no TensorFlow on the machine it says so and exits 0 (CI has none).
//
//   npm run test:native                   (builds tfs first)
//   node scripts/test-native.mjs [--python PY] [--no-build] [name-substring ...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
const rest = args.filter((a) => a !== '--no-build');

const { nativeDir } = await import(join(root, 'dist/src/native/addon.js'));
const { buildAddon, findTensorflow } = await import(join(root, 'dist/src/native/install.js'));
const dir = nativeDir();

if (!noBuild) {
  const candidates = python ? [python] : [process.env.TFS_PYTHON, '/work/venv-tf/bin/python', 'python3'].filter(Boolean);
  let tf;
  const why = [];
  for (const py of candidates) {
    try {
      tf = findTensorflow({ python: py });
      break;
    } catch (e) {
      why.push(e.message);
    }
  }
  if (!tf && process.env.LIBTENSORFLOW_DIR) tf = findTensorflow({});
  if (!tf) {
    console.log(`test:native: SKIPPED, no TensorFlow found to build the native addon against (${why.join('; ')})`);
    process.exit(0);
  }
  const t0 = performance.now();
  const info = buildAddon({ tf, outDir: dir });
  console.log(`test:native: addon built in ${((performance.now() - t0) / 1000).toFixed(1)} s: TensorFlow ${info.tensorflowVersion} from ${tf.source} -> ${info.addon}`);
} else if (!existsSync(join(dir, 'tfs_native.node'))) {
  console.log(`test:native: SKIPPED, --no-build and no addon in ${dir}`);
  process.exit(0);
}

const r = spawnSync(process.execPath, [join(root, 'scripts', 'test-zoo.mjs'), '--backend', 'native', ...rest], {
  stdio: 'inherit',
  env: { ...process.env, TFS_NATIVE_DIR: dir, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
});
process.exit(r.status ?? 1);
