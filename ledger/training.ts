import type { Kysely, Migration } from 'kysely';
import type { Completion, Trainee } from '../domain/rules/training.js';
import { appendAudit } from './audit.js';
import { storedStrings } from './bounded-json.js';
import type { LedgerDb } from './db.js';
import { columnTypes } from './dialect.js';
import type { LedgerSchema } from './schema.js';

/** 0018_training: who has done which of a capability's training materials, and who said so. */
export const trainingMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const t = columnTypes(db);
    await db.schema
      .createTable('training_completions')
      .addColumn('person', 'text', (c) => c.notNull())
      .addColumn('capability', 'text', (c) => c.notNull())
      .addColumn('material', 'text', (c) => c.notNull())
      .addColumn('completed_at', t.int, (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('recorded_at', t.int, (c) => c.notNull())
      .addColumn('note', 'text')
      .addPrimaryKeyConstraint('training_completions_pk', ['person', 'capability', 'material'])
      .execute();
  },
};

export interface TrainingCompletionsTable {
  person: string;
  capability: string;
  material: string;
  completed_at: number;
  /** The region whose training page it was recorded from (the scope it was checked against). */
  region: string;
  recorded_by: string;
  recorded_at: number;
  note: string | null;
}

/**
 * Records (or moves) a completion, with its audit entry, in one transaction. The latest record wins:
 * a later `completedAt` (a refresher) replaces the earlier one; the audit trail keeps both.
 */
export async function recordCompletion(
  db: LedgerDb,
  input: { person: string; capability: string; material: string; completedAt: number; region: string; actor: string; note: string | null; at: number },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const row = { person: input.person, capability: input.capability, material: input.material, completed_at: input.completedAt, region: input.region, recorded_by: input.actor, recorded_at: input.at, note: input.note };
    await tx
      .insertInto('training_completions')
      .values(row)
      .onConflict((oc) => oc.columns(['person', 'capability', 'material']).doUpdateSet({ completed_at: input.completedAt, region: input.region, recorded_by: input.actor, recorded_at: input.at, note: input.note }))
      .execute();
    await appendAudit(tx, [
      {
        idempotencyKey: `training:${input.capability}:${input.material}:${input.person}:${input.at}`,
        at: new Date(input.at).toISOString(),
        actor: input.actor,
        action: 'training.completed',
        subjectType: 'person',
        subjectId: input.person,
        detail: { capability: input.capability, material: input.material, region: input.region, completedAt: new Date(input.completedAt).toISOString(), note: input.note },
      },
    ]);
  });
}


/**
 * Who counts for a region's training: the owners, backups and escalation steps of its cells, and the
 * people who work its queue (`claimants`: the claimants of its exceptions raised in a window, as the
 * readiness scorecard counts its operators); active people only.
 */
export async function regionTrainees(db: Kysely<LedgerSchema>, capability: string, region: string, claimants: Iterable<string>): Promise<Trainee[]> {
  const because = new Map<string, Set<string>>();
  const add = (person: string | null, why: string) => {
    if (!person) return;
    const set = because.get(person) ?? new Set<string>();
    set.add(why);
    because.set(person, set);
  };
  const cells = await db.selectFrom('ownership_cells').select(['area', 'owner', 'backup', 'escalation']).where('capability', '=', capability).where('region', '=', region).execute();
  for (const c of cells) {
    add(c.owner, `owns ${c.area}`);
    add(c.backup, `backs up ${c.area}`);
    for (const person of storedStrings(c.escalation)) add(person, `escalation of ${c.area}`);
  }
  for (const person of claimants) add(person, 'works the queue');
  if (because.size === 0) return [];
  const people = await db.selectFrom('people').select(['id', 'roles', 'status']).where('id', 'in', [...because.keys()]).execute();
  return people
    .filter((p) => p.status === 'active')
    .map((p) => ({ person: p.id, roles: storedStrings(p.roles), because: [...because.get(p.id)!].sort() }))
    .sort((a, b) => a.person.localeCompare(b.person));
}

/** The claimants of the region's exceptions raised since `from` (the readiness facts count the same people as operators). */
export async function windowClaimants(db: Kysely<LedgerSchema>, capability: string, region: string, from: number): Promise<string[]> {
  const rows = await db
    .selectFrom('exceptions')
    .select('claimant')
    .distinct()
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('created_at', '>=', from)
    .where('claimant', 'is not', null)
    .limit(1000)
    .execute();
  return rows.flatMap((r) => (r.claimant ? [r.claimant] : []));
}

export async function completionsOf(db: Kysely<LedgerSchema>, capability: string, people: string[]): Promise<Completion[]> {
  if (people.length === 0) return [];
  const rows = await db.selectFrom('training_completions').select(['person', 'material', 'completed_at']).where('capability', '=', capability).where('person', 'in', people).execute();
  return rows.map((r) => ({ person: r.person, material: r.material, at: Number(r.completed_at) }));
}
