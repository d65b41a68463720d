import type { bareTimerWorkflow } from '../baseline-workflows.js';
import type { CpuUse } from '../procstat.js';
import { BARE_QUEUE } from '../stack.js';
import { ErrorLog, percentiles, pool, sleep, type Percentiles } from '../stats.js';
import { exceptionPath, FAST_CAPABILITY, problemText } from '../world.js';
import { bareId, deskBatchIntake, meter, summary, type Ctx, type ErrorSummary } from './shared.js';

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
