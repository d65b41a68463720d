import type { CapabilityTemplate } from '../../domain/capability.js';
import { workCalendar, type WorkCalendar } from '../../domain/rules/calendar.js';
import { listRollouts } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import { calendarChanged } from '../../workflows/exception/messages.js';
import type { TemporalDeps } from './temporal.js';

const SIGNAL_CONCURRENCY = 16;

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
 * Runs after the save committed; an exception that closed meanwhile has nothing to change. Returns
 * how many were told.
 */
export async function announceCalendarChanges(
  deps: TemporalDeps & { ledger: LedgerDb },
  capability: string,
  before: Map<string, string>,
  actor: string,
): Promise<number> {
  const after = await regionCalendars(deps.ledger, capability);
  let told = 0;
  for (const [region, calendar] of after) {
    if (before.get(region) === calendar) continue;
    const rows = await deps.ledger
      .selectFrom('exceptions')
      .select('id')
      .where('capability', '=', capability)
      .where('region', '=', region)
      .where('status', 'in', ['open', 'claimed'])
      .execute();
    const signal = { calendar: JSON.parse(calendar) as WorkCalendar | null, actor, reason: `the business calendar of ${capability} in ${region} changed` };
    for (let i = 0; i < rows.length; i += SIGNAL_CONCURRENCY) {
      await Promise.all(
        rows.slice(i, i + SIGNAL_CONCURRENCY).map(async ({ id }) => {
          await deps.client.workflow.getHandle(id).signal(calendarChanged, signal).then(
            () => (told += 1),
            (err: Error) => {
              // A workflow that closed since the ledger listed it has no clocks left.
              if (err.name !== 'WorkflowNotFoundError') throw err;
            },
          );
        }),
      );
    }
  }
  return told;
}
