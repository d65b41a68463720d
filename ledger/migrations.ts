import { sql, type Kysely, type Migration } from 'kysely';

/** In-code migrations: they ship inside the bundle, so no folder has to be found at run time. */
export const migrations: Record<string, Migration> = {
  '0001_audit_log': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject_type', 'text', (c) => c.notNull())
        .addColumn('subject_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('detail', 'text', (c) => c.notNull().defaultTo(sql`'{}'`))
        .execute();
      await db.schema.createIndex('audit_log_subject').on('audit_log').columns(['subject_type', 'subject_id', 'id']).execute();
    },
  },
};
