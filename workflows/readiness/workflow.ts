import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { DAY_MS, dayOf } from '../../domain/rules/readiness.js';

const { snapshotReadiness } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '10 minutes', maximumAttempts: 20 },
});

/**
 * Started each day by the `readiness-daily` Schedule (worker/readiness-schedule.ts) shortly after
 * midnight UTC: snapshots every region's scorecard for the day that just ended (or `day`, given by hand).
 */
export async function readinessDailyWorkflow(input: { day?: number } = {}) {
  const day = input.day ?? dayOf(Date.now()) - DAY_MS;
  return snapshotReadiness({ day });
}
