// Preloaded into `tfs serve` by bench/rest-bisect.mjs (`node --import bench/lean-inject.mjs
// bin/run.js serve ...`): once serve's REST server (its only node:http server) listens, the
// lean reference handler of bench/lean-rest.mjs is mounted on that same server under the
// `/lean` prefix (`POST /lean/v1/models/<name>:predict`), serving the models named in
// TFS_LEAN_MODELS (comma-separated, as lean-rest.mjs --models takes them). Every other request
// goes to serve's own listeners, unchanged. Measurement only: nothing in src/ uses it.
//
// So one process, one server, one set of sockets, heap, GC settings and background work
// answers both ways: the CPU per request of the two paths differ by the request path alone.
import http from 'node:http';

const names = (process.env.TFS_LEAN_MODELS ?? 'half_plus_two,my_model').split(',');
const listen = http.Server.prototype.listen;
let mounted = false;

http.Server.prototype.listen = function (...args) {
  if (!mounted) {
    mounted = true;
    this.once('listening', () => void mount(this));
  }
  return listen.apply(this, args);
};

async function mount(server) {
  const { leanRestHandler } = await import('./lean-rest.mjs');
  const lean = await leanRestHandler(names);
  const own = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    if (req.url.startsWith('/lean/')) {
      req.url = req.url.slice(5);
      lean(req, res);
      return;
    }
    for (const l of own) l.call(server, req, res);
  });
}
