import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { WorkCalendar } from '../domain/rules/calendar.js';
import type { LedgerDb } from '../ledger/db.js';
import { calendarChanged } from '../workflows/exception/messages.js';

export interface CalendarDeps {
  ledger: LedgerDb;
  client: Client;
}

const SIGNAL_CONCURRENCY = 16;
const PAGE = 500;

export function createCalendarActivities({ ledger, client }: CalendarDeps) {
  return {
    /**
     * Signals every open exception of the region with its new calendar, in id order, heartbeating the
     * last id told: a retried attempt starts after it. A signal told twice changes nothing the second
     * time (the same calendar is a no-op), and an exception that closed meanwhile has no clocks left.
     */
    async announceCalendar(input: { capability: string; region: string; calendar: WorkCalendar | null; actor: string; reason: string }): Promise<number> {
      const context = Context.current();
      let after = (context.info.heartbeatDetails as { lastId?: string } | undefined)?.lastId ?? '';
      const signal = { calendar: input.calendar, actor: input.actor, reason: input.reason };
      let told = 0;
      for (;;) {
        const rows = await ledger
          .selectFrom('exceptions')
          .select('id')
          .where('capability', '=', input.capability)
          .where('region', '=', input.region)
          .where('status', 'in', ['open', 'claimed'])
          .where('id', '>', after)
          .orderBy('id')
          .limit(PAGE)
          .execute();
        for (let i = 0; i < rows.length; i += SIGNAL_CONCURRENCY) {
          const batch = rows.slice(i, i + SIGNAL_CONCURRENCY);
          await Promise.all(
            batch.map(({ id }) =>
              client.workflow
                .getHandle(id)
                .signal(calendarChanged, signal)
                .then(
                  () => void (told += 1),
                  (err: Error) => {
                    if (err.name !== 'WorkflowNotFoundError') throw err;
                  },
                ),
            ),
          );
          after = batch.at(-1)!.id;
          context.heartbeat({ lastId: after });
        }
        if (rows.length < PAGE) return told;
      }
    },
  };
}
