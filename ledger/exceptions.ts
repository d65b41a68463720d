import { sql } from 'kysely';
import type { ExceptionState } from '../domain/rules/exception-model.js';
import { boundedJson, storedObject } from './bounded-json.js';
import type { LedgerDb } from './db.js';
import { countRefusals } from './refusals.js';

/** The exception's bounded state as last projected; null if the row cannot be read (never throws on a bad row). */
export async function getExceptionState(db: LedgerDb, id: string): Promise<ExceptionState | undefined> {
  const row = await db.selectFrom('exceptions').select('state').where('id', '=', id).executeTakeFirst();
  return row ? parseState(row.state) ?? undefined : undefined;
}

/** State, payload and the recent comments, for the detail view. */
export async function getExceptionDetail(db: LedgerDb, id: string, comments = 100) {
  const row = await db.selectFrom('exceptions').select(['state', 'payload']).where('id', '=', id).executeTakeFirst();
  const state = row && parseState(row.state);
  if (!row || !state) return undefined;
  const recent = await db
    .selectFrom('exception_events')
    .select(['at', 'actor', 'reason'])
    .where('exception_id', '=', id)
    .where('action', '=', 'commented')
    .orderBy('seq', 'desc')
    .limit(comments)
    .execute();
  return {
    state,
    payload: storedObject(row.payload),
    comments: recent.reverse().map((r) => ({ at: r.at, by: r.actor, text: r.reason ?? '' })),
  };
}

function parseState(text: string): ExceptionState | null {
  try {
    const state = JSON.parse(text) as ExceptionState;
    return typeof state === 'object' && state !== null && typeof state.id === 'string' ? state : null;
  } catch {
    return null;
  }
}

export interface ExceptionFilter {
  status?: string[];
  owner?: string;
  claimant?: string;
  capability?: string;
  region?: string;
  area?: string;
  type?: string;
  severity?: string;
  escalated?: boolean;
  overdue?: boolean;
  /** capability:region pairs the caller may see; undefined means all. */
  scope?: string[];
  sort: 'created' | 'deadline';
  after?: { key: number; id: string };
  limit: number;
  now: number;
}

/**
 * Keyset pagination over (sort key, id), so pages stay stable while exceptions change. The page's ids
 * are found first and only then their state is read: sorting candidate rows with their JSON state
 * attached costs more than the query itself once thousands match.
 */
export async function listExceptions(db: LedgerDb, f: ExceptionFilter) {
  const rows = await pageQuery(db, f).execute();
  const page = rows.slice(0, f.limit);
  const states = page.length ? await db.selectFrom('exceptions').select(['id', 'state']).where('id', 'in', page.map((r) => r.id)).execute() : [];
  const stateOf = new Map(states.map((r) => [r.id, r.state]));
  const last = page.at(-1);
  return {
    items: page.flatMap((r) => {
      const state = parseState(stateOf.get(r.id) ?? '');
      return state ? [state] : [];
    }),
    next: rows.length > f.limit && last ? { key: f.sort === 'deadline' ? last.claim_by : last.created_at, id: last.id } : null,
  };
}

/** The ids and sort keys of one page, plus one row to tell whether another page follows. */
export function pageQuery(db: LedgerDb, f: ExceptionFilter) {
  const sortColumn = f.sort === 'deadline' ? 'claim_by' : 'created_at';
  let q = db.selectFrom('exceptions').select(['id', 'claim_by', 'created_at']);
  if (f.status?.length) q = q.where('status', 'in', f.status);
  if (f.owner) q = q.where('owner', '=', f.owner);
  if (f.claimant) q = q.where('claimant', '=', f.claimant);
  if (f.capability) q = q.where('capability', '=', f.capability);
  if (f.region) q = q.where('region', '=', f.region);
  if (f.area) q = q.where('area', '=', f.area);
  if (f.type) q = q.where('type', '=', f.type);
  if (f.severity) q = q.where('severity', '=', f.severity);
  // Literal predicates, matching the partial indexes (a bound parameter would hide them from the planner).
  if (f.escalated !== undefined) q = q.where(f.escalated ? sql<boolean>`escalation_level > 0` : sql<boolean>`escalation_level = 0`);
  if (f.overdue !== undefined) {
    q = q.where(f.overdue ? sql<boolean>`overdue_at < ${f.now}` : sql<boolean>`(overdue_at is null or overdue_at >= ${f.now})`);
  }
  if (f.scope) {
    const pairs = f.scope.map((entry) => entry.split(':') as [string, string]);
    q = q.where((eb) =>
      eb.or(
        pairs.map(([cap, region]) =>
          eb.and([...(cap === '*' ? [] : [eb('capability', '=', cap)]), ...(region === '*' ? [] : [eb('region', '=', region)])]),
        ),
      ),
    );
  }
  if (f.after) {
    const { key, id } = f.after;
    q = f.sort === 'deadline'
      ? q.where((eb) => eb.or([eb(sortColumn, '>', key), eb.and([eb(sortColumn, '=', key), eb('id', '>', id)])]))
      : q.where((eb) => eb.or([eb(sortColumn, '<', key), eb.and([eb(sortColumn, '=', key), eb('id', '<', id)])]));
  }
  const direction = f.sort === 'deadline' ? 'asc' : 'desc';
  // Overdue and escalated exceptions are usually rare, so walking the sort index for a page of them
  // could read the whole queue; a unary + keeps the planner on their own indexes, then it sorts.
  const sortKey = f.overdue || f.escalated ? sql`+${sql.ref(sortColumn)}` : sql.ref(sortColumn);
  return q.orderBy(sortKey, direction).orderBy('id', direction).limit(f.limit + 1);
}

export async function timeline(db: LedgerDb, id: string, afterSeq = 0, limit = 1000) {
  const rows = await db.selectFrom('exception_events').selectAll().where('exception_id', '=', id).where('seq', '>', afterSeq).orderBy('seq').limit(limit + 1).execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

/**
 * A person's inbox, newest first: entries about exceptions, with the exception's listing columns, and
 * notices about a capability × region (no exception id: 0008_readiness_notices). An entry whose
 * exception the ledger no longer has is left out, as before notices existed.
 */
export async function inboxOf(db: LedgerDb, person: string, beforeId: number | undefined, limit: number) {
  let q = db
    .selectFrom('inbox')
    .leftJoin('exceptions', 'exceptions.id', 'inbox.exception_id')
    .leftJoin('decisions', 'decisions.id', 'inbox.decision_id')
    .select([
      'inbox.id',
      'inbox.exception_id',
      'inbox.decision_id',
      // A decision item's notice is titled by its summary and shows its current status and owner.
      'decisions.summary as decision_summary',
      'decisions.status as decision_status',
      'decisions.owner as decision_owner',
      'inbox.kind',
      'inbox.level',
      'inbox.reason',
      'inbox.at',
      'exceptions.title',
      'exceptions.status',
      'exceptions.severity',
      'exceptions.owner',
      'exceptions.claimant',
      // Where the entry is: the exception's place, or the notice's own.
      (eb) => eb.fn.coalesce('exceptions.capability', 'inbox.capability').as('capability'),
      (eb) => eb.fn.coalesce('exceptions.region', 'inbox.region').as('region'),
    ])
    .where('inbox.person', '=', person)
    .where((eb) => eb.or([eb('exceptions.id', 'is not', null), eb.and([eb('inbox.exception_id', 'is', null), eb('inbox.capability', 'is not', null), eb('inbox.region', 'is not', null)])]))
    .orderBy('inbox.id', 'desc')
    .limit(limit + 1);
  if (beforeId !== undefined) q = q.where('inbox.id', '<', beforeId);
  const rows = await q.execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

export interface RefusedIntake {
  actor: string;
  capability?: string;
  region?: string;
  type?: string;
  sourceKey?: string;
  reasons: unknown;
  body: unknown;
  at: number;
}

export async function quarantine(db: LedgerDb, entry: RefusedIntake): Promise<number> {
  return (await quarantineIntakes(db, [entry]))[0]!;
}

/** Keeps refused intakes, and counts them per day for the readiness scorecard in the same transaction; answers their ids in order. */
export async function quarantineIntakes(db: LedgerDb, entries: RefusedIntake[]): Promise<number[]> {
  return db.transaction().execute(async (tx) => {
    const ids: number[] = [];
    for (const entry of entries) {
      const { id } = await tx
        .insertInto('quarantine')
        .values({
          received_at: entry.at,
          actor: entry.actor,
          capability: entry.capability ?? null,
          region: entry.region ?? null,
          type: entry.type ?? null,
          source_key: entry.sourceKey ?? null,
          reasons: JSON.stringify(entry.reasons),
          body: boundedJson(entry.body),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(id);
    }
    await countRefusals(tx, entries.map((e) => ({ capability: e.capability ?? null, region: e.region ?? null, at: e.at, reasons: e.reasons })));
    return ids;
  });
}

/** `scope` (capability:region pairs) keeps rows it covers; a row refused before its capability and region were read has neither and shows only without a scope. */
export async function listQuarantine(db: LedgerDb, f: { capability?: string; region?: string; source?: string; sourceKey?: string; beforeId?: number; limit: number; scope?: string[] }) {
  let q = db.selectFrom('quarantine').selectAll().orderBy('id', 'desc').limit(f.limit + 1);
  if (f.capability) q = q.where('capability', '=', f.capability);
  if (f.region) q = q.where('region', '=', f.region);
  if (f.source) q = q.where('source', '=', f.source);
  if (f.scope) {
    const pairs = f.scope.map((entry) => entry.split(':') as [string, string]);
    q = q.where('capability', 'is not', null).where('region', 'is not', null);
    q = q.where((eb) =>
      eb.or(
        pairs.map(([cap, region]) =>
          eb.and([...(cap === '*' ? [] : [eb('capability', '=', cap)]), ...(region === '*' ? [] : [eb('region', '=', region)])]),
        ),
      ),
    );
  }
  if (f.sourceKey) q = q.where('source_key', '=', f.sourceKey);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  const rows = await q.execute();
  return { rows: rows.slice(0, f.limit), more: rows.length > f.limit };
}
