import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import os from 'node:os';
import { sql } from 'kysely';
import type { bareLifecycleWorkflow, bareTimerWorkflow } from './baseline-workflows.js';
import { cpuMeter, type CpuUse } from './procstat.js';
import { BARE_QUEUE, type BenchStack } from './stack.js';
import { ErrorLog, percentiles, pool, sleep, timed, type Percentiles } from './stats.js';
import { CAPABILITY, exceptionPath, FAST_CAPABILITY, intake, problemText, type Api, type World } from './world.js';

export interface Ctx {
  stack: BenchStack;
  api: Api;
  world: World;
  client: Client;
  runId: string;
  log: (line: string) => void;
}

/** Errors of one measurement, in a JSON-friendly shape. */
export interface ErrorSummary {
  count: number;
  top: Array<{ text: string; count: number }>;
}
export const summary = (errors: ErrorLog): ErrorSummary => ({ count: errors.total, top: errors.top() });

export interface Throughput {
  items: number;
  completed: number;
  concurrency: number;
  seconds: number;
  perSecond: number;
  errors: ErrorSummary;
  cpu?: CpuUse;
}

const meter = (ctx: Ctx) => cpuMeter(ctx.stack.serverPid);

/** Several runs of the same measurement as one: rates over the summed time, CPU weighted by time. */
export function combine<T extends Throughput>(parts: T[]): Throughput {
  const seconds = parts.reduce((s, p) => s + p.seconds, 0);
  const completed = parts.reduce((s, p) => s + p.completed, 0);
  const texts = new Map<string, number>();
  for (const p of parts) for (const e of p.errors.top) texts.set(e.text, (texts.get(e.text) ?? 0) + e.count);
  const weighted = (pick: (c: CpuUse) => number) => parts.reduce((s, p) => s + (p.cpu ? pick(p.cpu) * p.seconds : 0), 0) / seconds;
  const cpu: CpuUse | undefined = parts.every((p) => p.cpu)
    ? {
        seconds,
        serverCores: weighted((c) => c.serverCores),
        benchCores: weighted((c) => c.benchCores),
        otherCores: weighted((c) => c.otherCores),
        mainThreadElu: weighted((c) => c.mainThreadElu),
        hotThreads: parts.at(-1)!.cpu!.hotThreads,
      }
    : undefined;
  return {
    items: parts.reduce((s, p) => s + p.items, 0),
    completed,
    concurrency: parts[0]!.concurrency,
    seconds,
    perSecond: completed / seconds,
    errors: {
      count: parts.reduce((s, p) => s + p.errors.count, 0),
      top: [...texts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([text, count]) => ({ text, count })),
    },
    ...(cpu ? { cpu } : {}),
  };
}

const RESOLVE = { code: 'corrected-and-released', valueEvent: 'recommendation-corrected' };
const bareId = (ctx: Ctx, tag: string, i: number) => `bare:${ctx.runId}:${tag}:${i}`;
const sourceKey = (ctx: Ctx, tag: string, i: number) => `${ctx.runId}-${tag}-${i}`;

// ---------------------------------------------------------------------------------------------
// Building blocks

/** POST /api/v1/exceptions:batch in chunks; returns the ids created, in order. */
export async function deskBatchIntake(ctx: Ctx, capability: string, tag: string, n: number, batchSize: number, errors: ErrorLog): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const items = Array.from({ length: Math.min(batchSize, n - start) }, (_, k) => intake(capability, sourceKey(ctx, tag, start + k), start + k));
    const reply = await ctx.api.post<{ results: Array<{ status: number; id?: string; problem?: { title: string; detail: string } }> }>(
      '/api/v1/exceptions:batch',
      ctx.world.integration,
      { items },
    );
    if (reply.status !== 200) {
      errors.add(problemText(reply));
      continue;
    }
    for (const r of reply.body.results) {
      if (r.status === 201 && r.id) ids.push(r.id);
      else errors.add(`item HTTP ${r.status} ${r.problem?.title ?? ''}: ${r.problem?.detail ?? ''}`);
    }
  }
  return ids;
}

/** Starts bare lifecycle workflows (no update yet); they wait for their two updates. */
async function bareStarts(ctx: Ctx, tag: string, n: number, concurrency: number, errors: ErrorLog): Promise<string[]> {
  const ids: string[] = [];
  await pool(
    n,
    concurrency,
    async (i) => {
      const workflowId = bareId(ctx, tag, i);
      await ctx.client.workflow.start<typeof bareLifecycleWorkflow>('bareLifecycleWorkflow', { workflowId, taskQueue: BARE_QUEUE, args: [] });
      ids.push(workflowId);
    },
    errors,
  );
  return ids;
}

/** The bare analogue of an intake: update-with-start, as the API's intake does. */
function bareIntake(ctx: Ctx, workflowId: string) {
  return ctx.client.workflow.executeUpdateWithStart('bareStep', {
    args: ['intake'],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof bareLifecycleWorkflow>('bareLifecycleWorkflow', {
      workflowId,
      taskQueue: BARE_QUEUE,
      args: [],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}

const bareUpdate = (ctx: Ctx, workflowId: string, step: string) => ctx.client.workflow.getHandle(workflowId).executeUpdate('bareStep', { args: [step] });

/** Count of open exceptions straight from the ledger (there is no count endpoint). */
export async function openCount(ctx: Ctx): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from exceptions where status = 'open'`.execute(ctx.stack.ledger);
  return Number(rows[0]?.n ?? 0);
}

// ---------------------------------------------------------------------------------------------
// 1 and 7: the lifecycle, through the API, against start + two updates + completion

export async function deskLifecycle(ctx: Ctx, tag: string, n: number, concurrency: number): Promise<Throughput & { ids: string[] }> {
  const errors = new ErrorLog();
  const ids: string[] = [];
  const cpu = meter(ctx);
  const ms = await pool(
    n,
    concurrency,
    async (i) => {
      const raised = await ctx.api.post('/api/v1/exceptions', ctx.world.integration, intake(CAPABILITY, sourceKey(ctx, tag, i), i));
      if (raised.status !== 201) return errors.add(`intake ${problemText(raised)}`);
      const id = (raised.body as { id: string }).id;
      const claimed = await ctx.api.post(`${exceptionPath(id)}/claim`, ctx.world.operator, {});
      if (claimed.status !== 200) return errors.add(`claim ${problemText(claimed)}`);
      const resolved = await ctx.api.post(`${exceptionPath(id)}/resolve`, ctx.world.operator, RESOLVE);
      if (resolved.status !== 200) return errors.add(`resolve ${problemText(resolved)}`);
      await ctx.client.workflow.getHandle(id).result();
      ids.push(id);
    },
    errors,
  );
  return { items: n, completed: ids.length, concurrency, seconds: ms / 1000, perSecond: ids.length / (ms / 1000), errors: summary(errors), cpu: cpu(), ids };
}

export async function bareLifecycle(ctx: Ctx, tag: string, n: number, concurrency: number): Promise<Throughput & { ids: string[] }> {
  const errors = new ErrorLog();
  const ids: string[] = [];
  const cpu = meter(ctx);
  const ms = await pool(
    n,
    concurrency,
    async (i) => {
      const workflowId = bareId(ctx, tag, i);
      const handle = await ctx.client.workflow.start<typeof bareLifecycleWorkflow>('bareLifecycleWorkflow', { workflowId, taskQueue: BARE_QUEUE, args: [] });
      await handle.executeUpdate('bareStep', { args: ['claim'] });
      await handle.executeUpdate('bareStep', { args: ['resolve'] });
      await handle.result();
      ids.push(workflowId);
    },
    errors,
  );
  return { items: n, completed: ids.length, concurrency, seconds: ms / 1000, perSecond: ids.length / (ms / 1000), errors: summary(errors), cpu: cpu(), ids };
}

/** Average number of history events per workflow, over a sample. */
export async function historyLength(ctx: Ctx, ids: string[], sample: number): Promise<{ sampled: number; avgEvents: number; min: number; max: number }> {
  const step = Math.max(1, Math.floor(ids.length / sample));
  const chosen = ids.filter((_, i) => i % step === 0).slice(0, sample);
  const lengths: number[] = [];
  await pool(chosen.length, 8, async (i) => {
    const history = await ctx.client.workflow.getHandle(chosen[i]!).fetchHistory();
    lengths.push(history.events?.length ?? 0);
  });
  return {
    sampled: lengths.length,
    avgEvents: lengths.reduce((s, x) => s + x, 0) / Math.max(1, lengths.length),
    min: Math.min(...lengths),
    max: Math.max(...lengths),
  };
}

// ---------------------------------------------------------------------------------------------
// 2: claim latency, one at a time

export interface LatencyPair {
  desk: Percentiles;
  bare: Percentiles;
  deskErrors: ErrorSummary;
  bareErrors: ErrorSummary;
}

/** Raises `n` exceptions (and starts `n` bare workflows), then claims (updates) each one at a time. */
export async function claimLatency(ctx: Ctx, tag: string, n: number, batchSize: number): Promise<LatencyPair> {
  const deskErrors = new ErrorLog();
  const bareErrors = new ErrorLog();
  const ids = await deskBatchIntake(ctx, CAPABILITY, tag, n, batchSize, deskErrors);
  const bareIds = await bareStarts(ctx, tag, n, 32, bareErrors);
  await sleep(500);

  const desk: number[] = [];
  for (const id of ids) {
    const reply = await ctx.api.post(`${exceptionPath(id)}/claim`, ctx.world.operator, {});
    if (reply.status === 200) desk.push(reply.ms);
    else deskErrors.add(`claim ${problemText(reply)}`);
  }
  const bare: number[] = [];
  for (const id of bareIds) {
    try {
      const { ms } = await timed(() => bareUpdate(ctx, id, 'claim'));
      bare.push(ms);
    } catch (err) {
      bareErrors.addError(err);
    }
  }
  // Close them so later phases start from the same state.
  await pool(ids.length, 32, async (i) => {
    const reply = await ctx.api.post(`${exceptionPath(ids[i]!)}/resolve`, ctx.world.operator, RESOLVE);
    if (reply.status !== 200) deskErrors.add(`cleanup resolve ${problemText(reply)}`);
  });
  await pool(bareIds.length, 32, async (i) => void (await bareUpdate(ctx, bareIds[i]!, 'resolve')), bareErrors);
  return { desk: percentiles(desk), bare: percentiles(bare), deskErrors: summary(deskErrors), bareErrors: summary(bareErrors) };
}

// ---------------------------------------------------------------------------------------------
// 3: intake rates

export interface IntakeResult {
  single: { desk: Throughput; bare: Throughput };
  batch: { desk: Throughput & { batchSize: number }; bare: Throughput };
}

/** `n` single intakes over HTTP with `concurrency` in flight, beside bare update-with-start. */
export async function singleIntake(ctx: Ctx, n: number, concurrency: number): Promise<{ desk: Throughput; bare: Throughput }> {
  const deskErrors = new ErrorLog();
  let deskOk = 0;
  const deskCpu = meter(ctx);
  const deskMs = await pool(
    n,
    concurrency,
    async (i) => {
      const reply = await ctx.api.post('/api/v1/exceptions', ctx.world.integration, intake(CAPABILITY, sourceKey(ctx, 'intake', i), i));
      if (reply.status === 201) deskOk += 1;
      else deskErrors.add(problemText(reply));
    },
    deskErrors,
  );
  const desk = throughput(n, deskOk, concurrency, deskMs, deskErrors, deskCpu());
  const bare = await bareIntakes(ctx, 'intake', n, concurrency);
  return { desk, bare };
}

function throughput(items: number, ok: number, concurrency: number, ms: number, errors: ErrorLog, cpu?: CpuUse): Throughput {
  return { items, completed: ok, concurrency, seconds: ms / 1000, perSecond: ok / (ms / 1000), errors: summary(errors), ...(cpu ? { cpu } : {}) };
}

/** Bare update-with-start, `concurrency` at a time; the workflows stay open, waiting for their second update. */
async function bareIntakes(ctx: Ctx, tag: string, n: number, concurrency: number): Promise<Throughput> {
  const errors = new ErrorLog();
  let ok = 0;
  const cpu = meter(ctx);
  const ms = await pool(
    n,
    concurrency,
    async (i) => {
      await bareIntake(ctx, bareId(ctx, tag, i));
      ok += 1;
    },
    errors,
  );
  return throughput(n, ok, concurrency, ms, errors, cpu());
}

/** Batches of `batchSize` through POST /api/v1/exceptions:batch, one request at a time. */
export async function batchIntake(ctx: Ctx, tag: string, n: number, batchSize: number, errors = new ErrorLog()): Promise<Throughput & { batchSize: number }> {
  const cpu = meter(ctx);
  const { ms, value: ids } = await timed(() => deskBatchIntake(ctx, CAPABILITY, tag, n, batchSize, errors));
  return { ...throughput(n, ids.length, 1, ms, errors, cpu()), batchSize };
}

/** The bare analogue of a batch: the handler raises its items 32 at a time, so update-with-start 32 at a time. */
export const bareBatchAnalogue = (ctx: Ctx, tag: string, n: number) => bareIntakes(ctx, tag, n, 32);

// ---------------------------------------------------------------------------------------------
// 4 and 5: memory per cached open exception, and queue listings, at `openTarget` open

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  cached: number;
}

export interface MemoryResult {
  method: string;
  desk: { before: MemorySample; after: MemorySample; cachedDelta: number; rssDeltaMb: number; perCachedMb: number; openAtMeasurement: number; stoppedEarly: string | null };
  /** Batch intake while the big cache filled (not the npm start settings). */
  intake?: Throughput;
  bare: { before: MemorySample; after: MemorySample; cachedDelta: number; rssDeltaMb: number; perCachedMb: number };
}

export interface ListingResult {
  open: number;
  rowsInLedger: number;
  samples: number;
  queries: Array<{ name: string; query: string; visibilityQuery: string | null; items: number; desk: Percentiles; bare: Percentiles | null; errors: ErrorSummary }>;
}

const MB = 1024 * 1024;
const LOW_MEMORY = 4 * 1024 ** 3;

/** RSS after a full main-thread GC and a short settle; `cached` is the worker's own count. */
async function memorySample(gc: () => void, cached: () => number): Promise<MemorySample> {
  gc();
  await sleep(1500);
  gc();
  const m = process.memoryUsage();
  return { rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB, externalMb: m.external / MB, cached: cached() };
}

export const MEMORY_METHOD =
  'Process RSS (process.memoryUsage().rss) of the single bench process, which hosts the worker, the API and the load generator, ' +
  'sampled after a forced main-thread GC and a 1.5 s settle, before and after the worker cache filled, with both workers freshly ' +
  "restarted with maxCachedWorkflows large enough to hold every new workflow (and V8's old-space limit raised for the new " +
  "workflow threads, which would otherwise stop near 4 GiB). The RSS growth is divided by the growth of the worker's " +
  'own worker.getStatus().numCachedWorkflows. The API and the load generator keep no per-exception state (main-thread heapUsed is ' +
  'reported beside it), so the growth is the workflow cache: workflow state in the workflow thread\'s V8 isolate and the Rust core ' +
  'run state; it also includes garbage the workflow thread has not collected yet and malloc arenas not returned to the OS, so it is an upper bound.';

/**
 * Raises exceptions through the batch endpoint until `openTarget` are open. Part A runs on the
 * workers as they are (npm start settings) and gives the batch intake rate, beside bare
 * update-with-start 32 at a time. Part B (with `memory`) restarts both workers with a cache for
 * `memTarget`, samples RSS, raises the last `memTarget` exceptions and samples again; then parks
 * `bareParked` bare workflows on their first update the same way.
 */
export async function fillOpen(
  ctx: Ctx,
  opts: {
    openTarget: number;
    batchSize: number;
    bareForRate: number;
    memory?: { memTarget: number; bareParked: number; gc: () => void; restart: () => Promise<void> };
  },
): Promise<{ memory?: MemoryResult; batch: { desk: Throughput & { batchSize: number }; bare: Throughput }; open: number }> {
  const { stack } = ctx;
  const errors = new ErrorLog();
  const startOpen = await openCount(ctx);
  const toCreate = Math.max(0, opts.openTarget - startOpen);
  const memPart = opts.memory ? Math.min(opts.memory.memTarget, toCreate) : 0;
  const partA = toCreate - memPart;
  ctx.log(`bench:   ${startOpen} open; raising ${partA} through the batch endpoint in batches of ${opts.batchSize}${opts.memory ? `, then ${memPart} for the memory figure` : ''}`);

  const raise = async (tag: string, n: number) => {
    const parts: Array<Throughput & { batchSize: number }> = [];
    for (let made = 0; made < n; made += opts.batchSize) parts.push(await batchIntake(ctx, `${tag}-${made}`, Math.min(opts.batchSize, n - made), opts.batchSize, errors));
    return parts;
  };
  const partsA = await raise('open', partA);
  const bare = await bareBatchAnalogue(ctx, 'rate', opts.bareForRate);

  let memory: MemoryResult | undefined;
  if (opts.memory) {
    const { gc, restart, bareParked } = opts.memory;
    await restart();
    const deskCached = () => stack.desk.worker.getStatus().numCachedWorkflows;
    const bareCached = () => stack.bare.worker.getStatus().numCachedWorkflows;
    const deskBefore = await memorySample(gc, deskCached);
    // A batch at a time, stopping early if the machine runs short of memory (others share it).
    const partsB: Throughput[] = [];
    let stoppedEarly: string | null = null;
    for (let made = 0; made < memPart; made += opts.batchSize) {
      partsB.push(await batchIntake(ctx, `mem-${made}`, Math.min(opts.batchSize, memPart - made), opts.batchSize, errors));
      if (os.freemem() < LOW_MEMORY) {
        stoppedEarly = `stopped filling the cache at ${deskCached()} cached: free memory fell to ${(os.freemem() / 1024 ** 3).toFixed(1)} GiB`;
        ctx.log(`bench:   ${stoppedEarly}`);
        break;
      }
    }
    const deskAfter = await memorySample(gc, deskCached);
    const openAtMeasurement = await openCount(ctx);
    const bareBefore = await memorySample(gc, bareCached);
    await bareStarts(ctx, 'parked', bareParked, 32, errors);
    for (let i = 0; i < 60 && bareCached() < bareBefore.cached + bareParked * 0.99; i++) await sleep(500);
    const bareAfter = await memorySample(gc, bareCached);
    const deskCachedDelta = deskAfter.cached - deskBefore.cached;
    const bareCachedDelta = bareAfter.cached - bareBefore.cached;
    memory = {
      method: MEMORY_METHOD,
      desk: {
        before: deskBefore,
        after: deskAfter,
        cachedDelta: deskCachedDelta,
        rssDeltaMb: deskAfter.rssMb - deskBefore.rssMb,
        perCachedMb: (deskAfter.rssMb - deskBefore.rssMb) / Math.max(1, deskCachedDelta),
        openAtMeasurement,
        stoppedEarly,
      },
      bare: {
        before: bareBefore,
        after: bareAfter,
        cachedDelta: bareCachedDelta,
        rssDeltaMb: bareAfter.rssMb - bareBefore.rssMb,
        perCachedMb: (bareAfter.rssMb - bareBefore.rssMb) / Math.max(1, bareCachedDelta),
      },
      ...(partsB.length ? { intake: combine(partsB) } : {}),
    };
  }

  // A batch answered 500 may still have raised some of its items; top up whatever is missing.
  for (let attempt = 0; attempt < 3; attempt++) {
    const short = opts.openTarget - (await openCount(ctx));
    if (short <= 0) break;
    ctx.log(`bench:   ${short} short of ${opts.openTarget} open (failed batches); topping up`);
    await raise(`top-up-${attempt}`, short);
  }
  const desk = partsA.length
    ? { ...combine(partsA), concurrency: 1, batchSize: opts.batchSize, errors: summary(errors) }
    : { items: 0, completed: 0, concurrency: 1, seconds: 0, perSecond: NaN, errors: summary(errors), batchSize: opts.batchSize };
  return { memory, batch: { desk, bare }, open: await openCount(ctx) };
}

export async function listings(ctx: Ctx, samples: number, visibilityPauseMs: number): Promise<ListingResult> {
  const open = await openCount(ctx);
  const { rows } = await sql<{ n: number }>`select count(*) as n from exceptions`.execute(ctx.stack.ledger);
  const owner = ctx.world.ownerOf.NA!;
  const queries = [
    { name: 'open NA by deadline', query: 'status=open&region=NA&sort=deadline', visibilityQuery: `ExceptionStatus = 'open' AND ExceptionRegion = 'NA'` },
    { name: 'open of one owner', query: `status=open&owner=${owner}`, visibilityQuery: `ExceptionStatus = 'open' AND ExceptionOwner = '${owner}'` },
    // Visibility has no deadline attribute; escalated is the closest analogue of overdue it can answer.
    { name: 'overdue', query: 'overdue=true', visibilityQuery: `ExceptionStatus = 'open' AND ExceptionEscalationLevel > 0` },
    { name: 'escalated EU by deadline', query: 'escalated=true&region=EU&sort=deadline', visibilityQuery: `ExceptionEscalationLevel > 0 AND ExceptionRegion = 'EU'` },
    { name: 'open of a capability, newest first', query: `status=open&capability=${CAPABILITY}`, visibilityQuery: `ExceptionStatus = 'open' AND ExceptionCapability = '${CAPABILITY}'` },
  ];
  const results: ListingResult['queries'] = [];
  for (const q of queries) {
    const errors = new ErrorLog();
    const desk: number[] = [];
    let items = 0;
    for (let i = 0; i < samples; i++) {
      const reply = await ctx.api.get<{ items: unknown[] }>(`/api/v1/exceptions?${q.query}`, ctx.world.operator);
      if (reply.status === 200) {
        desk.push(reply.ms);
        items = reply.body.items.length;
      } else errors.add(problemText(reply));
    }
    // The dev server rate-limits visibility calls per namespace; pace them so no call is throttled.
    const bare: number[] = [];
    for (let i = 0; i < samples; i++) {
      try {
        const { ms } = await timed(() =>
          ctx.client.workflowService.listWorkflowExecutions({ namespace: ctx.stack.target.namespace, pageSize: 50, query: q.visibilityQuery }),
        );
        bare.push(ms);
      } catch (err) {
        errors.addError(err);
      }
      await sleep(visibilityPauseMs);
    }
    results.push({ name: q.name, query: q.query, visibilityQuery: q.visibilityQuery, items, desk: percentiles(desk), bare: percentiles(bare), errors: summary(errors) });
  }
  return { open, rowsInLedger: Number(rows[0]?.n ?? 0), samples, queries: results };
}

// ---------------------------------------------------------------------------------------------
// 6: escalation timer lateness

export interface LatenessResult {
  slaSeconds: number;
  stepAfterSeconds: number;
  desk: { exceptions: number; escalated: number; lateness: Percentiles; early: number; earliestMs: number | null; intakeSeconds: number; intakeCpu: CpuUse };
  bare: { workflows: number; fired: number; lateness: Percentiles; early: number; earliestMs: number | null };
  errors: ErrorSummary;
}

/**
 * Raises `n` exceptions with a short claim SLA in batches of 100; right after each batch the same
 * number of bare timer workflows (due after SLA + step) start, so both see the same arrival rate
 * and the same load. Then reads each exception's `escalated` event from its timeline.
 */
export async function escalationLateness(ctx: Ctx, n: number, slaSeconds: number, afterSeconds: number): Promise<LatenessResult> {
  const errors = new ErrorLog();
  const delayMs = (slaSeconds + afterSeconds) * 1000;
  const chunk = 100;
  const ids: string[] = [];
  const bareIds: string[] = [];
  const bareStarting: Array<Promise<unknown>> = [];
  const cpu = meter(ctx);
  const t0 = performance.now();
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    ids.push(...(await deskBatchIntake(ctx, FAST_CAPABILITY, `sla-${start}`, size, size, errors)));
    bareStarting.push(
      pool(
        size,
        32,
        async (k) => {
          const workflowId = bareId(ctx, 'timer', start + k);
          await ctx.client.workflow.start<typeof bareTimerWorkflow>('bareTimerWorkflow', { workflowId, taskQueue: BARE_QUEUE, args: [delayMs] });
          bareIds.push(workflowId);
        },
        errors,
      ),
    );
  }
  const intakeMs = performance.now() - t0;
  await Promise.all(bareStarting);
  const intakeCpu = cpu();
  await sleep(delayMs + 1500);

  const lateness = new Map<string, number>();
  const deadline = Date.now() + 90_000;
  while (lateness.size < ids.length && Date.now() < deadline) {
    const pending = ids.filter((id) => !lateness.has(id));
    await pool(pending.length, 16, async (i) => {
      const id = pending[i]!;
      const reply = await ctx.api.get<{ items: Array<{ action: string; at: string; detail: { dueAt?: string } }> }>(`${exceptionPath(id)}/timeline`, ctx.world.operator);
      if (reply.status !== 200) return errors.add(`timeline ${problemText(reply)}`);
      const event = reply.body.items.find((e) => e.action === 'escalated' && e.detail.dueAt);
      if (event) lateness.set(id, Date.parse(event.at) - Date.parse(event.detail.dueAt!));
    });
    if (lateness.size < ids.length) await sleep(1000);
  }
  const deskLate = [...lateness.values()];

  const bareLate: number[] = [];
  await pool(
    bareIds.length,
    64,
    async (i) => {
      const { dueAt, firedAt } = await ctx.client.workflow.getHandle<typeof bareTimerWorkflow>(bareIds[i]!).result();
      bareLate.push(firedAt - dueAt);
    },
    errors,
  );
  const early = (xs: number[]) => xs.filter((x) => x < 0);
  const earliest = (xs: number[]) => (early(xs).length ? Math.min(...xs) : null);
  return {
    slaSeconds,
    stepAfterSeconds: afterSeconds,
    desk: { exceptions: ids.length, escalated: deskLate.length, lateness: percentiles(deskLate), early: early(deskLate).length, earliestMs: earliest(deskLate), intakeSeconds: intakeMs / 1000, intakeCpu },
    bare: { workflows: bareIds.length, fired: bareLate.length, lateness: percentiles(bareLate), early: early(bareLate).length, earliestMs: earliest(bareLate) },
    errors: summary(errors),
  };
}
