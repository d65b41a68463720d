import { ErrorLog, percentiles, pool, sleep, timed, type Percentiles } from '../stats.js';
import { CAPABILITY, exceptionPath, problemText } from '../world.js';
import { bareStarts, deskBatchIntake, RESOLVE, summary, type LoadCtx, type ErrorSummary } from './shared.js';

// ---------------------------------------------------------------------------------------------
// 2: claim latency, one at a time

const bareUpdate = (ctx: LoadCtx, workflowId: string, step: string) => ctx.client.workflow.getHandle(workflowId).executeUpdate('bareStep', { args: [step] });

export interface LatencyPair {
  desk: Percentiles;
  bare: Percentiles;
  deskErrors: ErrorSummary;
  bareErrors: ErrorSummary;
}

/** Raises `n` exceptions (and starts `n` bare workflows), then claims (updates) each one at a time. */
export async function claimLatency(ctx: LoadCtx, tag: string, n: number, batchSize: number): Promise<LatencyPair> {
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
