import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { bareLifecycleWorkflow, bareTimerWorkflow } from './baseline-workflows.js';
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
  return { items: n, completed: ids.length, concurrency, seconds: ms / 1000, perSecond: ids.length / (ms / 1000), errors: summary(errors), ids };
}

export async function bareLifecycle(ctx: Ctx, tag: string, n: number, concurrency: number): Promise<Throughput & { ids: string[] }> {
  const errors = new ErrorLog();
  const ids: string[] = [];
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
  return { items: n, completed: ids.length, concurrency, seconds: ms / 1000, perSecond: ids.length / (ms / 1000), errors: summary(errors), ids };
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
  batch: { desk: Throughput & { batchSize: number; batches: number }; bare: Throughput };
}

export async function intakeRates(ctx: Ctx, single: number, concurrency: number, batchSize: number, batches: number): Promise<IntakeResult> {
  const deskSingleErrors = new ErrorLog();
  let deskSingleOk = 0;
  const deskSingleMs = await pool(
    single,
    concurrency,
    async (i) => {
      const reply = await ctx.api.post('/api/v1/exceptions', ctx.world.integration, intake(CAPABILITY, sourceKey(ctx, 'intake', i), i));
      if (reply.status === 201) deskSingleOk += 1;
      else deskSingleErrors.add(problemText(reply));
    },
    deskSingleErrors,
  );
  const bareSingleErrors = new ErrorLog();
  let bareSingleOk = 0;
  const bareSingleMs = await pool(
    single,
    concurrency,
    async (i) => {
      await bareIntake(ctx, bareId(ctx, 'intake', i));
      bareSingleOk += 1;
    },
    bareSingleErrors,
  );

  const total = batchSize * batches;
  const deskBatchErrors = new ErrorLog();
  const { ms: deskBatchMs, value: batchIds } = await timed(() => deskBatchIntake(ctx, CAPABILITY, 'batch', total, batchSize, deskBatchErrors));
  // The batch handler raises its items 32 at a time; the bare analogue does the same through the client.
  const bareBatchErrors = new ErrorLog();
  let bareBatchOk = 0;
  const bareBatchMs = await pool(
    total,
    32,
    async (i) => {
      await bareIntake(ctx, bareId(ctx, 'batch', i));
      bareBatchOk += 1;
    },
    bareBatchErrors,
  );
  const rate = (ok: number, ms: number) => ok / (ms / 1000);
  return {
    single: {
      desk: { items: single, completed: deskSingleOk, concurrency, seconds: deskSingleMs / 1000, perSecond: rate(deskSingleOk, deskSingleMs), errors: summary(deskSingleErrors) },
      bare: { items: single, completed: bareSingleOk, concurrency, seconds: bareSingleMs / 1000, perSecond: rate(bareSingleOk, bareSingleMs), errors: summary(bareSingleErrors) },
    },
    batch: {
      desk: {
        items: total,
        completed: batchIds.length,
        concurrency: 1,
        batchSize,
        batches,
        seconds: deskBatchMs / 1000,
        perSecond: rate(batchIds.length, deskBatchMs),
        errors: summary(deskBatchErrors),
      },
      bare: { items: total, completed: bareBatchOk, concurrency: 32, seconds: bareBatchMs / 1000, perSecond: rate(bareBatchOk, bareBatchMs), errors: summary(bareBatchErrors) },
    },
  };
}

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
  desk: { before: MemorySample; after: MemorySample; cachedDelta: number; rssDeltaMb: number; perCachedMb: number; openAtMeasurement: number };
  bare: { before: MemorySample; after: MemorySample; cachedDelta: number; rssDeltaMb: number; perCachedMb: number };
}

export interface ListingResult {
  open: number;
  rowsInLedger: number;
  samples: number;
  queries: Array<{ name: string; query: string; visibilityQuery: string | null; items: number; desk: Percentiles; bare: Percentiles | null; errors: ErrorSummary }>;
}

const MB = 1024 * 1024;

/** RSS after a full main-thread GC and a short settle; `cached` is the worker's own count. */
async function memorySample(gc: () => void, cached: () => number): Promise<MemorySample> {
  gc();
  await sleep(1500);
  gc();
  const m = process.memoryUsage();
  return { rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB, externalMb: m.external / MB, cached: cached() };
}

/**
 * Brings the ledger to `openTarget` open exceptions with a worker whose cache can hold `memTarget`
 * of them; samples process RSS before and after the cache fills (see MemoryResult.method); then
 * does the same for bare workflows parked on their first update; then times the listings.
 */
export async function memoryAndListing(
  ctx: Ctx,
  opts: { openTarget: number; memTarget: number; batchSize: number; listingSamples: number; gc: () => void },
): Promise<{ memory: MemoryResult; listing: ListingResult; errors: ErrorSummary }> {
  const errors = new ErrorLog();
  const { stack } = ctx;
  const deskCached = () => stack.desk.worker.getStatus().numCachedWorkflows;
  const bareCached = () => stack.bare.worker.getStatus().numCachedWorkflows;

  const deskBefore = await memorySample(opts.gc, deskCached);
  // Exceptions already open (from the escalation phase) are loaded into this worker's cache by a query.
  const existing = (await stack.ledger.selectFrom('exceptions').select('id').where('status', '=', 'open').limit(opts.memTarget).execute()).map((r) => r.id);
  await pool(existing.length, 32, async (i) => void (await ctx.client.workflow.getHandle(existing[i]!).query('getException')), errors);
  const toMem = Math.max(0, opts.memTarget - existing.length);
  ctx.log(`bench:   ${existing.length} open exceptions loaded into the cache; raising ${toMem} more through the batch endpoint`);
  await deskBatchIntake(ctx, CAPABILITY, 'open', toMem, opts.batchSize, errors);
  const deskAfter = await memorySample(opts.gc, deskCached);
  const openAtMeasurement = await openCount(ctx);

  let open = openAtMeasurement;
  if (open < opts.openTarget) {
    ctx.log(`bench:   raising ${opts.openTarget - open} more to reach ${opts.openTarget} open`);
    const more = opts.openTarget - open;
    // Keys continue after the ones above, so none is a duplicate.
    for (let start = 0; start < more; start += opts.batchSize) {
      await deskBatchIntake(ctx, CAPABILITY, `open-more-${start}`, Math.min(opts.batchSize, more - start), opts.batchSize, errors);
    }
    open = await openCount(ctx);
  }

  const bareBefore = await memorySample(opts.gc, bareCached);
  await bareStarts(ctx, 'parked', opts.memTarget, 32, errors);
  // Wait for the first workflow tasks to finish so the workflows are in the cache.
  for (let i = 0; i < 60 && bareCached() < bareBefore.cached + opts.memTarget * 0.99; i++) await sleep(500);
  const bareAfter = await memorySample(opts.gc, bareCached);

  const deskDelta = deskAfter.rssMb - deskBefore.rssMb;
  const bareDelta = bareAfter.rssMb - bareBefore.rssMb;
  const memory: MemoryResult = {
    method:
      'Process RSS (process.memoryUsage().rss) of the single bench process, which hosts the worker, the API and the load generator; ' +
      'sampled after a forced main-thread GC and a 1.5 s settle, before and after the worker cache filled. Divided by the growth in ' +
      "worker.getStatus().numCachedWorkflows. The API and load generator hold no per-exception state, so the delta is the worker's " +
      '(workflow isolate in its thread, Rust core cache, sticky state); it also includes garbage not yet collected in the workflow thread.',
    desk: {
      before: deskBefore,
      after: deskAfter,
      cachedDelta: deskAfter.cached - deskBefore.cached,
      rssDeltaMb: deskDelta,
      perCachedMb: deskDelta / Math.max(1, deskAfter.cached - deskBefore.cached),
      openAtMeasurement,
    },
    bare: {
      before: bareBefore,
      after: bareAfter,
      cachedDelta: bareAfter.cached - bareBefore.cached,
      rssDeltaMb: bareDelta,
      perCachedMb: bareDelta / Math.max(1, bareAfter.cached - bareBefore.cached),
    },
  };

  const listing = await listings(ctx, opts.listingSamples, open);
  return { memory, listing, errors: summary(errors) };
}

async function listings(ctx: Ctx, samples: number, open: number): Promise<ListingResult> {
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
      await sleep(120);
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
  desk: { exceptions: number; escalated: number; lateness: Percentiles; early: number; earliestMs: number | null; intakeSeconds: number };
  bare: { workflows: number; fired: number; lateness: Percentiles; early: number; earliestMs: number | null };
  errors: ErrorSummary;
}

export async function escalationLateness(ctx: Ctx, n: number, slaSeconds: number, afterSeconds: number, batchSize: number): Promise<LatenessResult> {
  const errors = new ErrorLog();
  const { ms: intakeMs, value: ids } = await timed(() => deskBatchIntake(ctx, FAST_CAPABILITY, 'sla', n, batchSize, errors));
  await sleep((slaSeconds + afterSeconds) * 1000 + 1500);

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

  const delayMs = (slaSeconds + afterSeconds) * 1000;
  const bareIds: string[] = [];
  await pool(
    n,
    32,
    async (i) => {
      const workflowId = bareId(ctx, 'timer', i);
      await ctx.client.workflow.start<typeof bareTimerWorkflow>('bareTimerWorkflow', { workflowId, taskQueue: BARE_QUEUE, args: [delayMs] });
      bareIds.push(workflowId);
    },
    errors,
  );
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
    desk: { exceptions: ids.length, escalated: deskLate.length, lateness: percentiles(deskLate), early: early(deskLate).length, earliestMs: earliest(deskLate), intakeSeconds: intakeMs / 1000 },
    bare: { workflows: bareIds.length, fired: bareLate.length, lateness: percentiles(bareLate), early: early(bareLate).length, earliestMs: earliest(bareLate) },
    errors: summary(errors),
  };
}
