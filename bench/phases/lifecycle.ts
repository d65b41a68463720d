import type { bareLifecycleWorkflow } from '../baseline-workflows.js';
import { BARE_QUEUE } from '../stack.js';
import { ErrorLog, pool } from '../stats.js';
import { CAPABILITY, exceptionPath, intake, problemText } from '../world.js';
import { bareId, meter, RESOLVE, sourceKey, summary, type LoadCtx, type Throughput } from './shared.js';

// ---------------------------------------------------------------------------------------------
// 1 and 7: the lifecycle, through the API, against start + two updates + completion

export async function deskLifecycle(ctx: LoadCtx, tag: string, n: number, concurrency: number, capability = CAPABILITY): Promise<Throughput & { ids: string[] }> {
  const errors = new ErrorLog();
  const ids: string[] = [];
  const cpu = meter(ctx);
  const ms = await pool(
    n,
    concurrency,
    async (i) => {
      const raised = await ctx.api.post('/api/v1/exceptions', ctx.world.integration, intake(capability, sourceKey(ctx, tag, i), i));
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

export async function bareLifecycle(ctx: LoadCtx, tag: string, n: number, concurrency: number): Promise<Throughput & { ids: string[] }> {
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
export async function historyLength(ctx: LoadCtx, ids: string[], sample: number): Promise<{ sampled: number; avgEvents: number; min: number; max: number }> {
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
