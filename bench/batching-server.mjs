#!/usr/bin/env node
// Child process of bench/batching.mjs: `tfs serve` (startServer from the build) with the
// flags given on the command line, on 127.0.0.1. Reports its ports over IPC, stops on 'stop'.
// It also answers {mean batch size} requests by reading its own metrics, so the driver can
// replay the runtime in-process at the batch sizes the scheduler produced.
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// TFS_DIST: the build directory, relative to the repository root or absolute (a baseline build).
const dist = resolve(root, process.env.TFS_DIST ?? 'dist');
const imp = (p) => import(pathToFileURL(resolve(dist, p)).href);

const { parseServeFlags } = await imp('src/server/flags.js');
const { startServer } = await imp('src/server/server.js');
const { silentLogger, createLogger } = await imp('src/util/logger.js');
// TFS_BENCH_SERVER_LOG=info shows the server's log (e.g. where batches run) on stderr.
const logger = process.env.TFS_BENCH_SERVER_LOG ? createLogger({ level: process.env.TFS_BENCH_SERVER_LOG }) : silentLogger;

const { values } = parseServeFlags(process.argv.slice(2), {});
let server;
try {
  server = await startServer({ flags: values, logger });
} catch (e) {
  process.send({ error: `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}` });
  process.exit(1);
}
process.send({ ready: true, restPort: server.restPort, grpcPort: server.grpcPort });

process.on('message', async (m) => {
  if (m === 'batch-stats') {
    // tensorflow_serving_batch_size: rows per executed batch without padding (exact sum and count)
    const json = await server.metrics.registry.getMetricsAsJSON();
    const h = json.find((x) => x.name === 'tensorflow_serving_batch_size');
    const sum = h?.values.filter((v) => v.metricName?.endsWith('_sum')).reduce((a, v) => a + v.value, 0) ?? 0;
    const count = h?.values.filter((v) => v.metricName?.endsWith('_count')).reduce((a, v) => a + v.value, 0) ?? 0;
    process.send({ batchStats: { sum, count } });
  } else if (m === 'stop') {
    await server.shutdown(1000);
    process.exit(0);
  }
});
