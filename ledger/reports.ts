import { dayOf } from '../domain/rules/readiness.js';
import { boundedJson } from './bounded-json.js';
import type { LedgerDb } from './db.js';
import type { ReportedEventsTable } from './readiness-schema.js';

export interface NewReportedEvent {
  capability: string;
  key: string;
  region: string;
  kind: 'decision' | 'value';
  valueEvent: string | null;
  outcome: string | null;
  quantity: number | null;
  occurredAt: number;
  origin: 'report' | 'resolution';
  reportedBy: string;
}

export type StoredOutcome = 'stored' | 'duplicate' | 'conflict';

// Rows per statement: 12 bound values each stays far below SQLite's and PostgreSQL's parameter limits.
const CHUNK = 400;

const sameEvent = (row: Pick<ReportedEventsTable, 'region' | 'kind' | 'value_event' | 'outcome' | 'quantity' | 'occurred_at'>, e: NewReportedEvent) =>
  row.region === e.region &&
  row.kind === e.kind &&
  row.value_event === e.valueEvent &&
  row.outcome === e.outcome &&
  (row.quantity === null ? e.quantity === null : e.quantity !== null && Number(row.quantity) === e.quantity) &&
  Number(row.occurred_at) === e.occurredAt;

const placeKey = (capability: string, key: string) => `${capability}\u0000${key}`;

/**
 * Stores events idempotently by (capability, key), and adds the new ones to the daily totals in the
 * same transaction, so the totals never count an event twice or miss one. A key seen before answers
 * `duplicate` when the event is the same, `conflict` when it differs (the stored one stands).
 * Events must have distinct (capability, key) pairs.
 */
export async function storeReportedEvents(db: LedgerDb, events: NewReportedEvent[], now: number): Promise<StoredOutcome[]> {
  if (events.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const inserted = new Set<string>();
    for (let i = 0; i < events.length; i += CHUNK) {
      const rows = events.slice(i, i + CHUNK).map((e) => ({
        capability: e.capability,
        event_key: e.key,
        region: e.region,
        kind: e.kind,
        value_event: e.valueEvent,
        outcome: e.outcome,
        quantity: e.quantity,
        occurred_at: e.occurredAt,
        day: dayOf(e.occurredAt),
        origin: e.origin,
        reported_by: e.reportedBy,
        received_at: now,
      }));
      const stored = await trx
        .insertInto('reported_events')
        .values(rows)
        .onConflict((oc) => oc.columns(['capability', 'event_key']).doNothing())
        .returning(['capability', 'event_key'])
        .execute();
      for (const r of stored) inserted.add(placeKey(r.capability, r.event_key));
    }

    const totals = new Map<string, { capability: string; region: string; metric: string; key: string; day: number; events: number; quantity: number }>();
    for (const e of events) {
      if (!inserted.has(placeKey(e.capability, e.key))) continue;
      const metric = e.kind;
      const key = e.kind === 'value' ? e.valueEvent! : (e.outcome ?? '');
      const day = dayOf(e.occurredAt);
      const id = [e.capability, e.region, metric, key, day].join('\u0000');
      const total = totals.get(id) ?? { capability: e.capability, region: e.region, metric, key, day, events: 0, quantity: 0 };
      total.events += 1;
      total.quantity += e.quantity ?? 0;
      totals.set(id, total);
    }
    const daily = [...totals.values()];
    for (let i = 0; i < daily.length; i += CHUNK) {
      await trx
        .insertInto('readiness_daily')
        .values(daily.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.columns(['capability', 'region', 'metric', 'day', 'key']).doUpdateSet((eb) => ({
            events: eb('readiness_daily.events', '+', eb.ref('excluded.events')),
            quantity: eb('readiness_daily.quantity', '+', eb.ref('excluded.quantity')),
          })),
        )
        .execute();
    }

    const seen = events.filter((e) => !inserted.has(placeKey(e.capability, e.key)));
    const existing = new Map<string, Awaited<ReturnType<typeof existingRows>>[number]>();
    for (let i = 0; i < seen.length; i += CHUNK) {
      for (const row of await existingRows(trx, seen.slice(i, i + CHUNK))) existing.set(placeKey(row.capability, row.event_key), row);
    }
    return events.map((e) => {
      const key = placeKey(e.capability, e.key);
      if (inserted.has(key)) return 'stored';
      const row = existing.get(key);
      return row && sameEvent(row, e) ? 'duplicate' : 'conflict';
    });
  });
}

function existingRows(db: LedgerDb, events: NewReportedEvent[]) {
  return db
    .selectFrom('reported_events')
    .select(['capability', 'event_key', 'region', 'kind', 'value_event', 'outcome', 'quantity', 'occurred_at'])
    .where((eb) => eb.or(events.map((e) => eb.and([eb('capability', '=', e.capability), eb('event_key', '=', e.key)]))))
    .execute();
}

export interface ReportFilter {
  capability?: string;
  region?: string;
  kind?: 'decision' | 'value';
  valueEvent?: string;
  /** capability:region pairs the caller may see; undefined means all. */
  scope?: string[];
  /** Keyset: events received before this (occurred_at, capability, key), newest first. */
  after?: { at: number; capability: string; key: string };
  limit: number;
}

/** Reported events, newest first: the evidence behind the automation rate and the value totals. */
export async function listReportedEvents(db: LedgerDb, f: ReportFilter) {
  let q = db.selectFrom('reported_events').selectAll().orderBy('occurred_at', 'desc').orderBy('capability', 'desc').orderBy('event_key', 'desc').limit(f.limit + 1);
  if (f.capability) q = q.where('capability', '=', f.capability);
  if (f.region) q = q.where('region', '=', f.region);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.valueEvent) q = q.where('value_event', '=', f.valueEvent);
  if (f.scope) {
    const pairs = f.scope.map((entry) => entry.split(':') as [string, string]);
    q = q.where((eb) => eb.or(pairs.map(([cap, region]) => eb.and([...(cap === '*' ? [] : [eb('capability', '=', cap)]), ...(region === '*' ? [] : [eb('region', '=', region)])]))));
  }
  if (f.after) {
    const { at, capability, key } = f.after;
    q = q.where((eb) =>
      eb.or([
        eb('occurred_at', '<', at),
        eb.and([eb('occurred_at', '=', at), eb('capability', '<', capability)]),
        eb.and([eb('occurred_at', '=', at), eb('capability', '=', capability), eb('event_key', '<', key)]),
      ]),
    );
  }
  const rows = await q.execute();
  return { rows: rows.slice(0, f.limit), more: rows.length > f.limit };
}

export interface RefusedReport {
  actor: string;
  capability?: string;
  region?: string;
  /** The value event id or `decision`, as sent. */
  type?: string;
  key?: string;
  reasons: unknown;
  body: unknown;
}

/** Keeps refused reported events in the quarantine (source `report`), beside refused intakes; answers their ids in order. */
export async function quarantineReports(db: LedgerDb, refused: RefusedReport[], at: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < refused.length; i += CHUNK) {
    const rows = await db
      .insertInto('quarantine')
      .values(
        refused.slice(i, i + CHUNK).map((r) => ({
          received_at: at,
          actor: r.actor,
          capability: r.capability ?? null,
          region: r.region ?? null,
          type: r.type ?? null,
          source_key: r.key ?? null,
          reasons: JSON.stringify(r.reasons),
          body: boundedJson(r.body),
          source: 'report',
        })),
      )
      .returning('id')
      .execute();
    // Ids rise in insertion order; the order RETURNING lists them in is not promised.
    ids.push(...rows.map((r) => r.id).sort((a, b) => a - b));
  }
  return ids;
}
