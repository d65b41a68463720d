import { sql } from 'kysely';
import type { CapabilityTemplate } from '../domain/capability.js';
import { findGaps, type GapInputs } from '../domain/gaps.js';
import { consecutiveHeldDays, DAY_MS, lastDayOf, windowOf, type ReadinessFacts } from '../domain/rules/readiness.js';
import type { LedgerDb } from './db.js';
import { overdueDecisions } from './decisions.js';
import { outcomes } from './readiness-outcomes.js';
import { dryRunRehearsal } from './rehearsal-run.js';
import { gapInputs } from './gaps.js';
import { completionsOf, regionTrainees } from './training.js';
import { trainingFacts } from '../domain/rules/training.js';

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
  const [decisions, valueDays, raised, open, quarantine, stableDays, gaps, overdue] = await Promise.all([
    decisionTotal(db, r.capability, r.region, from, to),
    valueTotals(db, r.capability, r.region, from, to),
    raisedFacts(db, r.capability, r.region, from, to),
    openAt(db, r.capability, r.region, to, r.now),
    quarantineFacts(db, r.capability, r.region, from, to),
    heldDaysBefore(db, r.capability, r.region, lastDayOf(to)),
    r.gapInputs ? Promise.resolve(r.gapInputs) : gapInputs(db, r.gapThresholds, { capability: r.capability, region: r.region }),
    // Live only: the log keeps no history of when an item was past due, so a past day's snapshot leaves it out.
    r.to >= r.now ? overdueDecisions(db, r.capability, r.region, r.to) : Promise.resolve(undefined),
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
    operators: raised.claimants.length,
    stableDays,
    valueDays,
    valueEvents: r.template.valueEvents.map((v) => ({ id: v.id, ...(v.unit ? { unit: v.unit } : {}) })),
    ...(overdue === undefined ? {} : { overdueDecisions: overdue }),
    ...(isFullTemplate(r.template) ? { rehearsal: await rehearsalFacts(db, r.template, r.region, r.now) } : {}),
    ...(r.to >= r.now && isFullTemplate(r.template) && r.template.operatingModel?.training.length ? { training: await trainingOf(db, r.template, r.capability, r.region, raised.claimants) } : {}),
  };
}

/**
 * Live only: completions are not kept per day, so a past day's snapshot carries no training facts.
 * Who works the queue are the window's operators, as the adoption criterion counts them.
 */
async function trainingOf(db: LedgerDb, template: CapabilityTemplate, capability: string, region: string, claimants: string[]): Promise<ReadinessFacts['training']> {
  const materials = template.operatingModel?.training ?? [];
  const trainees = await regionTrainees(db, capability, region, claimants);
  return trainingFacts(materials, trainees, await completionsOf(db, capability, trainees.map((t) => t.person)));
}

const isFullTemplate = (t: FactsRequest['template']): t is CapabilityTemplate => 'exceptionTypes' in t && 'slaPolicies' in t;

/** Rehearsed live, not read from the last stored run: the matrix may have changed since (ledger/rehearsal-run.ts). */
async function rehearsalFacts(db: LedgerDb, template: CapabilityTemplate, region: string, now: number): Promise<ReadinessFacts['rehearsal']> {
  if (!template.scenarios?.length) return null;
  const run = await dryRunRehearsal(db, template, region, now);
  const first = run.results.find((r) => !r.pass);
  return { templateVersion: run.templateVersion, total: run.total, failed: run.failed, firstFailure: first ? `${first.id}: ${first.reasons[0]}` : null };
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
 * The exceptions raised in the window, as they stood at `to`, graded by the one rule
 * (ledger/readiness-outcomes.ts): those closed before the window's last day from their per-day facts
 * (0009_readiness_facts), the rest (open, or closed since the last day began) live. The two never
 * overlap: a day row counts what closed before `lastDay`, the live part what did not.
 */
async function raisedFacts(db: LedgerDb, capability: string, region: string, from: number, to: number) {
  const lastDay = lastDayOf(to);
  const [closed, live] = await Promise.all([closedBefore(db, capability, region, from, to, lastDay), liveFacts(db, capability, region, from, to, lastDay)]);
  const all = [...closed, ...live];
  const sum = (k: keyof (typeof all)[number]) => all.reduce((n, r) => n + num(r[k]), 0);
  return {
    raised: sum('raised'),
    breached: sum('breached'),
    claimedWithinSla: sum('claimed_in_sla'),
    claimMissed: sum('claim_missed'),
    overrides: sum('overrides'),
    claimants: [...new Set(all.filter((r) => r.claimant !== '' && num(r.raised) > 0).map((r) => r.claimant))],
  };
}

type ClaimantFacts = { claimant: string; raised: unknown; breached: unknown; claimed_in_sla: unknown; claim_missed: unknown; overrides: unknown };

/** Closed before `lastDay`: at most a row per raised day, closing day and claimant. */
function closedBefore(db: LedgerDb, capability: string, region: string, from: number, to: number, lastDay: number): Promise<ClaimantFacts[]> {
  return db
    .selectFrom('readiness_exception_daily')
    .select((eb) => [
      'claimant',
      eb.fn.sum<number>('raised').as('raised'),
      eb.fn.sum<number>('breached').as('breached'),
      eb.fn.sum<number>('claimed_in_sla').as('claimed_in_sla'),
      eb.fn.sum<number>('claim_missed').as('claim_missed'),
      eb.fn.sum<number>('overrides').as('overrides'),
    ])
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('day', '>=', from)
    .where('day', '<', to)
    .where('closed_day', '<', lastDay)
    .groupBy('claimant')
    .execute();
}

/** Open, or closed on or after `lastDay`: graded as of `to` (a snapshot of a past day sees what was open then). */
async function liveFacts(db: LedgerDb, capability: string, region: string, from: number, to: number, lastDay: number): Promise<ClaimantFacts[]> {
  const o = outcomes(sql`${to}`, true);
  const raised = sql`e.capability = ${capability} and e.region = ${region} and e.created_at >= ${from} and e.created_at < ${to}`;
  const columns = sql`e.claim_by, e.resolve_by, e.closed_at, e.snoozed_until, e.waiting_since, e.area, e.claimant, ${o.firstClaim} as first_claim`;
  // Materialized, so the first claim is looked up once per exception: a flattened subquery would repeat
  // the lookup in every CASE that reads it (MATERIALIZED: SQLite 3.35+, PostgreSQL 12+). Two branches,
  // so each walks exceptions_place_closed.
  const { rows } = await sql<ClaimantFacts>`
    with x as materialized (
      select ${columns} from exceptions e where ${raised} and e.closed_at is null
      union all
      select ${columns} from exceptions e where ${raised} and e.closed_at >= ${lastDay}
    )
    select coalesce(x.claimant, '') as claimant, count(*) as raised, sum(${o.breached}) as breached, sum(${o.claimedInSla}) as claimed_in_sla,
      sum(${o.claimMissed}) as claim_missed, sum(${o.override}) as overrides
    from x group by coalesce(x.claimant, '')`.execute(db);
  return rows;
}

/** Open or claimed at `to`, and the oldest; live (`to` ≥ now) from the status, else from when each closed. */
async function openAt(db: LedgerDb, capability: string, region: string, to: number, now: number) {
  let q = db.selectFrom('exceptions').where('capability', '=', capability).where('region', '=', region);
  q = to >= now ? q.where('status', 'in', ['open', 'claimed']) : q.where('created_at', '<', to).where((eb) => eb.or([eb('closed_at', 'is', null), eb('closed_at', '>=', to)]));
  const count = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const oldest = await q.select(['id', 'created_at']).orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
  return { open: num(count?.n), oldest: oldest ? { id: oldest.id, createdAt: num(oldest.created_at) } : null };
}

/** Intakes refused in the window, and how often each contract path failed (once per refusal): per-day counts (ledger/refusals.ts). */
async function quarantineFacts(db: LedgerDb, capability: string, region: string, from: number, to: number) {
  const rows = await db
    .selectFrom('readiness_daily')
    .select(['metric', 'key', (eb) => eb.fn.sum<number>('events').as('count')])
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('metric', 'in', ['refused', 'refused-field'])
    .where('day', '>=', from)
    .where('day', '<', to)
    .groupBy(['metric', 'key'])
    .execute();
  return {
    quarantined: rows.filter((r) => r.metric === 'refused').reduce((n, r) => n + num(r.count), 0),
    failingFields: rows.filter((r) => r.metric === 'refused-field' && num(r.count) > 0).map((r) => ({ path: r.key, count: num(r.count) })),
  };
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
