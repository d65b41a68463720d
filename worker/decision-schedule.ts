import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { decisionTriggersWorkflow } from '../workflows/decision/triggers.js';

export const DECISION_SCHEDULE_ID = 'decision-triggers';

/**
 * One Temporal Schedule for every capability: at 00:10 UTC, after the readiness snapshot, it grades
 * every decision trigger of every rolled-out region and raises an item for each that fired (windows
 * are days long; POST /api/v1/decisions/evaluate runs the same at any time). Once a day, like the
 * readiness schedule, so a test stack with second-long SLAs never sees items it did not ask for.
 */
export async function ensureDecisionSchedule(client: Client, taskQueue: string, logger: Logger): Promise<void> {
  const action = { type: 'startWorkflow' as const, workflowType: decisionTriggersWorkflow, workflowId: DECISION_SCHEDULE_ID, taskQueue, args: [{}] as [{ capability?: string }] };
  const spec = { calendars: [{ hour: 0, minute: 10, comment: 'after the readiness snapshot, in UTC' }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' };
  try {
    await client.schedule.create({ scheduleId: DECISION_SCHEDULE_ID, spec, action, policies });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(DECISION_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action, policies }));
  }
  logger.debug({ scheduleId: DECISION_SCHEDULE_ID, taskQueue }, 'decision schedule in place');
}
