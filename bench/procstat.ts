import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Where a phase's CPU went: the dev server process, this process, and this process's main thread. */
export interface CpuUse {
  seconds: number;
  /** Cores used by the Temporal dev server (utime + stime from /proc). */
  serverCores: number;
  /** Cores used by the bench process: API, worker (main thread, workflow thread, Rust core) and load generator. */
  benchCores: number;
  /** Event-loop utilisation of the main thread (API, activities, ledger, load generator): 1 = saturated. */
  mainThreadElu: number;
  /** Cores busy on the whole machine minus the two above: other workloads sharing the machine. */
  otherCores: number;
  /** The busiest threads of the bench process (Linux thread name, tid), in cores. */
  hotThreads: Array<{ thread: string; cores: number }>;
}

function threadTimes(): Map<number, { name: string; seconds: number }> {
  const out = new Map<number, { name: string; seconds: number }>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(Number(tid), { name, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND });
      } catch {
        // the thread ended
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

const TICKS_PER_SECOND = 100;

function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - idle) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** The dev server we started: the only process whose command line names our private database file. */
export function findServerPid(marker: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('start-dev') && cmdline.includes(marker)) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return null;
}

/** Starts a meter; calling the returned function reads it. Linux only; NaN elsewhere. */
export function cpuMeter(serverPid: number | null): () => CpuUse {
  const t0 = performance.now();
  const server0 = serverPid === null ? NaN : cpuSecondsOf(serverPid);
  const self0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const threads0 = threadTimes();
  const machine0 = machineBusySeconds();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const self = process.cpuUsage(self0);
    const serverCores = serverPid === null ? NaN : (cpuSecondsOf(serverPid) - server0) / seconds;
    const benchCores = (self.user + self.system) / 1e6 / seconds;
    return {
      seconds,
      serverCores,
      benchCores,
      otherCores: Math.max(0, (machineBusySeconds() - machine0) / seconds - serverCores - benchCores),
      mainThreadElu: performance.eventLoopUtilization(elu0).utilization,
      hotThreads: [...threadTimes().entries()]
        .map(([tid, t]) => ({ thread: `${t.name}#${tid === process.pid ? 'main' : tid}`, cores: (t.seconds - (threads0.get(tid)?.seconds ?? 0)) / seconds }))
        .sort((a, b) => b.cores - a.cores)
        .slice(0, 6),
    };
  };
}
