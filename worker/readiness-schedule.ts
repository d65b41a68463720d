import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { readinessDailyWorkflow } from '../workflows/readiness/workflow.js';

export const READINESS_SCHEDULE_ID = 'readiness-daily';

/**
 * One Temporal Schedule for every capability: at 00:05 UTC it snapshots each region's readiness
 * scorecard for the day that ended, so "days stable" and the trend are facts in the ledger. Missed
 * runs (Temporal or the workers down) are caught up for a week; runs never overlap. Created on start,
 * or pointed at this worker's task queue if it exists.
 */
export async function ensureReadinessSchedule(client: Client, taskQueue: string, logger: Logger): Promise<void> {
  const action = { type: 'startWorkflow' as const, workflowType: readinessDailyWorkflow, workflowId: READINESS_SCHEDULE_ID, taskQueue, args: [{}] as [{ day?: number }] };
  const spec = { calendars: [{ hour: 0, minute: 5, comment: 'the day that just ended, in UTC' }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' };
  try {
    await client.schedule.create({ scheduleId: READINESS_SCHEDULE_ID, spec, action, policies });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(READINESS_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action, policies }));
  }
  logger.debug({ scheduleId: READINESS_SCHEDULE_ID, taskQueue }, 'readiness schedule in place');
}
