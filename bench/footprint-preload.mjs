// Preloaded (node --import) into a `tfs serve` child by bench/serve-footprint.mjs. It records every
// module the process loads (ES modules through a loader hook, CommonJS through require.cache) and,
// when the parent asks over IPC, forces a full GC and answers with the heap and RSS figures.
import { register, createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';

const esm = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => esm.add(url));
port1.unref();
register('./footprint-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });

/** kB of a field of /proc/self/status (VmRSS, VmHWM), or null off Linux. */
function procStatusKb(field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Loaded modules by origin: the project's own build, node_modules, node's built-ins. */
function moduleCounts() {
  const files = new Set(Object.keys(createRequire(import.meta.url).cache));
  let builtins = 0;
  for (const url of esm) {
    if (url.startsWith('file:')) files.add(fileURLToPath(url));
    else if (url.startsWith('node:')) builtins++;
  }
  const all = [...files].filter((p) => !p.includes('footprint-'));
  const deps = all.filter((p) => p.includes('/node_modules/'));
  return { files: all.length, project: all.length - deps.length, node_modules: deps.length, builtins, list: all.sort() };
}

process.on('message', (msg) => {
  if (msg !== 'footprint') return;
  globalThis.gc?.();
  globalThis.gc?.();
  const mem = process.memoryUsage();
  const heap = getHeapStatistics();
  process.send({
    gc: typeof globalThis.gc === 'function',
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
    rssKb: procStatusKb('VmRSS') ?? Math.round(mem.rss / 1024),
    hwmKb: procStatusKb('VmHWM'),
    mallocedMemory: heap.malloced_memory,
    modules: moduleCounts(),
  });
});
