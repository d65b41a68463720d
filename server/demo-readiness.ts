import { changeStage } from '../api/services/readiness.js';
import { DAY_MS, dayOf } from '../domain/rules/readiness.js';
import type { LedgerDb } from '../ledger/db.js';
import { quarantine } from '../ledger/exceptions.js';
import { backfillSnapshots } from '../ledger/readiness-daily.js';
import { storeReportedEvents, type NewReportedEvent } from '../ledger/reports.js';

/** The gap audit's defaults (config GAP_MAX_CELLS_PER_PERSON, GAP_MAX_OPEN_PER_OWNER). */
const gapThresholds = { maxCellsPerPerson: 6, maxOpenPerOwner: 25 };
export const DEMO_HISTORY_DAYS = 30;
/** The reason of the demo matrix's first assignments (server/demo.ts): the pilot team's hand-over plan. */
export const HAND_OVER_PLAN = 'pilot hand-over plan (demo data)';

/** Deterministic wobble, so the demo's charts are not flat and every start draws the same ones. */
const wobble = (day: number, salt: number) => ((day * 7 + salt * 13) % 11) - 5;

/**
 * Thirty days of PO Assist in production shape: decisions and value events reported every day in
 * both regions, EMEA's supplier feed missing SKUs on a few intakes each day, the daily snapshots
 * computed from that ledger (the matrix as it stood each day), and NA promoted through the gate. A newcomer opens Readiness and sees NA
 * ready and in production, EMEA held back by its input reliability and the gaps the leavers left.
 */
export async function seedReadinessHistory(ledger: LedgerDb, now = Date.now()): Promise<void> {
  const today = dayOf(now);
  const events: NewReportedEvent[] = [];
  const refused: Array<{ at: number; sourceKey: string; missing: string }> = [];
  for (let back = DEMO_HISTORY_DAYS; back >= 0; back--) {
    const day = today - back * DAY_MS;
    // Early morning of that day, or a minute ago for today.
    const at = Math.min(day + 6 * 3_600_000 + back * 60_000, now - 60_000);
    const stamp = new Date(day).toISOString().slice(0, 10);
    const event = (region: string, kind: 'decision' | 'value', key: string, quantity: number, valueEvent: string | null, outcome: string | null): NewReportedEvent => ({
      capability: 'po-assist',
      key: `demo-${region}-${stamp}-${key}`,
      region,
      kind,
      valueEvent,
      outcome,
      quantity,
      occurredAt: at,
      origin: 'report',
      reportedBy: 'erp',
    });
    for (const [region, scale] of [['NA', 1], ['EMEA', 0.6]] as const) {
      events.push(
        event(region, 'decision', 'place-order', Math.round((220 + 4 * wobble(back, 1)) * scale), null, 'place-order'),
        event(region, 'decision', 'expedite', Math.round((60 + 2 * wobble(back, 2)) * scale), null, 'expedite'),
        event(region, 'value', 'accepted', Math.round((150 + 3 * wobble(back, 3)) * scale), 'recommendation-accepted', null),
        event(region, 'value', 'rework', Math.round((420 + 10 * wobble(back, 4)) * scale), 'rework-avoided', null),
      );
    }
    if (back > 0) {
      for (let i = 0; i < 3 + (back % 3); i++) refused.push({ at: at + i * 600_000, sourceKey: `DEMO-EMEA-${stamp}-${i}`, missing: i % 2 ? 'sku' : 'supplierId' });
    }
  }
  await storeReportedEvents(ledger, events, now);
  for (const r of refused) {
    await quarantine(ledger, {
      actor: 'erp',
      capability: 'po-assist',
      region: 'EMEA',
      type: 'price-variance',
      sourceKey: r.sourceKey,
      reasons: [{ path: `payload.${r.missing}`, message: 'required' }],
      body: { capability: 'po-assist', region: 'EMEA', type: 'price-variance', sourceKey: r.sourceKey, note: 'demo data: the supplier feed dropped the field' },
      at: r.at,
    });
  }
  // The story starts a month ago: the directory and the hand-over plan were set up then (the departures
  // and NA's refills are today's). Their log entries are dated back to then, since the backfill grades
  // each day against the matrix and the directory as they stood that day (ledger/gaps-history.ts).
  const start = new Date(today - (DEMO_HISTORY_DAYS + 1) * DAY_MS).toISOString();
  await ledger.updateTable('ownership_changes').set({ at: start }).where('capability', '=', 'po-assist').where('reason', '=', HAND_OVER_PLAN).execute();
  await ledger.updateTable('audit_log').set({ at: start }).where('subject_type', '=', 'person').where('action', '=', 'person.created').where('actor', '=', 'system:demo').execute();
  await backfillSnapshots(ledger, { days: DEMO_HISTORY_DAYS, gapThresholds, now });
  await changeStage({ ledger, gapThresholds }, 'system:demo', 'po-assist', 'NA', { stage: 'production', override: false, reason: 'stable for a month (demo data)' });
}
