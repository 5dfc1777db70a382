#!/usr/bin/env node
// The lean REST reference of bench/serving.mjs: the least a REST predict server on tfs's own
// embedded runtime has to do, to measure tfs's request path against.
//
//   node bench/lean-rest.mjs --models half_plus_two,my_model [--heap-growing-percent 30]
//                            (model names or directories; V8's heap sizing as tfs serve sets it)
//
// It loads each model's newest version with the project's loader from dist/
// (loadSavedModelServable, backend `auto` as `tfs serve` picks it), listens on 127.0.0.1
// port 0 with bare node:http and prints the port as the first stdout line. Per request to
// POST /v1/models/<name>:predict: read the body, JSON.parse, copy `instances` (rows of
// numbers) into one Float32Array, run serving_default with it as the single input, and
// write `{"predictions": [...]}` by hand (rows of the first output, numbers as String()).
// Nothing else: no metrics, no deadline, no routing beyond the model name, no checks a
// client could fail with anything but a 400/404.
//
// Imported rather than run (bench/rest-bisect.mjs), it only exports leanRestHandler(): the same
// request handler, for a node:http server of the importer's choosing.
import { createServer } from 'node:http';
import { readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(root, process.env.TFS_DIST ?? 'dist');
const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);

/** A model name (fixtures/models, or perf_mlp from the shared zoo) or a model directory. */
function modelDir(nameOrDir) {
  if (isAbsolute(nameOrDir) || nameOrDir.includes('/')) return resolve(nameOrDir);
  if (nameOrDir === 'perf_mlp') return join(resolve(process.env.TFS_SHARED_DIR ?? join(root, '..', 'shared')), 'fixtures', 'zoo', 'perf_mlp');
  return join(root, 'fixtures', 'models', nameOrDir);
}

/** One served model: its single float input and first output. */
async function load(nameOrDir) {
  const { loadSavedModelServable } = await import(pathToFileURL(join(dist, 'src/servables/saved-model-servable.js')).href);
  const dir = modelDir(nameOrDir);
  const versions = readdirSync(dir).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  const name = isAbsolute(nameOrDir) || nameOrDir.includes('/') ? dir.split('/').pop() : nameOrDir;
  const servable = await loadSavedModelServable(name, Number(versions[0]), join(dir, versions[0]), { backend: 'auto' });
  const sig = servable.signatures.get('serving_default');
  const [input, spec] = Object.entries(sig.inputs)[0];
  const output = Object.keys(sig.outputs)[0];
  return { name, servable, input, width: spec.shape && spec.shape.length > 1 ? spec.shape.slice(1).reduce((a, b) => a * b, 1) : 1, output };
}


/** `{"predictions": [[...], ...]}` of a [batch, ...] float output, one row per instance. */
function answer(t) {
  const d = t.data;
  const rows = t.shape[0] ?? 1;
  const w = rows > 0 ? d.length / rows : 0;
  let s = '{"predictions": [';
  for (let r = 0; r < rows; r++) {
    if (r) s += ', ';
    if (t.shape.length <= 1) {
      s += String(d[r]);
      continue;
    }
    s += '[';
    for (let i = 0; i < w; i++) s += (i ? ', ' : '') + String(d[r * w + i]);
    s += ']';
  }
  return s + ']}';
}

async function predict(m, body) {
  const rows = JSON.parse(body).instances;
  const x = new Float32Array(rows.length * m.width);
  let k = 0;
  for (const row of rows) {
    if (typeof row === 'number') x[k++] = row;
    else for (let i = 0; i < row.length; i++) x[k++] = row[i];
  }
  const out = await m.servable.run('serving_default', { [m.input]: { dtype: 'DT_FLOAT', shape: [rows.length, m.width], data: x } });
  return answer(out[m.output]);
}

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

/** The lean request handler serving `names` (model names or directories), once they are loaded. */
export async function leanRestHandler(names) {
  const models = new Map();
  for (const n of names) {
    const m = await load(n);
    models.set(m.name, m);
  }
  return (req, res) => handle(models, req, res);
}

function handle(models, req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const name = /^\/v1\/models\/([^/:]+)/.exec(req.url ?? '')?.[1];
    const m = name ? models.get(name) : undefined;
    if (!m) return send(res, 404, '{"error": "no such model"}');
    predict(m, chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString()).then(
      (b) => send(res, 200, b),
      (e) => send(res, 400, JSON.stringify({ error: String(e?.message ?? e) })),
    );
  });
}

if (isMain) {
  const args = process.argv.slice(2);
  // `tfs serve` runs V8 with --heap-growing-percent=30 (commands/serve.ts): a lean server may
  // run under the same heap sizing, so the two differ in their request paths only.
  if (args.includes('--heap-growing-percent')) setFlagsFromString(`--heap-growing-percent=${Number(args[args.indexOf('--heap-growing-percent') + 1])}`);
  const names = (args.includes('--models') ? args[args.indexOf('--models') + 1] : 'half_plus_two,my_model').split(',');
  const server = createServer(await leanRestHandler(names));
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
}
