import type { CapabilityTemplate } from '../../domain/capability.js';
import { workCalendar, type WorkCalendar } from '../../domain/rules/calendar.js';
import { listRollouts } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import { calendarBroadcastId, calendarSaved, type CalendarSaved } from '../../workflows/calendar/messages.js';
import type { calendarBroadcastWorkflow } from '../../workflows/calendar/workflow.js';
import type { TemporalDeps } from './temporal.js';

/** A region's business calendar as its effective template declares it (before any severity opts out). */
export function regionCalendar(effective: Pick<CapabilityTemplate, 'timeZone' | 'businessCalendar'>): WorkCalendar | null {
  return workCalendar(effective.timeZone, effective.businessCalendar);
}

/** Every rolled-out region's calendar, to compare before and after a template or overlay is saved. */
export async function regionCalendars(ledger: LedgerDb, capability: string): Promise<Map<string, string>> {
  const rollouts = await listRollouts(ledger, capability);
  return new Map(rollouts.map((r) => [r.region, JSON.stringify(regionCalendar(r.effective))]));
}

/**
 * Tells the open exceptions of each region whose calendar changed: each counts in the new calendar
 * from its next clock computation (ExceptionCase.changeCalendar; a 24x7 severity keeps wall time).
 * Runs after the save committed, and only hands the change to the region's broadcast workflow
 * (workflows/calendar), which tells every open exception durably, in the order of the saves, even if
 * this process dies right after. Returns the regions whose calendar changed.
 */
export async function announceCalendarChanges(
  deps: TemporalDeps & { ledger: LedgerDb },
  capability: string,
  before: Map<string, string>,
  actor: string,
): Promise<string[]> {
  const after = await regionCalendars(deps.ledger, capability);
  const changed: string[] = [];
  for (const [region, calendar] of after) {
    if (before.get(region) === calendar) continue;
    const saved: CalendarSaved = { calendar: JSON.parse(calendar) as WorkCalendar | null, actor, reason: `the business calendar of ${capability} in ${region} changed` };
    await deps.client.workflow.signalWithStart<typeof calendarBroadcastWorkflow, [CalendarSaved]>('calendarBroadcastWorkflow', {
      workflowId: calendarBroadcastId(capability, region),
      taskQueue: deps.taskQueue,
      args: [{ capability, region }],
      signal: calendarSaved,
      signalArgs: [saved],
    });
    changed.push(region);
  }
  return changed;
}
