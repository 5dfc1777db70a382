#!/usr/bin/env node
// Packs tfs as npm would publish it, installs the tarball globally into an empty prefix,
// and checks that the installed `tfs` serves the demo model over REST and prints its version.
// CI runs this before the test suite (.ci/run); it needs the npm registry for dependencies
// (the npm cache from `npm ci` answers most of them).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tfs-pack-'));
const fail = (msg) => {
  console.error(`pack-smoke: FAIL: ${msg}`);
  process.exitCode = 1;
};
const npm = (args, opts = {}) => execFileSync('npm', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts });

try {
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work]));
  const tarball = join(work, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  for (const must of ['bin/run.js', 'dist/commands/serve.js', 'dist/src/index.js', 'protos/tensorflow_serving/apis/prediction_service.proto']) {
    if (!files.some((f) => f === must || f.startsWith(must))) fail(`the tarball lacks ${must}`);
  }
  if (files.some((f) => f.startsWith('dist/test/') || f.startsWith('test/') || f.startsWith('src/'))) fail('the tarball ships tests or TypeScript sources');
  console.log(`pack-smoke: ${packed[0].filename}: ${files.length} files, ${(packed[0].size / 1e6).toFixed(1)} MB packed`);

  const prefix = join(work, 'prefix');
  npm(['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: work });
  const tfs = join(prefix, 'bin', 'tfs');
  const version = execFileSync(tfs, ['--version'], { encoding: 'utf8', cwd: work }).trim();
  if (!version.startsWith('tfserving/')) fail(`tfs --version printed ${version}`);
  console.log(`pack-smoke: ${version}`);

  const installed = join(prefix, 'lib', 'node_modules', 'tfserving');
  const model = join(installed, 'fixtures', 'models', 'half_plus_two');
  const server = spawn(tfs, ['serve', '--model_name=half_plus_two', `--model_base_path=${model}`, '--port=0', '--rest_api_port=0'], {
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const restPort = await new Promise((resolve, reject) => {
    const onData = (d) => {
      log += d.toString();
      // The start-up line: "Serving half_plus_two version 123; gRPC port N, REST port M".
      const m = /REST port (\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`tfs serve exited with ${code}:\n${log}`)));
  });
  const res = await fetch(`http://127.0.0.1:${restPort}/v1/models/half_plus_two:predict`, {
    method: 'POST',
    body: '{"instances": [1.0, 2.0, 5.0]}',
  });
  const body = await res.json();
  if (JSON.stringify(body.predictions) !== '[2.5,3,4.5]') fail(`predict answered ${res.status} ${JSON.stringify(body)}`);
  else console.log('pack-smoke: the installed tfs served half_plus_two: predictions [2.5, 3, 4.5]');
  // Drop the start-up rejection first, then wait for the exit (the other order removes the
  // new listener too, and the unsettled await ends the script with exit code 13).
  server.removeAllListeners('exit');
  const exited = server.exitCode !== null ? Promise.resolve(server.exitCode) : new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) fail(`tfs serve exited with ${code} after SIGTERM`);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (process.exitCode) process.exit(1);
console.log('pack-smoke: ok');
