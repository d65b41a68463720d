// `npm run bench [-- --quick | --large | --n 2000 | --keep | --cluster]`: exception-desk beside bare Temporal
// (--cluster: on the cluster of `npm run cluster`, bench/cluster.ts).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  bareLifecycle,
  BENCH_CALENDAR,
  calendarCost,
  calendarMicro,
  claimLatency,
  combine,
  deskLifecycle,
  escalationLateness,
  fillOpen,
  historyLength,
  listings,
  metricsCost,
  openCount,
  singleIntake,
  templatePhase,
  type Ctx,
  type Throughput,
} from './phases/index.js';
import { evaluateTargets, markdown, table, updateDocs, writeJson, type Results, type SweepLevel } from './report.js';
import { runClusterBench, type ClusterParams } from './cluster.js';
import { startBenchStack, type BenchStack } from './stack.js';
import { OVERLOAD_PATTERN, round } from './stats.js';
import { Api, buildWorld } from './world.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const root = fileURLToPath(new URL('..', import.meta.url));

interface Params {
  mode: 'quick' | 'full' | 'large';
  /** Lifecycles for figure 1, `concurrency` in flight. */
  n: number;
  concurrency: number;
  /** The lifecycle figure alternates exception-desk and bare in this many rounds. */
  rounds: number;
  /** The metrics-cost figure runs `n` lifecycles with metrics on and `n` with them off, alternating in this many rounds each. */
  metricsRounds: number;
  warmup: number;
  historySample: number;
  /** Claims timed one at a time, warm cache and (if evictedSamples > 0) with a cache of evictedCache. */
  claimSamples: number;
  evictedSamples: number;
  evictedCache: number;
  intakeSingle: number;
  batchSize: number;
  /** Open exceptions for the listing (0: whatever is open plus one batch). */
  openTarget: number;
  /** The last part of openTarget, raised into a worker cache sized for it: the memory figure (0: none). */
  memTarget: number;
  /** Bare workflows parked on their first update for the memory baseline. */
  bareParked: number;
  /** Bare update-with-start calls, 32 at a time: the batch intake baseline. */
  bareForRate: number;
  listingSamples: number;
  visibilityPauseMs: number;
  escalations: number;
  slaSeconds: number;
  stepAfterSeconds: number;
  /** In-flight levels for figure 7; each level runs as many lifecycles as it has in flight. */
  sweep: number[];
  keep: boolean;
}

function parseArgs(argv: string[]): Params {
  const has = (flag: string) => argv.includes(flag);
  const value = (flag: string) => {
    const eq = argv.find((a) => a.startsWith(`${flag}=`));
    if (eq) return eq.slice(flag.length + 1);
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const known = new Set(['--quick', '--large', '--n', '--keep', '--cluster']);
  for (const a of argv) {
    if (a.startsWith('--') && !known.has(a.split('=')[0]!)) throw new Error(`unknown flag ${a}; use --quick, --large, --n <count>, --keep, --cluster`);
  }
  if (has('--cluster') && has('--large')) throw new Error('--large lists at 100k open on the dev server; with --cluster use --quick or --n');
  const quick = has('--quick');
  const large = has('--large');
  const nArg = value('--n');
  const n = nArg === undefined ? undefined : Number(nArg);
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new Error(`--n wants a positive integer, got ${nArg}`);
  // Full defaults are sized so the run takes about 25 minutes on 2 cores (docs/benchmarks.md).
  const base: Params = quick
    ? {
        mode: 'quick',
        n: 30,
        concurrency: 16,
        rounds: 2,
        metricsRounds: 2,
        warmup: 5,
        historySample: 5,
        claimSamples: 8,
        evictedSamples: 0,
        evictedCache: 2,
        intakeSingle: 20,
        batchSize: 30,
        openTarget: 0,
        memTarget: 0,
        bareParked: 0,
        bareForRate: 30,
        listingSamples: 5,
        visibilityPauseMs: 50,
        escalations: 20,
        slaSeconds: 1,
        stepAfterSeconds: 1,
        sweep: [],
        keep: false,
      }
    : {
        mode: large ? 'large' : 'full',
        n: 1000,
        concurrency: 64,
        rounds: 4,
        metricsRounds: 8,
        warmup: 50,
        historySample: 50,
        claimSamples: 200,
        evictedSamples: 100,
        evictedCache: 2,
        intakeSingle: 500,
        batchSize: 1000,
        openTarget: large ? 100_000 : 10_000,
        memTarget: 2500,
        bareParked: 1000,
        bareForRate: 1000,
        listingSamples: 60,
        visibilityPauseMs: 100,
        escalations: 2000,
        slaSeconds: 5,
        stepAfterSeconds: 1,
        sweep: [100, 250, 500, 1000],
        keep: false,
      };
  return { ...base, ...(n !== undefined ? { n } : {}), keep: has('--keep') };
}

function temporalVersion(stack: BenchStack): string {
  if (!stack.cliPath) return 'downloaded by the SDK';
  try {
    return execFileSync(stack.cliPath, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0] ?? 'unknown';
  } catch {
    return `unknown (${stack.cliPath})`;
  }
}

const metricsLine = (r: Results) =>
  `metrics cost ${r.metricsCost!.costPercent.toFixed(1)} % of lifecycle throughput (on ${r.metricsCost!.on.perSecond.toFixed(1)}/s vs off ${r.metricsCost!.off.perSecond.toFixed(1)}/s)`;

const calendarLine = (r: Results) =>
  `calendars: ${r.calendar!.micro.addUs} µs per 90-day window (fresh calendar ${r.calendar!.micro.freshCalendarUs} µs); lifecycle cost ${r.calendar!.cost.costPercent.toFixed(1)} % (on ${r.calendar!.cost.on.perSecond.toFixed(1)}/s vs off ${r.calendar!.cost.off.perSecond.toFixed(1)}/s)`;

const lifecycleLine = (r: Results) =>
  `lifecycle ${r.lifecycle!.ratio.toFixed(2)}x (exception-desk ${r.lifecycle!.desk.perSecond.toFixed(1)}/s vs bare ${r.lifecycle!.bare.perSecond.toFixed(1)}/s)`;

/** `--cluster`: the cluster run (bench/cluster.ts) with the same --quick, --n and --keep. */
function clusterParams(argv: string[], params: Params): ClusterParams {
  const quick = params.mode === 'quick';
  return {
    quick,
    n: argv.includes('--n') || argv.some((a) => a.startsWith('--n=')) ? params.n : quick ? 40 : 400,
    concurrency: quick ? 16 : 64,
    rounds: quick ? 2 : 4,
    warmup: quick ? 5 : 50,
    claimSamples: quick ? 10 : 200,
    keep: params.keep,
  };
}

async function main() {
  const argv = process.argv.slice(2);
  const params = parseArgs(argv);
  if (argv.includes('--cluster')) return runClusterBench(clusterParams(argv, params), `npm run bench -- ${argv.join(' ')}`);
  const loadAvgAtStart = os.loadavg();
  const started = new Date();
  const t0 = performance.now();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  log(`bench: ${params.mode} mode: ${JSON.stringify(params)}`);

  const stack = await startBenchStack(log, params.keep);
  const api = new Api(stack.api.url);
  const world = await buildWorld(api, { claimWithinS: params.slaSeconds, afterS: params.stepAfterSeconds }, BENCH_CALENDAR);
  const ctx: Ctx = { stack, api, world, client: stack.client, runId: randomUUID().slice(0, 8), log, serverPid: stack.serverPid };
  log(`bench: stack ready in ${elapsed()} (dev server ${Math.round(stack.timings.devServerMs!)} ms, bundles ${Math.round(stack.timings.bundleMs!)} ms); temp dir ${stack.tmp}`);

  const results: Results = {
    startedAt: started.toISOString(),
    finishedAt: '',
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    mode: params.mode,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: os.totalmem() / 1024 ** 3,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      temporalCli: temporalVersion(stack),
      loadAvgAtStart,
      loadAvgAtEnd: [],
    },
    params: { ...params },
    setupMs: stack.timings,
    claimLatency: {},
    sweep: [],
    overloadTexts: [],
    logSummary: [],
    serverLogSummary: [],
    targets: [],
    totalSeconds: 0,
  };
  const overload = new Set<string>();
  let failure: unknown;
  const scanLogs = (from: number) => [...new Set(stack.logLines.slice(from).filter((line) => OVERLOAD_PATTERN.test(line)))];
  const logSummary = () => {
    const counts = new Map<string, number>();
    for (const line of stack.logLines) counts.set(line, (counts.get(line) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([text, count]) => ({ text, count }));
  };
  const scanErrors = (...tops: Array<Array<{ text: string }>>) => tops.flat().map((e) => e.text).filter((t) => OVERLOAD_PATTERN.test(t));

  try {
    // Warm-up: JIT, connections, sandbox; not measured.
    await deskLifecycle(ctx, 'warmup', params.warmup, Math.min(params.concurrency, params.warmup));
    await bareLifecycle(ctx, 'warmup', params.warmup, Math.min(params.concurrency, params.warmup));

    log(`bench: [1] lifecycle, ${params.n} at ${params.concurrency} in flight, in ${params.rounds} alternating rounds (${elapsed()})`);
    // Alternating rounds, so a change in background load touches both sides alike.
    const deskRounds = [];
    const bareRounds = [];
    for (let r = 0; r < params.rounds; r++) {
      const size = Math.floor(params.n / params.rounds) + (r < params.n % params.rounds ? 1 : 0);
      deskRounds.push(await deskLifecycle(ctx, `lifecycle-${r}`, size, params.concurrency));
      bareRounds.push(await bareLifecycle(ctx, `lifecycle-${r}`, size, params.concurrency));
    }
    const history = {
      desk: await historyLength(ctx, deskRounds.flatMap((x) => x.ids), params.historySample),
      bare: await historyLength(ctx, bareRounds.flatMap((x) => x.ids), params.historySample),
    };
    const desk = combine(deskRounds);
    const bare = combine(bareRounds);
    results.lifecycle = { desk, bare, ratio: desk.perSecond / bare.perSecond, history, rounds: [deskRounds, bareRounds].map((side) => side.map((x) => round(x.perSecond))) };
    process.stdout.write(`${lifecycleLine(results)}\n`);
    const cpuText = (t: Throughput) => (t.cpu ? `server ${t.cpu.serverCores.toFixed(2)} cores, bench ${t.cpu.benchCores.toFixed(2)} cores, others ${t.cpu.otherCores.toFixed(2)} cores, main-thread ELU ${t.cpu.mainThreadElu.toFixed(2)}; hot threads ${t.cpu.hotThreads.map((h) => `${h.thread} ${h.cores.toFixed(2)}`).join(', ')}` : 'n/a');
    log(`bench:     cpu: exception-desk ${cpuText(desk)}; bare ${cpuText(bare)}`);
    for (const t of [...scanErrors(desk.errors.top, bare.errors.top), ...scanLogs(0)]) overload.add(t);

    log(`bench: [8] metrics cost, ${params.n} lifecycles with metrics on and ${params.n} with METRICS=off, at ${params.concurrency} in flight, in ${params.metricsRounds} alternating rounds each (${elapsed()})`);
    const markMetrics = stack.logLines.length;
    results.metricsCost = await metricsCost(ctx, { n: params.n, concurrency: params.concurrency, rounds: params.metricsRounds, warmup: params.warmup });
    process.stdout.write(`${metricsLine(results)}\n`);
    for (const t of [...scanErrors(results.metricsCost.on.errors.top, results.metricsCost.off.errors.top), ...scanLogs(markMetrics)]) overload.add(t);

    log(`bench: [9] business calendars: the pure computation, and ${params.n} lifecycles with calendars on and ${params.n} off (${elapsed()})`);
    results.calendar = { micro: calendarMicro(params.mode === 'quick' ? 2_000 : 20_000), cost: await calendarCost(ctx, { n: params.n, concurrency: params.concurrency, rounds: params.metricsRounds }) };
    process.stdout.write(`${calendarLine(results)}\n`);

    log(`bench: [2] claim latency, warm cache, ${params.claimSamples} one at a time (${elapsed()})`);
    results.claimLatency.warm = await claimLatency(ctx, 'warm', params.claimSamples, params.batchSize);

    for (const c of params.sweep) {
      log(`bench: [7] sweep, ${c} lifecycles all in flight (${elapsed()})`);
      const mark = stack.logLines.length;
      const serverMark = stack.serverLogOffset();
      const { ids: _sd, ...d } = await deskLifecycle(ctx, `sweep-${c}`, c, c);
      const { ids: _sb, ...b } = await bareLifecycle(ctx, `sweep-${c}`, c, c);
      const serverTexts = stack
        .serverLogSince(serverMark)
        .filter((l) => OVERLOAD_PATTERN.test(l.text))
        .map((l) => `temporal server: ${l.count}× ${l.text}`);
      const texts = [...new Set([...scanErrors(d.errors.top, b.errors.top), ...scanLogs(mark), ...serverTexts])];
      texts.forEach((t) => overload.add(t));
      results.sweep.push({ concurrency: c, desk: d, bare: b, overloadTexts: texts } satisfies SweepLevel);
      log(`bench:     c=${c}: exception-desk ${d.perSecond.toFixed(1)}/s (${d.errors.count} errors), bare ${b.perSecond.toFixed(1)}/s (${b.errors.count} errors)`);
    }

    if (params.evictedSamples > 0) {
      log(`bench: [2] claim latency, evicted (maxCachedWorkflows ${params.evictedCache} on both workers) (${elapsed()})`);
      await stack.restartWorkers({ maxCachedWorkflows: params.evictedCache });
      results.claimLatency.evicted = { ...(await claimLatency(ctx, 'evicted', params.evictedSamples, params.batchSize)), maxCachedWorkflows: params.evictedCache };
      await stack.restartWorkers({});
    }

    log(`bench: [6] escalation lateness, ${params.escalations} with a ${params.slaSeconds} s claim SLA (${elapsed()})`);
    const markEsc = stack.logLines.length;
    results.escalation = await escalationLateness(ctx, params.escalations, params.slaSeconds, params.stepAfterSeconds);
    for (const t of [...scanErrors(results.escalation.errors.top), ...scanLogs(markEsc)]) overload.add(t);

    // After 2k escalations the npm start worker is near its workflow-thread heap limit (see
    // docs/benchmarks.md); intake is measured on a fresh worker with the same settings.
    if (params.mode !== 'quick') await stack.restartWorkers({});
    log(`bench: [3] intake, ${params.intakeSingle} single at ${params.concurrency} in flight (${elapsed()})`);
    const single = await singleIntake(ctx, params.intakeSingle, params.concurrency);

    const openTarget = params.openTarget || (await openCount(ctx)) + params.batchSize;
    if (params.mode !== 'quick') {
      // The npm start settings cannot hold thousands of open exceptions: the workflow thread's
      // default old-space limit (about 4 GiB here) fills and the process eventually aborts. Raise it
      // for isolates created from now on (the restarted workflow threads); the main thread keeps its own.
      const limitMb = Math.floor((os.totalmem() / 1024 ** 2) * 0.8);
      v8.setFlagsFromString(`--max-old-space-size=${limitMb}`);
      results.params.workflowThreadOldSpaceMb = limitMb;
      await stack.restartWorkers({});
    }
    log(`bench: [3][5] batch intake to ${openTarget} open${params.memTarget ? `, the last ${params.memTarget} into a worker cache of ${params.memTarget + 1000} for the memory figure` : ''} (${elapsed()})`);
    const restartForMemory = () => stack.restartWorkers({ maxCachedWorkflows: params.memTarget + 1000 });
    const filled = await fillOpen(ctx, {
      openTarget,
      batchSize: params.batchSize,
      bareForRate: params.bareForRate,
      ...(params.memTarget ? { memory: { memTarget: params.memTarget, bareParked: params.bareParked, gc, restart: restartForMemory } } : {}),
    });
    results.intake = { single, batch: filled.batch };
    results.memory = filled.memory;

    log(`bench: [4] listing at ${filled.open} open, ${params.listingSamples} per filter (${elapsed()})`);
    results.listing = await listings(ctx, params.listingSamples, params.visibilityPauseMs);
    for (const t of scanLogs(0)) overload.add(t);

    log(`bench: [9] template versions: a rehearsal, and a preview over 10 000 open exceptions, on a ledger of their own (${elapsed()})`);
    results.templates = await templatePhase({ open: 10_000, runs: params.mode === 'quick' ? 10 : 25 });
  } catch (err) {
    failure = err;
    log(`bench: a phase failed: ${(err as Error).stack ?? String(err)}`);
  }

  results.finishedAt = new Date().toISOString();
  results.machine.loadAvgAtEnd = os.loadavg();
  results.totalSeconds = (performance.now() - t0) / 1000;
  results.overloadTexts = [...overload];
  results.logSummary = logSummary();
  results.serverLogSummary = stack.serverLogSince(0).slice(0, 15);
  for (const l of results.serverLogSummary) if (OVERLOAD_PATTERN.test(l.text)) results.overloadTexts.push(`temporal server: ${l.count}× ${l.text}`);
  results.targets = evaluateTargets(results);
  if (failure) results.failed = (failure as Error).message ?? String(failure);

  process.stdout.write(`\n${table(results)}\n\n`);
  for (const t of results.targets) process.stdout.write(`target ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.observed} (target ${t.target})\n`);
  process.stdout.write(`overload texts seen: ${results.overloadTexts.length ? results.overloadTexts.join(' | ') : 'none'}\n`);
  const jsonFile = writeJson(path.join(root, 'bench', 'results'), results);
  const rel = path.relative(root, jsonFile);
  process.stdout.write(`results: ${rel}\n`);
  if (params.mode !== 'quick' && !failure) {
    updateDocs(path.join(root, 'docs', 'benchmarks.md'), markdown(results, rel));
    process.stdout.write('docs/benchmarks.md updated\n');
  }
  if (results.lifecycle) process.stdout.write(`${lifecycleLine(results)}\n`);
  if (results.metricsCost) process.stdout.write(`${metricsLine(results)}\n`);
  if (results.calendar) process.stdout.write(`${calendarLine(results)}\n`);
  process.stdout.write(`total ${results.totalSeconds.toFixed(1)} s (measurements; stopping follows)\n`);

  // A worker holding thousands of cached workflows takes a while to evict them all; the figures are
  // already written, so stopping gets 30 s before the process exits anyway (the server is our child).
  log(`bench: stopping (${elapsed()})`);
  await Promise.race([stack.close(), new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
  if (failure) throw failure;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
