#!/usr/bin/env node
// Fidelity suite: runs every signature of fixtures/zoo (SavedModels written by TensorFlow
// 2.21, see fixtures/zoo/README.md), plus the Keras 2 exports of ../shared/fixtures when it is
// there, through the production loader on the wasm and cpu backends and compares with
// TensorFlow's recorded outputs:
//   float32 within 1e-5 relative (+1e-6 absolute near 0), float64 within 1e-12 relative
//   (+1e-15 absolute), half/bfloat16 within 1 unit in the last place, ints, bools and
//   strings exactly (JPEG pixels too: tfs's decoder reproduces libjpeg-turbo's).
// A signature matches when all of its oracle calls (batch 1, 4, 7) match. Every other
// signature gets one category, worst first: WRONG ANSWER, error at run, refused at load.
//
//   npm run test:zoo                       (builds first)
//   node scripts/test-zoo.mjs [--backend wasm|cpu|native] [--json out.json] [--zoo DIR] [name-substring ...]
//
// --zoo DIR runs another zoo laid out as this one (DIR/manifest.json, DIR/oracle.jsonl,
// DIR/models/<model>/1), e.g. probe models written with generate.py's conventions.
//
// --backend native runs TensorFlow's own runtime (the native addon, src/servables/native-servable.ts)
// and takes every model of ../shared/fixtures with a TF oracle (not only the Keras 2 exports)
// and the shared zoo (../shared/fixtures/zoo); npm run test:native builds the addon first.
//
// Each backend runs in a child process, one model at a time; a child that dies, hangs
// (TIMEOUT_MS per model) or reports a wasm abort is replaced, so one bad model cannot
// poison the next. Exit status 1 when any signature returns a wrong answer or fails at
// run time (the issue's bar: a signature either matches or is refused at load).
//
// --expect FILE compares with recorded known failures instead (CI's guard, .ci/run): exit
// status 1 on any WRONG ANSWER and on any signature doing worse than FILE records;
// --write-expect FILE records this run's failures.
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// --zoo DIR (the children inherit it through TFS_ZOO_DIR).
// --tier-identity: every call of a signature on the plain-JS tier (src/runtime/plain-js.ts) runs
// again with the tier off, and the two answers must be equal bit for bit (else WRONG ANSWER).
if (process.argv.includes('--tier-identity')) process.env.TFS_ZOO_TIER_IDENTITY = '1';
const TIER_IDENTITY = process.env.TFS_ZOO_TIER_IDENTITY === '1';
if (process.argv.includes('--zoo')) process.env.TFS_ZOO_DIR = resolve(process.argv[process.argv.indexOf('--zoo') + 1]);
const zoo = process.env.TFS_ZOO_DIR ?? join(root, 'fixtures', 'zoo');
const TIMEOUT_MS = 120_000;

const sharedFixtures = join(process.env.TFS_SHARED_DIR ?? join(root, '..', 'shared'), 'fixtures');
// Keras 2 (tf-keras model.save()) exports: tf-keras is not on the pip mirror the zoo was made
// with, so these come from the shared fixtures and their TF oracle (one call per signature).
const KERAS2_SHARED = ['keras_drybean/3', 'keras_drybean/4', 'keras_drybean/5', 'keras_traffic_sign_cnn/1', 'rust_keras_single_input/1', 'tfx_penguin_keras/1'];

/** Every model (name -> family, dir) and every oracle call, zoo first. */
function loadZoo(allShared = false) {
  const manifest = JSON.parse(readFileSync(join(zoo, 'manifest.json'), 'utf8'));
  const models = {};
  for (const [name, m] of Object.entries(manifest.models)) models[name] = { family: m.family, dir: join(zoo, 'models', name, '1') };
  const lines = readFileSync(join(zoo, 'oracle.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const sharedOracle = join(sharedFixtures, 'expected', 'tf_oracle_outputs.jsonl');
  if (existsSync(sharedOracle) && process.env.TFS_ZOO_DIR === undefined) {
    for (const line of readFileSync(sharedOracle, 'utf8').trim().split('\n')) {
      const o = JSON.parse(line);
      const keras2 = KERAS2_SHARED.includes(o.model);
      if (!keras2 && !allShared) continue;
      const name = `shared:${o.model}`;
      models[name] = { family: keras2 ? 'keras2 (shared fixtures)' : 'shared fixtures', dir: join(sharedFixtures, 'savedmodels', o.model) };
      const first = Object.values(o.inputs)[0];
      lines.push({ ...o, model: name, batch: first?.shape?.[0] ?? first?.serialized_tf_examples?.length ?? 1 });
    }
  }
  // The shared zoo (../shared/fixtures/zoo: TF 2.21 exports with their own oracle), on the native runtime.
  const sharedZoo = join(sharedFixtures, 'zoo');
  if (allShared && existsSync(join(sharedZoo, 'oracle.jsonl'))) {
    for (const line of readFileSync(join(sharedZoo, 'oracle.jsonl'), 'utf8').trim().split('\n')) {
      const o = JSON.parse(line);
      const name = `shared-zoo:${o.model}/${o.version}`;
      models[name] = { family: 'shared zoo', dir: join(sharedZoo, o.model, String(o.version)) };
      lines.push({ ...o, model: name, batch: Object.values(o.inputs)[0]?.shape?.[0] ?? 1 });
    }
  }
  return { models, lines };
}

// ---------------------------------------------------------------------------------------
// Child: loads models and runs their oracle calls

const TYPED = {
  DT_FLOAT: Float32Array, DT_DOUBLE: Float64Array, DT_INT32: Int32Array, DT_INT16: Int16Array, DT_INT8: Int8Array,
  DT_UINT8: Uint8Array, DT_UINT16: Uint16Array, DT_UINT32: Uint32Array,
};
const num = (v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);

let encodeExample;

function tensorOf(raw) {
  const { dtype } = raw;
  if (raw.serialized_tf_examples) {
    const data = raw.serialized_tf_examples.map((f) => encodeExample(f));
    return { dtype, shape: [data.length], data };
  }
  const shape = raw.shape ?? [];
  const values = Array.isArray(raw.values) ? raw.values.flat(Infinity) : [raw.values];
  let data;
  if (TYPED[dtype]) data = TYPED[dtype].from(values.map(num));
  else if (dtype === 'DT_INT64') data = BigInt64Array.from(values.map((v) => BigInt(v)));
  else if (dtype === 'DT_UINT64') data = BigUint64Array.from(values.map((v) => BigInt(v)));
  else if (dtype === 'DT_HALF' || dtype === 'DT_BFLOAT16') data = Uint16Array.from(raw.bits);
  else if (dtype === 'DT_BOOL') data = Uint8Array.from(values.map((v) => (v ? 1 : 0)));
  else if (dtype === 'DT_STRING') data = values.map((s) => new Uint8Array(Buffer.from(s, 'base64')));
  else throw new Error(`zoo dtype ${dtype} not handled by the runner`);
  return { dtype, shape, data };
}

const half = (h) => {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
};
const bf16 = (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0];
const show = (v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? JSON.stringify(Buffer.from(v).toString('latin1')) : String(v));

function closeFloat(x, w, rtol, atol) {
  if (Number.isNaN(w)) return Number.isNaN(x);
  if (!Number.isFinite(w)) return x === w;
  return Math.abs(x - w) <= rtol * Math.abs(w) + atol;
}

/** Compares one output with TF's; returns a description of the first difference or undefined. */
function mismatch(got, want) {
  if (!got) return 'output missing';
  if (got.dtype !== want.dtype) return `dtype ${got.dtype}, TF gives ${want.dtype}`;
  if (got.shape.join(',') !== want.shape.join(',')) return `shape [${got.shape}], TF gives [${want.shape}]`;
  const w = tensorOf(want).data;
  const g = got.data;
  if (g.length !== w.length) return `${g.length} values, TF gives ${w.length}`;
  for (let i = 0; i < w.length; i++) {
    let ok;
    if (want.dtype === 'DT_FLOAT') ok = closeFloat(g[i], w[i], 1e-5, 1e-6);
    else if (want.dtype === 'DT_DOUBLE') ok = closeFloat(g[i], w[i], 1e-12, 1e-15);
    else if (want.dtype === 'DT_HALF' || want.dtype === 'DT_BFLOAT16') {
      const dec = want.dtype === 'DT_HALF' ? half : bf16;
      ok = g[i] === w[i] || ((g[i] & 0x8000) === (w[i] & 0x8000) && Math.abs(g[i] - w[i]) <= 1) || (Number.isNaN(dec(g[i])) && Number.isNaN(dec(w[i])));
      if (!ok) return `value[${i}] = ${dec(g[i])}, TF gives ${dec(w[i])}`;
    } else if (want.dtype === 'DT_STRING') ok = Buffer.from(g[i]).equals(Buffer.from(w[i]));
    else ok = g[i] === w[i];
    if (!ok) return `value[${i}] = ${show(g[i])}, TF gives ${show(w[i])}`;
  }
  return undefined;
}

/** The first output whose bytes differ between two answers of one call, or undefined. */
function tierDiff(a, b) {
  for (const [alias, t] of Object.entries(a)) {
    const u = b[alias];
    const bytes = (d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    if (!u || t.shape.join(',') !== u.shape.join(',') || !ArrayBuffer.isView(t.data) || !bytes(t.data).equals(bytes(u.data))) return alias;
  }
  return undefined;
}

const POISON = /Aborted|RuntimeError|unreachable|out of bounds|out of memory/i;

/**
 * A copy of a model's version directory whose saved_model.pb keeps one signature (plus the
 * init op), to find out what that signature alone does when its model is refused at load.
 */
async function splitCopy(name, signature) {
  const { lookupType } = await import(join(root, 'dist/src/proto/root.js'));
  const SavedModel = lookupType('tensorflow.SavedModel');
  const src = join(zoo, 'models', name, '1');
  const sm = SavedModel.decode(readFileSync(join(src, 'saved_model.pb')));
  for (const mg of sm.meta_graphs ?? sm.metaGraphs) {
    const defs = mg.signature_def ?? mg.signatureDef;
    for (const k of Object.keys(defs)) if (k !== signature && k !== '__saved_model_init_op') delete defs[k];
  }
  const dir = join(tmpdir(), `tfs-zoo-split-${process.pid}`, name, signature, '1');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'saved_model.pb'), SavedModel.encode(sm).finish());
  for (const f of ['variables', 'assets']) if (existsSync(join(src, f))) symlinkSync(join(src, f), join(dir, f));
  return dir;
}

async function child(backend) {
  const native = backend === 'native';
  const { loadSavedModelServable } = await import(join(root, 'dist/src/servables/saved-model-servable.js'));
  const { loadNativeServable } = await import(join(root, 'dist/src/servables/native-servable.js'));
  const { initBackend } = await import(join(root, 'dist/src/runtime/backend.js'));
  const { setPlainJsEnabled } = await import(join(root, 'dist/src/runtime/plain-js.js'));
  const tf = await import('@tensorflow/tfjs-core');
  if (!native) await initBackend('wasm');
  const { lines, models } = loadZoo(native);
  const { lookupType } = await import(join(root, 'dist/src/proto/root.js'));
  const Example = lookupType('tensorflow.Example');
  // The shared oracle lists serialized tf.Examples by their float features.
  encodeExample = (features) => {
    const feature = Object.fromEntries(Object.entries(features).map(([k, v]) => [k, { float_list: { value: v } }]));
    return Example.encode(Example.fromObject({ features: { feature } })).finish();
  };

  // After a runtime fault the backend is rebuilt in the background, and tf.memory() throws
  // until it is back: reading it outside a try killed this child (exit 7, through the
  // wasm module's uncaughtException handler).
  const liveTensors = () => {
    try {
      return tf.memory().numTensors;
    } catch {
      return 0;
    }
  };

  /** Loads `dir` and runs `calls`; one result per call. */
  async function runCalls(name, dir, calls) {
    const warnings = [];
    const noop = () => {};
    const logger = { warn: (o, m) => warnings.push(m ?? String(o)), info: noop, debug: noop, trace: noop, error: noop, fatal: noop };
    logger.child = () => logger;
    const results = [];
    let poisoned = false;
    let servable;
    try {
      servable = native ? await loadNativeServable(name, 1, dir, { logger }) : await loadSavedModelServable(name, 1, dir, { backend, logger });
    } catch (e) {
      for (const c of calls) results.push({ signature: c.signature, batch: c.batch, kind: 'load', message: e.message });
      return { results, poisoned: POISON.test(e.message) };
    }
    for (const c of calls) {
      const before = native ? 0 : liveTensors();
      let r = { signature: c.signature, batch: c.batch, kind: 'match' };
      try {
        const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, tensorOf(v)]));
        const out = await servable.run(c.signature, inputs);
        for (const [alias, want] of Object.entries(c.outputs)) {
          const m = mismatch(out[alias], want);
          if (m) {
            r = { ...r, kind: 'wrong', message: `${alias}: ${m}` };
            break;
          }
        }
        if (!native && servable.runtime?.executionTier?.(c.signature) === 'plain-js') {
          r.tier = true;
          if (TIER_IDENTITY) {
            setPlainJsEnabled(false);
            let d;
            try {
              d = tierDiff(out, await servable.run(c.signature, inputs));
            } finally {
              setPlainJsEnabled(true);
            }
            if (d && r.kind === 'match') r = { ...r, kind: 'wrong', message: `${d}: the plain-JS tier and the tfjs path differ` };
          }
        }
      } catch (e) {
        const skipped = warnings.find((w) => w.includes(`signature ${c.signature} `));
        r = skipped ? { ...r, kind: 'load', message: skipped } : { ...r, kind: 'run', message: e.message };
        if (POISON.test(e.message)) poisoned = true;
      }
      const leaked = native ? 0 : liveTensors() - before;
      if (leaked > 0) r.leaked = leaked;
      results.push(r);
    }
    await servable.dispose();
    return { results, poisoned };
  }

  process.on('message', async ({ name, split }) => {
    const t0 = performance.now();
    const calls = lines.filter((l) => l.model === name);
    const whole = await runCalls(name, models[name].dir, calls);
    let poisoned = whole.poisoned;
    // --split: when the model is refused as a whole, try each signature on its own.
    if (split && !name.startsWith('shared:') && whole.results.some((r) => r.kind === 'load') && !poisoned) {
      for (const sig of [...new Set(calls.map((c) => c.signature))]) {
        const alone = await runCalls(name, await splitCopy(name, sig), calls.filter((c) => c.signature === sig));
        for (const r of alone.results) {
          const w = whole.results.find((x) => x.signature === r.signature && x.batch === r.batch);
          if (w.kind === 'load') w.alone = r;
        }
        poisoned ||= alone.poisoned;
        if (poisoned) break;
      }
    }
    process.send({ name, results: whole.results, poisoned, ms: performance.now() - t0 });
  });
  process.send({ ready: true });
}

// ---------------------------------------------------------------------------------------
// Parent: one child per backend, restarted on death, hang or wasm abort

function spawnChild(backend) {
  const c = fork(fileURLToPath(import.meta.url), ['--child', backend], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  c.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  const ready = new Promise((res, rej) => {
    c.once('message', () => res());
    c.once('exit', (code) => rej(new Error(`runner child exited (${code}) before it was ready: ${stderr}`)));
  });
  return { c, ready, stderr: () => stderr };
}

function runModel(h, name, calls, split) {
  return new Promise((resolve) => {
    const done = (v) => {
      clearTimeout(timer);
      h.c.off('message', onMsg);
      h.c.off('exit', onExit);
      resolve(v);
    };
    const fail = (message) => ({ name, results: calls.map((c) => ({ signature: c.signature, batch: c.batch, kind: 'run', message })), poisoned: true, dead: true });
    const onMsg = (m) => m.name === name && done(m);
    const onExit = (code, sig) => done(fail(`process died (${sig ?? code}): ${h.stderr().trim().split('\n').slice(-3).join(' | ')}`));
    const timer = setTimeout(() => done(fail(`no answer within ${TIMEOUT_MS / 1000} s (hang)`)), TIMEOUT_MS);
    h.c.on('message', onMsg);
    h.c.on('exit', onExit);
    h.c.send({ name, split });
  });
}

async function runBackend(backend, models, lines, split) {
  let h = spawnChild(backend);
  await h.ready;
  const out = [];
  for (const name of models) {
    const r = await runModel(h, name, lines.filter((l) => l.model === name), split);
    out.push(r);
    if (r.poisoned) {
      if (!r.dead) h.c.kill();
      h = spawnChild(backend);
      await h.ready;
    }
  }
  h.c.kill();
  return out;
}

const RANK = { wrong: 3, run: 2, load: 1, match: 0 };

/** One verdict per signature: its worst call (and, with --split, its worst call when loaded alone). */
function verdicts(results, models) {
  const sigs = new Map();
  const worse = (a, b) => (!b || RANK[a.kind] > RANK[b.kind] ? a : b);
  for (const r of results) {
    for (const c of r.results) {
      const key = `${r.name}:${c.signature}`;
      const prev = sigs.get(key);
      const v = { model: r.name, signature: c.signature, family: models[r.name].family, ...c };
      const next = worse(v, prev);
      next.leaked = (prev?.leaked ?? 0) + (c.leaked ?? 0) || undefined;
      if (c.tier || prev?.tier) next.tier = true;
      if (c.alone || prev?.alone) next.alone = c.alone ? worse(c.alone, prev?.alone) : prev.alone;
      sigs.set(key, next);
    }
  }
  return [...sigs.values()];
}

function table(byBackend, families) {
  const backends = Object.keys(byBackend);
  const rows = [`| family | ${backends.join(' | ')} |`, `| --- | ${backends.map(() => '---').join(' | ')} |`];
  for (const f of [...families, 'all']) {
    const cells = backends.map((b) => {
      const vs = byBackend[b].filter((v) => f === 'all' || v.family === f);
      return `${vs.filter((v) => v.kind === 'match').length} / ${vs.length}`;
    });
    rows.push(`| ${f} | ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

const LABEL = { wrong: 'WRONG ANSWER', run: 'error at run', load: 'refused at load' };

async function parent(args) {
  const t0 = performance.now();
  const backends = args.includes('--backend') ? [args[args.indexOf('--backend') + 1]] : ['wasm', 'cpu'];
  const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
  const expectFile = args.includes('--expect') ? args[args.indexOf('--expect') + 1] : undefined;
  const writeExpect = args.includes('--write-expect') ? args[args.indexOf('--write-expect') + 1] : undefined;
  const filters = args.filter((a, i) => !a.startsWith('--') && !['--backend', '--json', '--expect', '--write-expect', '--zoo'].includes(args[i - 1]));
  const { models: all, lines } = loadZoo(backends.includes('native'));
  const models = Object.keys(all).filter((m) => filters.length === 0 || filters.some((f) => m.includes(f)));
  const families = [...new Set(models.map((m) => all[m].family))].sort();
  const byBackend = {};
  const timings = {};
  for (const b of backends) {
    const tb = performance.now();
    byBackend[b] = verdicts(await runBackend(b, models, lines, args.includes('--split')), all);
    timings[b] = (performance.now() - tb) / 1000;
  }
  let bad = 0;
  for (const b of backends) {
    const vs = byBackend[b];
    console.log(`\n${b}: ${vs.filter((v) => v.kind === 'match').length} of ${vs.length} signatures match TensorFlow (${timings[b].toFixed(1)} s)`);
    const tier = vs.filter((v) => v.tier).length;
    console.log(`${b}: ${tier} signatures run on the plain-JS tier${TIER_IDENTITY ? ', every call compared bit for bit with the tier off' : ''}`);
    for (const kind of ['wrong', 'run', 'load']) {
      const list = vs.filter((v) => v.kind === kind);
      if (list.length === 0) continue;
      console.log(kind === 'wrong' ? `  !!!!! ${list.length} WRONG ANSWER(S) !!!!!` : `  ${LABEL[kind]}: ${list.length}`);
      for (const v of list) {
        console.log(`    ${kind === 'wrong' ? '!!! ' : ''}${v.model}:${v.signature} [batch ${v.batch}] ${v.message.split('\n')[0].slice(0, 300)}`);
        if (v.alone) console.log(`        alone: ${v.alone.kind === 'wrong' ? '!!! ' : ''}${LABEL[v.alone.kind] ?? 'match'} [batch ${v.alone.batch}] ${(v.alone.message ?? '').split('\n')[0].slice(0, 300)}`);
      }
      if (kind !== 'load') bad += list.length;
    }
    const leaky = vs.filter((v) => v.leaked);
    if (leaky.length) console.log(`  tensors leaked by: ${leaky.map((v) => `${v.model}:${v.signature} (${v.leaked})`).join(', ')}`);
  }
  console.log(`\n${table(byBackend, families)}\n`);
  if (args.includes('--split')) {
    // What each signature does when loaded on its own (its model's other signatures removed).
    const alone = Object.fromEntries(backends.map((b) => [b, byBackend[b].map((v) => ({ ...v, kind: v.alone?.kind ?? v.kind }))]));
    console.log(`signatures loaded alone (--split):\n${table(alone, families)}\n`);
    for (const b of backends) {
      const wrong = alone[b].filter((v) => v.kind === 'wrong');
      if (wrong.length) console.log(`  ${b}: !!! ${wrong.length} WRONG ANSWER(S) when loaded alone: ${wrong.map((v) => `${v.model}:${v.signature}`).join(', ')}`);
    }
  }
  console.log(`test:zoo: ${models.length} models, ${((performance.now() - t0) / 1000).toFixed(1)} s in all`);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ timings, byBackend }, null, 1));
  if (writeExpect) writeFileSync(writeExpect, JSON.stringify(knownFailures(byBackend), null, 1) + '\n');
  process.exitCode = expectFile ? ratchet(byBackend, JSON.parse(readFileSync(expectFile, 'utf8')), expectFile) : bad > 0 ? 1 : 0;
}

/** backend -> "model:signature" -> kind, for every signature that does not match. */
function knownFailures(byBackend) {
  const out = {};
  for (const [b, vs] of Object.entries(byBackend)) {
    const failing = vs.filter((v) => v.kind !== 'match').map((v) => [`${v.model}:${v.signature}`, v.kind]);
    out[b] = Object.fromEntries(failing.sort((x, y) => (x[0] < y[0] ? -1 : 1)));
  }
  return out;
}

/**
 * CI's guard: 1 when any signature does worse than the recorded known failures (one that
 * matched no longer does, or fails in a worse way), and always on a WRONG ANSWER. Signatures
 * that now do better are listed, so the file is tightened by hand.
 */
function ratchet(byBackend, known, file) {
  let regressions = 0;
  for (const [b, vs] of Object.entries(byBackend)) {
    const expected = known[b] ?? {};
    for (const v of vs) {
      const key = `${v.model}:${v.signature}`;
      const was = expected[key] ?? 'match';
      if (v.kind === 'wrong' || RANK[v.kind] > RANK[was]) {
        regressions++;
        console.log(`  REGRESSION ${b} ${key}: ${LABEL[v.kind]} (recorded: ${was === 'match' ? 'match' : LABEL[was]})`);
      } else if (RANK[v.kind] < RANK[was]) {
        console.log(`  improved ${b} ${key}: ${v.kind === 'match' ? 'match' : LABEL[v.kind]} (recorded: ${LABEL[was]}); update ${file}`);
      }
    }
  }
  console.log(regressions === 0 ? `test:zoo: no regression against ${file}` : `test:zoo: ${regressions} regression(s) against ${file}`);
  return regressions === 0 ? 0 : 1;
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else await parent(process.argv.slice(2));
