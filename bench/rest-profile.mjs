#!/usr/bin/env node
// Where a REST :predict's server time goes: runs bench/rest.mjs against tfs only under
// `node --cpu-prof` and sums the profile's samples by layer (each sample is charged to the
// nearest stack frame that belongs to a known layer).
//
//   node bench/rest-profile.mjs [--fake] [--seconds 5]      (TFS_DIST selects the build)
//
// The profile samples wall time: `(idle)` is the event loop waiting, and time inside the
// `writev` syscall of a response also counts the moments the kernel hands the CPU to the
// woken-up client, so both are shown apart from the CPU layers.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'tfs-rest-prof-'));
try {
  const seconds = args.includes('--seconds') ? args[args.indexOf('--seconds') + 1] : '5';
  const run = spawnSync(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(here, 'rest.mjs'), '--only', 'tfs', '--rounds', '1', '--seconds', seconds, ...(args.includes('--fake') ? ['--fake'] : [])],
    { stdio: ['ignore', 'inherit', 'inherit'], env: process.env },
  );
  if (run.status !== 0) process.exit(run.status ?? 1);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const layer = (n) => {
    const u = n.callFrame.url;
    const fn = n.callFrame.functionName;
    if (fn === '(idle)') return 'idle (event loop waiting)';
    if (fn === 'writev') return 'writev syscall (response send)';
    if (fn === '(garbage collector)') return 'garbage collector';
    if (u.includes('@tensorflow') || u.startsWith('wasm://')) return 'tfjs (model execution)';
    if (u.includes('/src/runtime/')) return 'tfs runtime glue (src/runtime)';
    if (u.includes('/src/batching/')) return 'batching';
    if (u.includes('/src/tensor/json-')) return 'REST JSON codec (src/tensor/json-*)';
    if (u.includes('/src/servables/') || u.includes('/src/core/')) return 'predict + core (src/servables, src/core)';
    if (u.includes('/src/server/rest/')) return 'REST app (src/server/rest)';
    if (u.includes('fastify') || u.includes('find-my-way')) return 'fastify';
    if (u.startsWith('node:')) return 'node http/net/streams';
    if (u.includes('/node_modules/') || u.includes('cjs') || u.includes('esm')) return 'other modules / loading';
    return null;
  };
  const totals = new Map();
  let total = 0;
  for (const n of p.nodes) {
    const t = self.get(n.id) ?? 0;
    if (!t) continue;
    total += t;
    let m = n;
    let k = layer(m);
    while (!k && parent.has(m.id)) {
      m = byId.get(parent.get(m.id));
      k = layer(m);
    }
    k ??= 'other';
    totals.set(k, (totals.get(k) ?? 0) + t);
  }
  const wallOnly = new Set(['idle (event loop waiting)', 'writev syscall (response send)']);
  const cpu = [...totals].filter(([k]) => !wallOnly.has(k)).reduce((s, [, v]) => s + v, 0);
  console.log(`\nprofile: ${(total / 1e6).toFixed(1)} s sampled; share of the on-CPU samples (idle and writev excluded):`);
  for (const [k, v] of [...totals].sort((a, b) => b[1] - a[1])) {
    const share = wallOnly.has(k) ? '      ' : `${((100 * v) / cpu).toFixed(1).padStart(5)}%`;
    console.log(`${share} ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
