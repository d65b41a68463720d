// Helpers used by several benchmark phases: the run context, throughput shapes, ids, and the batch intake.
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { bareLifecycleWorkflow } from '../baseline-workflows.js';
import { cpuMeter, type CpuUse } from '../procstat.js';
import { BARE_QUEUE, type BenchStack } from '../stack.js';
import { pool, type ErrorLog } from '../stats.js';
import { intake, problemText, type Api, type World } from '../world.js';

/** What the load phases (lifecycle, claim, intake) need: they run on the dev server and on a cluster. */
export interface LoadCtx {
  api: Api;
  world: World;
  client: Client;
  runId: string;
  log: (line: string) => void;
  /** The Temporal server process for the CPU figures (null on a cluster: bench/cluster.ts meters every part itself). */
  serverPid: number | null;
}

/** The dev-server run's context: the load context plus the stack's ledger, workers and second API. */
export interface Ctx extends LoadCtx {
  stack: BenchStack;
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

export const meter = (ctx: LoadCtx) => cpuMeter(ctx.serverPid);

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

export const RESOLVE = { code: 'corrected-and-released', valueEvent: 'recommendation-corrected' };
export const bareId = (ctx: LoadCtx, tag: string, i: number) => `bare:${ctx.runId}:${tag}:${i}`;
export const sourceKey = (ctx: LoadCtx, tag: string, i: number) => `${ctx.runId}-${tag}-${i}`;

// ---------------------------------------------------------------------------------------------
// Building blocks

/** POST /api/v1/exceptions:batch in chunks; returns the ids created, in order. */
export async function deskBatchIntake(ctx: LoadCtx, capability: string, tag: string, n: number, batchSize: number, errors: ErrorLog): Promise<string[]> {
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
export async function bareStarts(ctx: LoadCtx, tag: string, n: number, concurrency: number, errors: ErrorLog): Promise<string[]> {
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

/** Count of open exceptions straight from the ledger (there is no count endpoint). */
export async function openCount(ctx: Ctx): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from exceptions where status = 'open'`.execute(ctx.stack.ledger);
  return Number(rows[0]?.n ?? 0);
}
