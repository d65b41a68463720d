import { sql } from 'kysely';
import type { CapabilityTemplate } from '../domain/capability.js';
import { findGaps, type GapInputs } from '../domain/gaps.js';
import { consecutiveHeldDays, DAY_MS, lastDayOf, windowOf, type ReadinessFacts } from '../domain/rules/readiness.js';
import type { LedgerDb } from './db.js';
import { gapInputs } from './gaps.js';

/**
 * The ledger's side of the readiness scorecard: aggregates over one capability × region and window,
 * in portable SQL (counts and CASE, no JSON functions), for domain/rules/readiness.ts to grade.
 */

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

export interface FactsRequest {
  capability: string;
  region: string;
  template: Pick<CapabilityTemplate, 'valueEvents' | 'cutover'>;
  /** The window's end (exclusive): now, or the midnight after the day a snapshot stands for. */
  to: number;
  /** The time the caller lives in: `to` at or after it reads the live queue (status), before it what was open then. */
  now: number;
  gapThresholds: GapInputs['thresholds'];
  /** What the gap rules read, when already read (a run over every region reads the matrix once). */
  gapInputs?: GapInputs;
}

/** Everything the scorecard grades, read from the ledger only. */
export async function readinessFacts(db: LedgerDb, r: FactsRequest): Promise<ReadinessFacts> {
  const window = windowOf(r.to, r.template.cutover.windowDays);
  const { from, to } = window;
  const [decisions, valueDays, raised, open, quarantine, stableDays, gaps] = await Promise.all([
    decisionTotal(db, r.capability, r.region, from, to),
    valueTotals(db, r.capability, r.region, from, to),
    raisedFacts(db, r.capability, r.region, from, to),
    openAt(db, r.capability, r.region, to, r.now),
    quarantineFacts(db, r.capability, r.region, from, to),
    heldDaysBefore(db, r.capability, r.region, lastDayOf(to)),
    r.gapInputs ? Promise.resolve(r.gapInputs) : gapInputs(db, r.gapThresholds),
  ]);
  return {
    capability: r.capability,
    region: r.region,
    ...window,
    decisions,
    raised: raised.raised,
    quarantined: quarantine.quarantined,
    failingFields: quarantine.failingFields,
    breached: raised.breached,
    claimedWithinSla: raised.claimedWithinSla,
    claimMissed: raised.claimMissed,
    open: open.open,
    oldestOpen: open.oldest,
    gaps: regionGaps(gaps, r.capability, r.region),
    overrideExceptions: raised.overrides,
    operators: raised.operators,
    stableDays,
    valueDays,
    valueEvents: r.template.valueEvents.map((v) => ({ id: v.id, ...(v.unit ? { unit: v.unit } : {}) })),
  };
}

/**
 * The gap audit's findings (domain/rules/gaps.ts, not a second rule) about the region: its own, and
 * the person-level ones (overload, too many cells) about someone who owns or backs up a cell there.
 */
function regionGaps(inputs: GapInputs, capability: string, region: string) {
  const all = findGaps(inputs);
  const here = all.filter((g) => g.capability === capability && g.region === region);
  const people = new Set(inputs.cells.filter((c) => c.capability === capability && c.region === region).flatMap((c) => [c.owner, c.backup]));
  const personal = all.filter((g) => g.capability === null && g.person !== undefined && people.has(g.person));
  return [...here, ...personal].map((g) => ({ kind: g.kind, area: g.area, detail: g.detail }));
}

async function decisionTotal(db: LedgerDb, capability: string, region: string, from: number, to: number): Promise<number> {
  const row = await db
    .selectFrom('readiness_daily')
    .select((eb) => eb.fn.sum<number>('quantity').as('total'))
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('metric', '=', 'decision')
    .where('day', '>=', from)
    .where('day', '<', to)
    .executeTakeFirst();
  return num(row?.total);
}

async function valueTotals(db: LedgerDb, capability: string, region: string, from: number, to: number) {
  const rows = await db
    .selectFrom('readiness_daily')
    .select(['day', 'key', (eb) => eb.fn.sum<number>('events').as('events'), (eb) => eb.fn.sum<number>('quantity').as('total')])
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('metric', '=', 'value')
    .where('day', '>=', from)
    .where('day', '<', to)
    .groupBy(['day', 'key'])
    .execute();
  return rows.map((r) => ({ day: num(r.day), valueEvent: r.key, events: num(r.events), total: num(r.total) }));
}

/**
 * The exceptions raised in the window, as they stood at `to`. Claimed within SLA: first claimed by its
 * claim-by. Claim missed: first claimed after it, or never claimed while the claim window ran out
 * (not snoozed, not closed before it). Breached: claim missed, or resolved after resolve-by, or still
 * open past resolve-by and not snoozed.
 */
async function raisedFacts(db: LedgerDb, capability: string, region: string, from: number, to: number) {
  const openAtTo = sql`(x.closed_at is null or x.closed_at >= ${to})`;
  const awake = sql`(x.snoozed_until is null or x.snoozed_until <= ${to})`;
  const claimMissed = sql`((x.first_claim is not null and x.first_claim > x.claim_by)
    or (x.first_claim is null and x.claim_by < ${to} and (x.closed_at is null or x.closed_at > x.claim_by) and ${awake}))`;
  const resolveMissed = sql`((x.closed_at is not null and x.closed_at < ${to} and x.closed_at > x.resolve_by)
    or (${openAtTo} and x.resolve_by < ${to} and ${awake}))`;
  // Materialized, so the first claim is looked up once per exception: a flattened subquery would
  // repeat the lookup in every CASE that reads it (MATERIALIZED: SQLite 3.35+, PostgreSQL 12+).
  const { rows } = await sql<{ raised: unknown; breached: unknown; claimed_in_sla: unknown; claim_missed: unknown; overrides: unknown; operators: unknown }>`
    with x as materialized (
      select e.claim_by, e.resolve_by, e.closed_at, e.snoozed_until, e.area, e.claimant,
        (select min(ev.at) from exception_events ev where ev.exception_id = e.id and ev.action = 'claimed' and ev.at < ${to}) as first_claim
      from exceptions e
      where e.capability = ${capability} and e.region = ${region} and e.created_at >= ${from} and e.created_at < ${to}
    )
    select count(*) as raised,
      sum(case when ${claimMissed} or ${resolveMissed} then 1 else 0 end) as breached,
      sum(case when x.first_claim is not null and x.first_claim <= x.claim_by then 1 else 0 end) as claimed_in_sla,
      sum(case when ${claimMissed} then 1 else 0 end) as claim_missed,
      sum(case when x.area = 'adoption-training' then 1 else 0 end) as overrides,
      count(distinct x.claimant) as operators
    from x`.execute(db);
  const row = rows[0];
  return {
    raised: num(row?.raised),
    breached: num(row?.breached),
    claimedWithinSla: num(row?.claimed_in_sla),
    claimMissed: num(row?.claim_missed),
    overrides: num(row?.overrides),
    operators: num(row?.operators),
  };
}

/** Open or claimed at `to`, and the oldest; live (`to` ≥ now) from the status, else from when each closed. */
async function openAt(db: LedgerDb, capability: string, region: string, to: number, now: number) {
  let q = db.selectFrom('exceptions').where('capability', '=', capability).where('region', '=', region);
  q = to >= now ? q.where('status', 'in', ['open', 'claimed']) : q.where('created_at', '<', to).where((eb) => eb.or([eb('closed_at', 'is', null), eb('closed_at', '>=', to)]));
  const count = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const oldest = await q.select(['id', 'created_at']).orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
  return { open: num(count?.n), oldest: oldest ? { id: oldest.id, createdAt: num(oldest.created_at) } : null };
}

/** Intakes refused in the window, and how often each contract path failed (once per refusal). */
async function quarantineFacts(db: LedgerDb, capability: string, region: string, from: number, to: number) {
  const rows = await db
    .selectFrom('quarantine')
    .select('reasons')
    .where('source', '=', 'intake')
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('received_at', '>=', from)
    .where('received_at', '<', to)
    .execute();
  const counts = new Map<string, number>();
  for (const row of rows) {
    for (const path of new Set(failedPaths(row.reasons))) counts.set(path, (counts.get(path) ?? 0) + 1);
  }
  return { quarantined: rows.length, failingFields: [...counts].map(([path, count]) => ({ path, count })) };
}

function failedPaths(reasons: string): string[] {
  try {
    const parsed = JSON.parse(reasons) as unknown;
    return Array.isArray(parsed) ? parsed.flatMap((r) => (r && typeof (r as { path?: unknown }).path === 'string' ? [(r as { path: string }).path] : [])) : [];
  } catch {
    return ['(unreadable reasons)'];
  }
}

/** Consecutive held snapshot days ending the day before `lastDay`. */
async function heldDaysBefore(db: LedgerDb, capability: string, region: string, lastDay: number): Promise<number> {
  const rows = await db
    .selectFrom('readiness_snapshots')
    .select(['day', 'held'])
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('day', '<', lastDay)
    .where('day', '>=', lastDay - 366 * DAY_MS)
    .execute();
  return consecutiveHeldDays(rows.map((r) => ({ day: num(r.day), held: num(r.held) === 1 })), lastDay - DAY_MS);
}
