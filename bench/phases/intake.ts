import { WithStartWorkflowOperation } from '@temporalio/client';
import type { bareLifecycleWorkflow } from '../baseline-workflows.js';
import type { CpuUse } from '../procstat.js';
import { BARE_QUEUE } from '../stack.js';
import { ErrorLog, pool, timed } from '../stats.js';
import { CAPABILITY, intake, problemText } from '../world.js';
import { bareId, deskBatchIntake, meter, sourceKey, summary, type Ctx, type Throughput } from './shared.js';

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
