// CPU accounting shared by the pipeline benchmarks: this process's CPU time (with its finished
// children, e.g. ffmpeg), the machine's busy time, and how much of the machine other processes
// used while a phase ran (rounds where others were busy are not comparable on a shared machine).
'use strict';
const { readFileSync } = require('node:fs');
const { availableParallelism } = require('node:os');

/**
 * CPU time used so far, ms: this process (all threads) plus its waited-for children, from
 * /proc/self/stat (cutime + cstime, 100 ticks/s).
 */
function cpuMs() {
  const own = process.cpuUsage();
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (own.user + own.system) / 1000 + (Number(fields[13]) + Number(fields[14])) * 10;
}

/** Busy CPU time of the whole machine so far, ms (all processes; /proc/stat). */
function machineBusyMs() {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - (ticks[3] ?? 0) - (ticks[4] ?? 0)) * 10;
}

/** CPU time of a running process so far, ms (utime + stime from /proc/<pid>/stat; 0 once it is gone). */
function processCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * Runs `fn` and adds `others`: the share of the machine's CPU capacity that other processes
 * used meanwhile, and `seconds`, how long it ran (/proc/stat counts in 10 ms ticks, so a share
 * over less than about half a second is noise: see `othersText`). `pids` are processes of the benchmark itself that are still running (e.g. the
 * service under load): their CPU time is not counted as others'.
 * @template T
 * @param {() => Promise<T>} fn
 * @param {{ pids?: number[] }} [options]
 * @returns {Promise<T & { others: number, seconds: number }>}
 */
async function measured(fn, options = {}) {
  const pids = options.pids ?? [];
  const mine = () => cpuMs() + pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
  const busy0 = machineBusyMs();
  const own0 = mine();
  const t0 = performance.now();
  const result = await fn();
  const wall = performance.now() - t0;
  const others = Math.max(0, machineBusyMs() - busy0 - (mine() - own0)) / (wall * availableParallelism());
  return { ...result, others, seconds: wall / 1000 };
}

/** `others` as a percentage, or "n/a (<0.5 s)" where the phase was too short to tell. */
function othersText(m) {
  return m.seconds < 0.5 ? 'n/a (<0.5 s)' : `${(m.others * 100).toFixed(0)} %`;
}

module.exports = { cpuMs, machineBusyMs, measured, othersText };
