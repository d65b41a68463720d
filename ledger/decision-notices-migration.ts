import { sql, type Kysely, type Migration } from 'kysely';

/**
 * 0017_decision_notices: inbox and outbox rows about a decision item (its routing, rerouting and
 * escalations reach the person they concern, as an exception's do). Such a row names its decision
 * (`decision_id`) and, as a notice, its capability and region (so the 0008 check holds and scoped
 * inboxes filter it); `(decision_id, seq, person, kind)` makes a retried write a no-op.
 *
 * Two decisions of one region may notify one person at the same seq, so the notices' own unique keys
 * (0008's `(capability, region, kind, seq, person)`) now cover only rows that are not about a decision:
 * partial indexes, which both dialects build in place (their writers name the predicate in ON CONFLICT).
 */
export const DECISION_NOTICE_PREDICATE = sql<boolean>`decision_id is null`;

export const decisionNoticesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    for (const table of ['inbox', 'outbox']) {
      await db.schema.alterTable(table).addColumn('decision_id', 'text').execute();
      await db.schema.dropIndex(`${table}_notice_once`).execute();
      await db.schema.createIndex(`${table}_notice_once`).on(table).columns(['capability', 'region', 'kind', 'seq', 'person']).unique().where(DECISION_NOTICE_PREDICATE).execute();
      await db.schema.createIndex(`${table}_decision_once`).on(table).columns(['decision_id', 'seq', 'person', 'kind']).unique().execute();
    }
  },
};
