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
  return (await windowsFacts(db, capability, region, [from], to))[0]!;
}

/**
 * Counts over several windows ending at `to`, each exception read once: one scan per kind of count over
 * the longest window, with a CASE sum per window (a template's triggers read a week, a fortnight and a
 * month; three scans cost three times one).
 */
export async function windowsFacts(db: LedgerDb, capability: string, region: string, froms: readonly number[], to: number): Promise<TriggerFacts[]> {
  const earliest = Math.min(...froms);
  const sums = (column: 'created_at' | 'closed_at') => sql.join(froms.map((f, i) => sql`sum(case when ${sql.ref(column)} >= ${f} then 1 else 0 end) as ${sql.ref(`w${i}`)}`));
  const place = sql`capability = ${capability} and region = ${region}`;
  type Counts = Record<string, unknown>;
  const [raised, resolutions, byActor, daily] = await Promise.all([
    sql<Counts & { type: string }>`select type, ${sums('created_at')} from exceptions where ${place} and created_at >= ${earliest} and created_at < ${to} group by type`.execute(db),
    // A resolution code is written only when it is resolved (ledger/projection.ts): no status test, so the partial index covers it.
    sql<Counts & { type: string; resolution_code: string }>`select type, resolution_code, ${sums('closed_at')} from exceptions
      where ${place} and resolution_code is not null and closed_at >= ${earliest} and closed_at < ${to} group by type, resolution_code`.execute(db),
    sql<Counts & { type: string; subject: string }>`select type, subject, ${sums('created_at')} from exceptions
      where ${place} and created_at >= ${earliest} and created_at < ${to} and subject is not null group by type, subject`.execute(db),
    db
      .selectFrom('readiness_daily')
      .select(['metric', 'key', 'day', (eb) => eb.fn.sum<number>('events').as('events'), (eb) => eb.fn.sum<number>('quantity').as('total')])
      .where('capability', '=', capability)
      .where('region', '=', region)
      .where('metric', 'in', ['decision', 'value'])
      .where('day', '>=', dayOf(earliest))
      .where('day', '<', to)
      .groupBy(['metric', 'key', 'day'])
      .execute(),
  ]);
  return froms.map((from, i) => {
    const w = `w${i}`;
    const days = daily.filter((d) => num(d.day) >= dayOf(from));
    const values = new Map<string, { events: number; total: number }>();
    for (const d of days.filter((x) => x.metric === 'value')) {
      const v = values.get(d.key) ?? { events: 0, total: 0 };
      values.set(d.key, { events: v.events + num(d.events), total: v.total + num(d.total) });
    }
    return {
      from,
      to,
      decisions: days.filter((d) => d.metric === 'decision').reduce((n, d) => n + num(d.total), 0),
      raised: raised.rows.filter((r) => num(r[w]) > 0).map((r) => ({ type: r.type, count: num(r[w]) })),
      resolutions: resolutions.rows.filter((r) => num(r[w]) > 0).map((r) => ({ type: r.type, code: r.resolution_code, count: num(r[w]) })),
      byActor: byActor.rows.filter((r) => num(r[w]) > 0).map((r) => ({ type: r.type, actor: r.subject, count: num(r[w]) })),
      values: [...values.entries()].map(([id, v]) => ({ id, ...v })).sort((a, b) => (a.id < b.id ? -1 : 1)),
    };
  });
}

/** Facts for each distinct window the triggers read, every window from the same scans. */
export async function factsForTriggers(db: LedgerDb, capability: string, region: string, specs: readonly TriggerSpec[], now: number) {
  const lengths = [...new Set(specs.map((s) => s.windowMs))];
  const [regional, facts] = await Promise.all([
    regionFacts(db, capability, region, now),
    windowsFacts(db, capability, region, lengths.map((ms) => triggerWindow({ windowMs: ms }, now).from), now),
  ]);
  const windows = new Map(lengths.map((ms, i) => [ms, facts[i]!]));
  return { region: regional, window: (spec: TriggerSpec) => windows.get(spec.windowMs)! };
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
  // Resolutions newest closed first (the resolved-code index, in order); the rest newest raised first, the open ones oldest first.
  const order = links.code ? sql`closed_at desc` : links.open ? sql`created_at` : sql`created_at desc`;
  const rows = await q.orderBy(order).orderBy('id').limit(EVIDENCE_LINKS).execute();
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
