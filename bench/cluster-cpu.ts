import { readdirSync, readFileSync } from 'node:fs';
import type { Cluster } from '../server/cluster.js';
import type { ServiceProcess } from '../server/service-process.js';
import { machineBusySeconds } from './procstat.js';

const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used (user + system), with its waited-for children's; 0 once it is gone. */
function cpuOf(pid: number): number {
  try {
    // The command name (field 2) may hold spaces; the fields after it are fixed.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** PostgreSQL forks a backend per connection: the postmaster and its live children together. */
function postgresCpu(postmaster: number): number {
  let total = cpuOf(postmaster);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
      if (ppid === postmaster) total += cpuOf(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/**
 * Where the CPU went during a phase, per part of the cluster (postgres, temporal-history, api-1, …),
 * from /proc. A process about to be killed is read first (`settle`), and one started during the phase
 * counts from its start, start-up included.
 */
export class CpuMeter {
  private readonly baseline = new Map<number, number>();
  private readonly spent = new Map<string, number>();
  private readonly started = Date.now();
  private readonly ownAtStart = process.cpuUsage();

  private readonly machineAtStart = machineBusySeconds();

  /** `extras`: processes beside the cluster's own, by name (the bench's bare-Temporal workers). */
  constructor(
    private readonly cluster: Cluster,
    private readonly extras: ReadonlyMap<string, ServiceProcess> = new Map(),
  ) {
    for (const [name, pid] of this.pids()) this.baseline.set(pid, this.read(name, pid));
  }

  private process(name: string): ServiceProcess {
    return this.extras.get(name) ?? this.cluster.process(name);
  }

  private pids(): Array<[string, number]> {
    const names = ['postgres', ...this.cluster.temporal.services.keys(), ...this.cluster.apis.map((a) => a.name), ...this.cluster.workers.map((w) => w.name), ...this.extras.keys()];
    return names.flatMap((name) => {
      const service = this.process(name);
      const pid = service.pid();
      return pid === undefined || !service.running() ? [] : [[name, pid] as [string, number]];
    });
  }

  private read(name: string, pid: number): number {
    return name === 'postgres' ? postgresCpu(pid) : cpuOf(pid);
  }

  /** Before a process is killed: what it used so far in this phase. */
  settle(name: string): void {
    const service = this.process(name);
    const pid = service.pid();
    if (pid === undefined || !service.running()) return;
    this.spent.set(name, (this.spent.get(name) ?? 0) + this.read(name, pid) - (this.baseline.get(pid) ?? 0));
    this.baseline.set(pid, this.read(name, pid));
  }

  /**
   * CPU seconds per part, the load generator's (this process), the wall-clock seconds, and the cores
   * the whole machine was busy on average (`machineCores`; everything, other workloads included).
   */
  finish(): { wallSeconds: number; cpuSeconds: Record<string, number>; machineCores: number } {
    for (const [name] of this.pids()) this.settle(name);
    const own = process.cpuUsage(this.ownAtStart);
    this.spent.set('test clients', (own.user + own.system) / 1e6);
    const round = (n: number) => Math.round(n * 10) / 10;
    const wallSeconds = (Date.now() - this.started) / 1000;
    return {
      wallSeconds: round(wallSeconds),
      cpuSeconds: Object.fromEntries([...this.spent].map(([k, v]) => [k, round(v)])),
      machineCores: Math.round(((machineBusySeconds() - this.machineAtStart) / wallSeconds) * 100) / 100,
    };
  }
}
