import { sql } from 'kysely';
import { ErrorLog, percentiles, sleep, timed, type Percentiles } from '../stats.js';
import { CAPABILITY, problemText } from '../world.js';
import { openCount, summary, type Ctx, type ErrorSummary } from './shared.js';

// ---------------------------------------------------------------------------------------------
// 5: queue listings, at the open count the memory phase left

export interface ListingResult {
  open: number;
  rowsInLedger: number;
  samples: number;
  queries: Array<{ name: string; query: string; visibilityQuery: string | null; items: number; desk: Percentiles; bare: Percentiles | null; errors: ErrorSummary }>;
}

export async function listings(ctx: Ctx, samples: number, visibilityPauseMs: number): Promise<ListingResult> {
  const open = await openCount(ctx);
  const { rows } = await sql<{ n: number }>`select count(*) as n from exceptions`.execute(ctx.stack.ledger);
  const owner = ctx.world.ownerOf.NA!;
  // Since shape 3 the workflow writes no search attributes of its own: visibility knows only the fixed
  // ones (set at start) and the execution status, so it can answer the region and capability listings
  // (open ≈ Running), not those by owner, deadline or escalation (null: the ledger alone answers them).
  const queries = [
    { name: 'open NA by deadline', query: 'status=open&region=NA&sort=deadline', visibilityQuery: `ExecutionStatus = 'Running' AND ExceptionRegion = 'NA'` },
    { name: 'open of one owner', query: `status=open&owner=${owner}`, visibilityQuery: null },
    { name: 'overdue', query: 'overdue=true', visibilityQuery: null },
    { name: 'escalated EU by deadline', query: 'escalated=true&region=EU&sort=deadline', visibilityQuery: null },
    { name: 'open of a capability, newest first', query: `status=open&capability=${CAPABILITY}`, visibilityQuery: `ExecutionStatus = 'Running' AND ExceptionCapability = '${CAPABILITY}'` },
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
    for (let i = 0; q.visibilityQuery !== null && i < samples; i++) {
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
    results.push({ name: q.name, query: q.query, visibilityQuery: q.visibilityQuery, items, desk: percentiles(desk), bare: q.visibilityQuery === null ? null : percentiles(bare), errors: summary(errors) });
  }
  return { open, rowsInLedger: Number(rows[0]?.n ?? 0), samples, queries: results };
}
