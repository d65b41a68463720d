import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import * as msg from './messages.js';

/**
 * A regular activity with a heartbeat: it signals the region's open exceptions in id order and
 * heartbeats the last one told, so a retry (a worker killed part-way) carries on from there. Retried
 * until it succeeds: a calendar change must reach every open exception.
 */
const { announceCalendar } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * Tells a region's open exceptions that its business calendar changed (ExceptionCase.changeCalendar),
 * durably: the API signals-with-start it after saving, so a save is announced even if the API dies
 * right after. The latest save wins; one arriving during a broadcast is broadcast after it.
 * Returns how many exceptions were told.
 */
export async function calendarBroadcastWorkflow(input: msg.CalendarBroadcastInput): Promise<number> {
  let pending: msg.CalendarSaved | null = input.carried ?? null;
  let told = 0;
  wf.setHandler(msg.calendarSaved, (saved) => {
    pending = saved;
  });
  await wf.condition(() => pending !== null);
  while (pending !== null) {
    const saved: msg.CalendarSaved = pending;
    pending = null;
    told += await announceCalendar({ capability: input.capability, region: input.region, ...saved });
    if (pending !== null && wf.workflowInfo().continueAsNewSuggested) {
      await wf.condition(wf.allHandlersFinished);
      await wf.continueAsNew<typeof calendarBroadcastWorkflow>({ capability: input.capability, region: input.region, carried: pending });
    }
  }
  await wf.condition(wf.allHandlersFinished);
  return told;
}
