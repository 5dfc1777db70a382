// The REST `:predict` handler of one build, driven in process (bench/rest-handler.mjs times its
// CPU, bench/alloc.mjs its allocation): `tfs serve`'s REST app and metrics hook on a ServerCore
// serving one fixture model, and a function that runs one request through the app's lean path
// with stand-in request/response objects (no sockets).
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The bodies of bench/serving.mjs (half_plus_two one value; my_model 5x10 float32 values). */
export function requestBody(model) {
  if (model === 'my_model') {
    const mlp = Array.from({ length: 50 }, (_, i) => Math.fround(Math.sin(i)));
    return JSON.stringify({ instances: Array.from({ length: 5 }, (_, r) => mlp.slice(r * 10, r * 10 + 10)) });
  }
  return JSON.stringify({ instances: [[2.0]] });
}

/**
 * `dir`'s build (a checkout root with dist/) serving `model` (with `fake`, bench/lib.mjs's JS
 * half_plus_two): `once()` resolves when one request got a 200 (rejects otherwise); `close()`.
 */
export async function restHandlerHarness(dir, model, fake = false) {
  const imp = (p) => import(pathToFileURL(join(dir, 'dist', p)).href);
  const { buildRestApp } = await imp('src/server/rest/app.js');
  const { ServerCore } = await imp('src/server/server-core.js');
  const { createMetrics } = await imp('src/metrics/metrics.js');
  const { timedServable } = await imp('src/metrics/timed-servable.js');
  const lib = await import(pathToFileURL(join(dir, 'bench', 'lib.mjs')).href);
  const { Registry } = await import('prom-client');
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const base = fake ? lib.fakeLoader([-1, 1]) : (await imp('src/servables/saved-model-servable.js')).loadSavedModelServable;
  const loader = async (name, version, path) => timedServable(await base(name, version, path, { backend: 'auto' }), metrics);
  const core = await ServerCore.create(lib.fixtureConfig([model]), { loader, fileSystemPollWaitSeconds: 0, watchFileSystem: false });
  metrics.attachCore(core);
  // The metrics hook of `tfs serve` (server/front-ends.ts), without the request log (off by default).
  const onRequest = (i) => metrics.recordRequest({ modelName: i.modelName, api: i.api, entrypoint: 'REST', status: i.codeName, latencyMicros: i.latencySeconds * 1e6 });
  const app = buildRestApp({ core, metrics: { onRequest } });
  const listener = app.server.listeners('request').at(-1);
  const body = Buffer.from(requestBody(model));
  const headers = { host: '127.0.0.1', 'content-length': String(body.length), connection: 'keep-alive' };
  const url = `/v1/models/${model}:predict`;
  const once = () =>
    new Promise((ok, fail) => {
      const req = new EventEmitter();
      req.method = 'POST';
      req.url = url;
      req.headers = headers;
      const res = new EventEmitter();
      let status = 0;
      res.writeHead = (s) => {
        status = s;
      };
      res.end = (text) => (status === 200 ? ok() : fail(new Error(`${status} ${text}`)));
      listener(req, res);
      req.emit('data', body);
      req.emit('end');
    });
  const close = async () => {
    await app.close();
    await core.close();
  };
  return { once, close };
}
