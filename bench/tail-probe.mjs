// Preloaded into a server by bench/tail.mjs (`node --import bench/tail-probe.mjs ...`): records
// event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and GC pauses
// (PerformanceObserver 'gc') and the
// process's CPU time. On SIGUSR2 it writes one line `TAILPROBE {json}` to stderr with what
// it saw since the previous SIGUSR2, then starts over. Measurement only: nothing in src/ uses it.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver, constants } from 'node:perf_hooks';

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const kinds = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
let gc = {};
let t0 = performance.now();
let cpu0 = process.cpuUsage();
let sched0 = schedstat();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = kinds[e.detail?.kind ?? e.kind] ?? 'other';
    const g = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    g.count++;
    g.totalMs += e.duration;
    g.maxMs = Math.max(g.maxMs, e.duration);
  }
}).observe({ entryTypes: ['gc'] });

process.on('SIGUSR2', () => {
  const ms = (ns) => Number((ns / 1e6).toFixed(2));
  const wallMs = performance.now() - t0;
  const report = {
    wallMs: Math.round(wallMs),
    loopDelay: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max), mean: ms(loop.mean) },
    gc,
    heapUsedMiB: Number((process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)),
    // This process's CPU time (user + system, all its threads: GC helpers included) in the window.
    cpuMs: Math.round(cpuMs(process.cpuUsage(cpu0))),
  };
  // Linux: how long the main thread (the event loop) was runnable but waited for a CPU: time
  // in which requests queue although nothing in the process blocks (the loop delay above
  // does not show it when the loop keeps turning, a little at a time).
  const sched = schedstat();
  if (sched && sched0) report.runqueueWaitMs = Math.round((sched.waitNs - sched0.waitNs) / 1e6);
  process.stderr.write(`TAILPROBE ${JSON.stringify(report)}\n`);
  loop.reset();
  gc = {};
  t0 = performance.now();
  cpu0 = process.cpuUsage();
  sched0 = sched;
});

/** The main thread's /proc schedstat (on-CPU and run-queue wait, ns), or undefined where there is none. */
function schedstat() {
  try {
    const [runNs, waitNs] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { runNs, waitNs };
  } catch {
    return undefined;
  }
}

function cpuMs(u) {
  return (u.user + u.system) / 1000;
}
