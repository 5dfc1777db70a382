#!/usr/bin/env node
// `npm start`: serve the demo models (fixtures/) on the embedded runtime.
// Builds dist/ only when a source file is newer than the last build, so a second
// `npm start` is ready in a few seconds instead of recompiling every time.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const marker = join(root, 'dist', 'src', 'index.js');

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

const sources = ['src', 'commands', 'tsconfig.json', 'package.json'].map((p) => join(root, p));
const stale = !existsSync(marker) || sources.some((p) => existsSync(p) && newest(p) > statSync(marker).mtimeMs);
if (stale) {
  console.error('npm start: dist/ is missing or older than the sources: building (npm run build)');
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

// The demo's flags live in one file, which the e2e tests read too.
const demoFlags = readFileSync(join(root, 'fixtures', 'configs', 'demo', 'serve-flags.txt'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const args = [
  join(root, 'bin', 'run.js'),
  'serve',
  ...demoFlags,
  ...process.argv.slice(2),
];
// Forward signals so Ctrl-C and SIGTERM drain the server. Paths in the flags are relative to the repo.
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
