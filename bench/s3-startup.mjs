#!/usr/bin/env node
// npm run bench:s3 -- start-up to ready of `tfs serve` for half_plus_two from a local base
// path and from s3:// (s3rver on 127.0.0.1, the same server the tests use), alternating, same
// machine. "Ready" is the `Exporting HTTP/REST API` log line. The s3:// figure includes the
// AWS SDK's import, the start-up probe, the listing, the settle look and the download.
//
//   node bench/s3-startup.mjs [--rounds 3]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startS3Server } from '../dist/test/helpers/s3-server.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;
const model = join(root, 'fixtures', 'models', 'half_plus_two');
const s3 = await startS3Server(['models']);
await s3.putTree(join(model, '00000123'), 'models', 'hp/123');
const env = { ...process.env, ...s3.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

function ready(base) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, [join(root, 'bin', 'run.js'), 'serve', '--model_name=hp', `--model_base_path=${base}`, '--port=0', '--rest_api_port=0'], { env });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
      if (/Exporting HTTP\/REST API/.test(err)) {
        const ms = performance.now() - t0;
        p.kill('SIGKILL');
        resolve(ms);
      }
    });
    p.on('exit', (code) => reject(new Error(`tfs serve exited (${code}) before it was ready:\n${err}`)));
  });
}

const times = { local: [], s3: [] };
try {
  for (let i = 0; i < rounds; i++) {
    times.local.push(await ready(model));
    times.s3.push(await ready('s3://models/hp'));
  }
} finally {
  await s3.close();
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const [k, v] of Object.entries(times)) console.log(`${k.padEnd(5)} start-up to ready: median ${median(v).toFixed(0)} ms (${v.map((x) => x.toFixed(0)).join(', ')})`);
