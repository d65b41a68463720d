import { sql } from 'kysely';
import type { Person } from '../domain/people.js';
import type { LedgerDb } from './db.js';

/** Newer directory versions win, so a late retry of an older write never rolls a person back. */
export async function projectPerson(db: LedgerDb, person: Person, version: number): Promise<void> {
  const row = {
    id: person.id,
    name: person.name,
    email: person.email,
    manager_id: person.managerId,
    status: person.status,
    roles: JSON.stringify(person.roles),
    version,
    updated_at: person.updatedAt,
    updated_by: person.updatedBy,
  };
  await db
    .insertInto('people')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('id')
        // A new address is worth trying: an earlier refusal (0013_mail) was about the old one.
        .doUpdateSet({
          ...row,
          unreachable_at: sql<string | null>`case when people.email = excluded.email then people.unreachable_at else null end`,
          unreachable_reason: sql<string | null>`case when people.email = excluded.email then people.unreachable_reason else null end`,
        })
        .where('people.version', '<', version),
    )
    .execute();
}

export async function listPeopleRows(db: LedgerDb) {
  return db.selectFrom('people').selectAll().orderBy('id').execute();
}
