// `npm run bench -- --cluster`: exception-desk on the cluster `npm run cluster` starts (PostgreSQL, the
// full Temporal server as four processes, 2 APIs, 2 workers) beside bare Temporal on the same server,
// in the same run: lifecycle throughput with 2 workers and with 1, claim latency, and where the CPU goes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { startCluster, type Cluster } from '../server/cluster.js';
import { startService, type ServiceProcess } from '../server/service-process.js';
import { CpuMeter } from './cluster-cpu.js';
import { clusterMarkdown, CLUSTER_SECTION, type ClusterResults, type WorkerLevel } from './cluster-report.js';
import { bareLifecycle, BENCH_CALENDAR, claimLatency, combine, deskLifecycle, historyLength, type LoadCtx, type Throughput } from './phases/index.js';
import { updateDocs } from './report.js';
import { BARE_QUEUE } from './stack.js';
import { buildWorld, SpreadApi } from './world.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bareWorkflowsPath = fileURLToPath(new URL('./baseline-workflows.ts', import.meta.url));

export interface ClusterParams {
  quick: boolean;
  /** Lifecycles per side and per worker count, `concurrency` in flight, in `rounds` alternating rounds. */
  n: number;
  concurrency: number;
  rounds: number;
  warmup: number;
  claimSamples: number;
  keep: boolean;
}

/** The baseline's workers, one process each, as exception-desk's are on the cluster. */
async function startBareWorkers(cluster: Cluster, count: number, log: (line: string) => void): Promise<Map<string, ServiceProcess>> {
  const bundle = path.join(cluster.dir, 'bare-workflows.js');
  writeFileSync(bundle, (await bundleWorkflowCode({ workflowsPath: bareWorkflowsPath, logger: new DefaultLogger('WARN') })).code);
  const workers = new Map<string, ServiceProcess>();
  for (let i = 1; i <= count; i++) {
    const name = `bare-worker-${i}`;
    const service = startService({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', path.join(root, 'bench/bare-worker-main.ts')],
      env: { ...process.env, TEMPORAL_ADDRESS: cluster.temporal.address, TEMPORAL_NAMESPACE: cluster.namespace, BARE_TASK_QUEUE: BARE_QUEUE, BARE_BUNDLE: bundle },
      cwd: root,
      logFile: path.join(cluster.logDir, `${name}.log`),
      pidFile: path.join(cluster.dir, 'run', `${name}.pid`),
    });
    workers.set(name, service);
  }
  const connection = await Connection.connect({ address: cluster.temporal.address });
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const described = await connection.workflowService.describeTaskQueue({ namespace: cluster.namespace, taskQueue: { name: BARE_QUEUE }, taskQueueType: 1 });
      const polling = new Set((described.pollers ?? []).map((p) => p.identity));
      if ([...workers.values()].every((w) => polling.has(`bare-worker/${w.pid()}`))) break;
      for (const [name, w] of workers) if (!w.running()) throw new Error(`${name} exited while starting:\n${w.tail()}`);
      if (Date.now() > deadline) throw new Error('the bare workers did not poll within 120 s');
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await connection.close();
  }
  log(`bench: ${count} bare-Temporal worker processes polling ${BARE_QUEUE}`);
  return workers;
}

/** CPU seconds per lifecycle for each part, from a meter's reading over `completed` lifecycles. */
function perLifecycle(reading: ReturnType<CpuMeter['finish']>, completed: number): Record<string, number> {
  return Object.fromEntries(Object.entries(reading.cpuSeconds).map(([part, s]) => [part, Math.round((s / Math.max(1, completed)) * 1000 * 10) / 10]));
}

/** Alternating rounds of exception-desk and bare lifecycles at one worker count, each side metered on its own. */
async function workerLevel(ctx: LoadCtx, cluster: Cluster, bare: Map<string, ServiceProcess>, workers: number, params: ClusterParams): Promise<WorkerLevel & { deskIds: string[]; bareIds: string[] }> {
  const desk: Array<Throughput & { ids: string[] }> = [];
  const base: Array<Throughput & { ids: string[] }> = [];
  const cpu = { desk: [] as Array<ReturnType<CpuMeter['finish']>>, bare: [] as Array<ReturnType<CpuMeter['finish']>> };
  for (let r = 0; r < params.rounds; r++) {
    const size = Math.floor(params.n / params.rounds) + (r < params.n % params.rounds ? 1 : 0);
    let meter = new CpuMeter(cluster, bare);
    desk.push(await deskLifecycle(ctx, `w${workers}-${r}`, size, params.concurrency));
    cpu.desk.push(meter.finish());
    meter = new CpuMeter(cluster, bare);
    base.push(await bareLifecycle(ctx, `w${workers}-${r}`, size, params.concurrency));
    cpu.bare.push(meter.finish());
  }
  const sum = (readings: Array<ReturnType<CpuMeter['finish']>>) => {
    const out = { wallSeconds: 0, cpuSeconds: {} as Record<string, number>, machineCores: 0 };
    for (const r of readings) {
      out.wallSeconds += r.wallSeconds;
      out.machineCores += r.machineCores * r.wallSeconds;
      for (const [k, v] of Object.entries(r.cpuSeconds)) out.cpuSeconds[k] = (out.cpuSeconds[k] ?? 0) + v;
    }
    out.machineCores = Math.round((out.machineCores / out.wallSeconds) * 100) / 100;
    // What the machine did beyond the cluster and this process: other workloads sharing the cores.
    const ours = Object.values(out.cpuSeconds).reduce((a, b) => a + b, 0) / out.wallSeconds;
    return { ...out, otherCores: Math.max(0, Math.round((out.machineCores - ours) * 100) / 100) };
  };
  const d = combine(desk);
  const b = combine(base);
  const deskCpu = sum(cpu.desk);
  const bareCpu = sum(cpu.bare);
  return {
    workers,
    desk: { perSecond: d.perSecond, completed: d.completed, seconds: d.seconds, errors: d.errors },
    bare: { perSecond: b.perSecond, completed: b.completed, seconds: b.seconds, errors: b.errors },
    ratio: d.perSecond / b.perSecond,
    cpuMsPerLifecycle: { desk: perLifecycle(deskCpu, d.completed), bare: perLifecycle(bareCpu, b.completed) },
    machineCores: { desk: deskCpu.machineCores, bare: bareCpu.machineCores },
    otherCores: { desk: deskCpu.otherCores, bare: bareCpu.otherCores },
    deskIds: desk.flatMap((x) => x.ids),
    bareIds: base.flatMap((x) => x.ids),
  };
}

export async function runClusterBench(params: ClusterParams, command: string): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const startedAt = new Date().toISOString();
  const loadAvgAtStart = os.loadavg();
  log(`bench: cluster mode: ${JSON.stringify(params)}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'exception-desk-bench-cluster-'));
  let cluster: Cluster | undefined;
  let bare = new Map<string, ServiceProcess>();
  let connection: Connection | undefined;
  let failed = false;
  try {
    cluster = await startCluster({ dir, apis: 2, workers: 2, env: { LOG_LEVEL: 'warn' }, log: (line) => log(`bench: cluster: ${line}`) });
    const setupSeconds = (performance.now() - t0) / 1000;
    log(`bench: cluster up in ${elapsed()}; ${cluster.describe()}`);
    bare = await startBareWorkers(cluster, 2, log);
    connection = await Connection.connect({ address: cluster.temporal.address });
    const client = new Client({ connection, namespace: cluster.namespace });
    const api = new SpreadApi(cluster.apis.map((a) => a.url!));
    const secret = readFileSync(cluster.secretFile, 'utf8').trim();
    const world = await buildWorld(api, { claimWithinS: 5, afterS: 1 }, BENCH_CALENDAR, secret);
    const ctx: LoadCtx = { api, world, client, runId: randomUUID().slice(0, 8), log, serverPid: null };

    await deskLifecycle(ctx, 'warmup', params.warmup, Math.min(params.concurrency, params.warmup));
    await bareLifecycle(ctx, 'warmup', params.warmup, Math.min(params.concurrency, params.warmup));

    log(`bench: lifecycle with 2 workers each, ${params.n} per side at ${params.concurrency} in flight (${elapsed()})`);
    const two = await workerLevel(ctx, cluster, bare, 2, params);
    const history = { desk: await historyLength(ctx, two.deskIds, 20), bare: await historyLength(ctx, two.bareIds, 20) };
    log(`bench:   2 workers: exception-desk ${two.desk.perSecond.toFixed(1)}/s, bare ${two.bare.perSecond.toFixed(1)}/s (${elapsed()})`);

    log(`bench: claim latency, ${params.claimSamples} one at a time over both APIs (${elapsed()})`);
    const claim = await claimLatency(ctx, 'claim', params.claimSamples, 500);

    log(`bench: stopping worker-2 and bare-worker-2; lifecycle with 1 worker each (${elapsed()})`);
    await Promise.all([cluster.process('worker-2').stop('SIGTERM', 30_000), bare.get('bare-worker-2')!.stop('SIGTERM', 30_000)]);
    const one = await workerLevel(ctx, cluster, bare, 1, params);
    log(`bench:   1 worker: exception-desk ${one.desk.perSecond.toFixed(1)}/s, bare ${one.bare.perSecond.toFixed(1)}/s (${elapsed()})`);

    const results: ClusterResults = {
      startedAt,
      finishedAt: new Date().toISOString(),
      command,
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: os.totalmem() / 1024 ** 3, node: process.version, loadAvgAtStart, loadAvgAtEnd: os.loadavg() },
      params: { ...params },
      cluster: { apis: 2, workers: 2, historyShards: 8, temporalProcesses: [...cluster.temporal.services.keys()] },
      setupSeconds,
      levels: [strip(two), strip(one)],
      history,
      claim,
      totalSeconds: (performance.now() - t0) / 1000,
    };
    const file = path.join(root, 'bench', 'results', `cluster-${startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    const markdown = clusterMarkdown(results, path.relative(root, file));
    process.stdout.write(`\n${markdown}\n\nresults: ${path.relative(root, file)}\n`);
    if (!params.quick) {
      updateDocs(path.join(root, 'docs', 'benchmarks.md'), markdown, CLUSTER_SECTION);
      process.stdout.write('docs/benchmarks.md updated (cluster section)\n');
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    log(`bench: stopping (${elapsed()})`);
    await connection?.close().catch(() => undefined);
    await Promise.all([...bare.values()].map((w) => (w.running() ? w.stop('SIGTERM', 10_000) : undefined)));
    await cluster?.stop();
    if (failed || params.keep) log(`bench: kept ${dir} (logs in ${dir}/logs)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const strip = ({ deskIds: _d, bareIds: _b, ...level }: WorkerLevel & { deskIds: string[]; bareIds: string[] }): WorkerLevel => level;
