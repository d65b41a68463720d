import { sql } from 'kysely';
import { dayOf } from '../domain/rules/readiness.js';
import { triggerWindow, type EvidenceLinks, type RegionFacts, type RateWindow, type TriggerFacts, type TriggerSpec } from '../domain/rules/decision-triggers.js';
import type { LedgerDb } from './db.js';

/**
 * The ledger's side of decision triggers: counts over one capability × region, in portable SQL (group
 * by, no JSON functions; the model version and the buyer are columns written with the payload), for
 * domain/rules/decision-triggers.ts to grade. Reported decisions and value events come from the per-day
 * totals the readiness scorecard reads (a window counts every day it touches).
 */

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const OPEN = ['open', 'claimed'];
/** The most exceptions an item links to: the newest ones behind the figure. */
export const EVIDENCE_LINKS = 20;

export async function regionFacts(db: LedgerDb, capability: string, region: string, now: number): Promise<RegionFacts> {
  const open = (eb: LedgerDb) => eb.selectFrom('exceptions').where('capability', '=', capability).where('region', '=', region).where('status', 'in', OPEN);
  const oldest = await open(db)
    .innerJoin(
      open(db).select(['type as t', (eb) => eb.fn.min<number>('created_at').as('m')]).groupBy('type').as('o'),
      (join) => join.onRef('o.t', '=', 'exceptions.type').onRef('o.m', '=', 'exceptions.created_at'),
    )
    .select(['exceptions.id', 'exceptions.type', 'exceptions.created_at', 'exceptions.resolve_by'])
    .execute();
  const versions = await db
    .selectFrom('exceptions')
    .select(['model_version', (eb) => eb.fn.min<number>('created_at').as('first'), (eb) => eb.fn.max<number>('created_at').as('last'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('model_version', 'is not', null)
    .groupBy('model_version')
    .execute();
  return {
    capability,
    region,
    now,
    oldestOpen: oldest.map((o) => ({ id: o.id, type: o.type, createdAt: num(o.created_at), resolveBy: num(o.resolve_by) })),
    modelVersions: versions.map((v) => ({ version: v.model_version!, firstSeen: num(v.first), lastSeen: num(v.last), count: num(v.n) })),
  };
}

/** Counts over [from, to): what every trigger kind reads from a window. */
export async function windowFacts(db: LedgerDb, capability: string, region: string, from: number, to: number): Promise<TriggerFacts> {
  const here = db.selectFrom('exceptions').where('capability', '=', capability).where('region', '=', region);
  const raisedIn = here.where('created_at', '>=', from).where('created_at', '<', to);
  const daily = db.selectFrom('readiness_daily').where('capability', '=', capability).where('region', '=', region).where('day', '>=', dayOf(from)).where('day', '<', to);
  const [raised, resolutions, byActor, decisions, values] = await Promise.all([
    raisedIn.select(['type', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('type').execute(),
    here
      .select(['type', 'resolution_code', (eb) => eb.fn.countAll<number>().as('n')])
      // A resolution code is written only when it is resolved (ledger/projection.ts): no status test, so the partial index covers it.
      .where('resolution_code', 'is not', null)
      .where('closed_at', '>=', from)
      .where('closed_at', '<', to)
      .groupBy(['type', 'resolution_code'])
      .execute(),
    raisedIn.select(['type', 'subject', (eb) => eb.fn.countAll<number>().as('n')]).where('subject', 'is not', null).groupBy(['type', 'subject']).execute(),
    daily.select((eb) => eb.fn.sum<number>('quantity').as('total')).where('metric', '=', 'decision').executeTakeFirst(),
    daily.select(['key', (eb) => eb.fn.sum<number>('events').as('events'), (eb) => eb.fn.sum<number>('quantity').as('total')]).where('metric', '=', 'value').groupBy('key').execute(),
  ]);
  return {
    from,
    to,
    decisions: num(decisions?.total),
    raised: raised.map((r) => ({ type: r.type, count: num(r.n) })),
    resolutions: resolutions.map((r) => ({ type: r.type, code: r.resolution_code!, count: num(r.n) })),
    byActor: byActor.map((r) => ({ type: r.type, actor: r.subject!, count: num(r.n) })),
    values: values.map((v) => ({ id: v.key, events: num(v.events), total: num(v.total) })).sort((a, b) => (a.id < b.id ? -1 : 1)),
  };
}

/** Facts for each distinct window the triggers read, read once per window. */
export async function factsForTriggers(db: LedgerDb, capability: string, region: string, specs: readonly TriggerSpec[], now: number) {
  const windows = new Map<number, TriggerFacts>();
  for (const ms of new Set(specs.map((s) => s.windowMs))) {
    const w = triggerWindow({ windowMs: ms }, now);
    windows.set(ms, await windowFacts(db, capability, region, w.from, w.to));
  }
  return { region: await regionFacts(db, capability, region, now), window: (spec: TriggerSpec) => windows.get(spec.windowMs)! };
}

/** The newest exceptions behind a fired trigger. */
export async function evidenceExceptionIds(db: LedgerDb, capability: string, region: string, links: EvidenceLinks): Promise<string[]> {
  let q = db.selectFrom('exceptions').select('id').where('capability', '=', capability).where('region', '=', region);
  if (links.type) q = q.where('type', '=', links.type);
  if (links.code) q = q.where('resolution_code', '=', links.code).where('status', '=', 'resolved').where('closed_at', '>=', links.from).where('closed_at', '<', links.to);
  else if (links.open) q = q.where('status', 'in', OPEN);
  else q = q.where('created_at', '>=', links.from).where('created_at', '<', links.to);
  if (links.actor) q = q.where('subject', '=', links.actor);
  if (links.modelVersion) q = q.where('model_version', '=', links.modelVersion);
  const rows = await q.orderBy(links.open ? 'created_at' : sql`created_at desc`).orderBy('id').limit(EVIDENCE_LINKS).execute();
  return rows.map((r) => r.id);
}

/** Exceptions (of a type, or of an area) and reported decisions over [from, to): one side of a before/after comparison. */
export async function rateWindow(db: LedgerDb, capability: string, region: string, filter: { type?: string; area?: string }, from: number, to: number): Promise<RateWindow> {
  let q = db.selectFrom('exceptions').select((eb) => eb.fn.countAll<number>().as('n')).where('capability', '=', capability).where('region', '=', region).where('created_at', '>=', from).where('created_at', '<', to);
  if (filter.type) q = q.where('type', '=', filter.type);
  else if (filter.area) q = q.where('area', '=', filter.area);
  const [exceptions, decisions] = await Promise.all([
    q.executeTakeFirst(),
    db
      .selectFrom('readiness_daily')
      .select((eb) => eb.fn.sum<number>('quantity').as('total'))
      .where('capability', '=', capability)
      .where('region', '=', region)
      .where('metric', '=', 'decision')
      .where('day', '>=', dayOf(from))
      .where('day', '<', to)
      .executeTakeFirst(),
  ]);
  return { from, to, exceptions: num(exceptions?.n), decisions: num(decisions?.total) };
}

/** When intake payloads first carried a model version in the region; null while none has. */
export async function modelVersionFirstSeen(db: LedgerDb, capability: string, region: string, version: string): Promise<number | null> {
  const row = await db
    .selectFrom('exceptions')
    .select((eb) => eb.fn.min<number>('created_at').as('first'))
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('model_version', '=', version)
    .executeTakeFirst();
  return row?.first === null || row?.first === undefined ? null : num(row.first);
}

/** Per-day counts of the exceptions behind a fired trigger over its window: the evidence's small chart. */
export async function evidenceSeries(db: LedgerDb, capability: string, region: string, links: EvidenceLinks): Promise<Array<{ day: number; count: number }>> {
  const byClose = Boolean(links.code);
  let q = db.selectFrom('exceptions').select(['created_at', 'closed_at']).where('capability', '=', capability).where('region', '=', region);
  if (links.type) q = q.where('type', '=', links.type);
  if (links.code) q = q.where('resolution_code', '=', links.code).where('status', '=', 'resolved').where('closed_at', '>=', links.from).where('closed_at', '<', links.to);
  else if (links.open) q = q.where('status', 'in', OPEN);
  else q = q.where('created_at', '>=', links.from).where('created_at', '<', links.to);
  if (links.actor) q = q.where('subject', '=', links.actor);
  if (links.modelVersion) q = q.where('model_version', '=', links.modelVersion);
  const rows = await q.limit(10_000).execute();
  const days = new Map<number, number>();
  for (const r of rows) {
    const day = dayOf(num(byClose ? r.closed_at : r.created_at));
    days.set(day, (days.get(day) ?? 0) + 1);
  }
  return [...days.entries()].sort(([a], [b]) => a - b).map(([day, count]) => ({ day, count }));
}
