import type { GapInputs } from '../domain/gaps.js';
import type { LedgerDb } from './db.js';
import { gapInputs } from './gaps.js';

/**
 * What the gap rules read, as it stood at `to` (exclusive), for a snapshot of a past day:
 *
 * - each cell as its last change before `to` left it (ownership_changes, the matrix's full log); a cell
 *   with no change before `to` did not exist then (unowned). A cell the log has never heard of (a
 *   ledger older than its log) is taken as it is now, since nothing says otherwise;
 * - each person's status from the directory's changes in the audit log (person.created and
 *   person.updated, whose detail holds the person before and after); someone created after `to` was not
 *   in the directory then; someone the audit never mentions keeps today's status;
 * - the exceptions open at `to` (raised before it, not closed by then), with today's owner: the ledger
 *   keeps no owner per day, and a sweep moves work to the backup, whom the rules then find active.
 *
 * Rollouts and their escalation depth are today's.
 */
export async function gapInputsAsOf(db: LedgerDb, thresholds: GapInputs['thresholds'], to: number): Promise<GapInputs> {
  const now = await gapInputs(db, thresholds);
  const toIso = new Date(to).toISOString();
  return {
    ...now,
    cells: await cellsAsOf(db, now.cells, toIso),
    people: await peopleAsOf(db, now.people, toIso),
    openExceptions: await openAsOf(db, to),
  };
}

async function cellsAsOf(db: LedgerDb, current: GapInputs['cells'], toIso: string): Promise<GapInputs['cells']> {
  const changes = await db.selectFrom('ownership_changes').select(['capability', 'version', 'at', 'region', 'area', 'after']).orderBy('capability').orderBy('version').execute();
  const logged = new Set(changes.map((c) => `${c.capability}/${c.region}/${c.area}`));
  const asOf = new Map<string, GapInputs['cells'][number]>();
  for (const c of changes) {
    if (c.at >= toIso) continue;
    const key = `${c.capability}/${c.region}/${c.area}`;
    const after = parse<{ owner?: string | null; backup?: string | null; escalation?: string[] }>(c.after) ?? {};
    asOf.set(key, { capability: c.capability, region: c.region, area: c.area, owner: after.owner ?? null, backup: after.backup ?? null, escalation: Array.isArray(after.escalation) ? after.escalation : [], since: c.at });
  }
  const unlogged = current.filter((c) => !logged.has(`${c.capability}/${c.region}/${c.area}`));
  return [...asOf.values(), ...unlogged];
}

async function peopleAsOf(db: LedgerDb, current: GapInputs['people'], toIso: string): Promise<GapInputs['people']> {
  const changes = await db
    .selectFrom('audit_log')
    .select(['subject_id', 'at', 'detail'])
    .where('subject_type', '=', 'person')
    .where('action', 'in', ['person.created', 'person.updated'])
    .orderBy('id')
    .execute();
  const people: GapInputs['people'] = { ...current };
  const settled = new Set<string>();
  // Oldest first: the last change before `to` says the status then; with none before, the first one after says what it was before.
  for (const c of changes) {
    const detail = parse<{ before?: { status?: string } | null; after?: { status?: string } }>(c.detail) ?? {};
    if (c.at < toIso) {
      people[c.subject_id] = { status: detail.after?.status ?? 'unknown', since: c.at };
      settled.add(c.subject_id);
    } else if (!settled.has(c.subject_id)) {
      settled.add(c.subject_id);
      if (detail.before?.status) people[c.subject_id] = { status: detail.before.status, since: people[c.subject_id]?.since ?? c.at };
      else delete people[c.subject_id];
    }
  }
  // Only today's refusal is kept (not a history of them): it counts for days after it was recorded.
  for (const [id, person] of Object.entries(people)) {
    const unreachable = current[id]?.unreachable;
    people[id] = { ...person, unreachable: unreachable && unreachable.since < toIso ? unreachable : null };
  }
  return people;
}

async function openAsOf(db: LedgerDb, to: number): Promise<GapInputs['openExceptions']> {
  const rows = await db
    .selectFrom('exceptions')
    .select(['id', 'capability', 'region', 'area', 'owner', 'created_at'])
    .where('created_at', '<', to)
    .where((eb) => eb.or([eb('closed_at', 'is', null), eb('closed_at', '>=', to)]))
    .execute();
  return rows.map((e) => ({ id: e.id, capability: e.capability, region: e.region, area: e.area, owner: e.owner, createdAt: new Date(Number(e.created_at)).toISOString() }));
}

function parse<T>(text: string): T | null {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as T) : null;
  } catch {
    return null;
  }
}
