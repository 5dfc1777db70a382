// Loader hooks (run on node's hooks thread) for bench/footprint-preload.mjs: posts the URL of every
// module loaded to the preload, which counts them.
let port;
export function initialize(data) {
  port = data.port;
}
export async function load(url, context, next) {
  port.postMessage(url);
  return next(url, context);
}
