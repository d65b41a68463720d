import { sql, type Kysely, type Migration } from 'kysely';
import { columnTypes, isPostgres } from './dialect.js';

/**
 * 0008_readiness_notices: the inbox and the outbox carry notices that are about a rollout, not an
 * exception (a production region that fell below its cutover thresholds). Such a row has no
 * exception id and names its capability and region instead; a check keeps every row about one or the
 * other, and a unique index makes a notice's retried write a no-op, as `(exception_id, seq, person,
 * kind)` does for an exception's. Exception rows are untouched (capability and region stay null:
 * their exception says where they are).
 *
 * PostgreSQL drops the NOT NULL in place. SQLite cannot, so it rebuilds both tables, keeping every
 * row's id (inbox cursors and outbox leases stay valid) and every index.
 */
export const readinessNoticesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const aboutSomething = sql`check (exception_id is not null or (capability is not null and region is not null))`;
    if (isPostgres(db)) {
      for (const table of ['inbox', 'outbox']) {
        await sql`alter table ${sql.table(table)} alter column exception_id drop not null`.execute(db);
        await sql`alter table ${sql.table(table)} add column capability text`.execute(db);
        await sql`alter table ${sql.table(table)} add column region text`.execute(db);
        await sql`alter table ${sql.table(table)} add constraint ${sql.id(`${table}_about`)} ${aboutSomething}`.execute(db);
      }
    } else {
      // One transaction: a crash midway leaves the old tables, and the migration runs again.
      await db.transaction().execute((tx) => rebuildSqlite(tx));
    }
    await db.schema.createIndex('inbox_notice_once').on('inbox').columns(['capability', 'region', 'kind', 'seq', 'person']).unique().execute();
    await db.schema.createIndex('outbox_notice_once').on('outbox').columns(['capability', 'region', 'kind', 'seq', 'person']).unique().execute();
  },
};

async function rebuildSqlite(db: Kysely<unknown>) {
  const t = columnTypes(db);
  await db.schema
    .createTable('inbox_rebuilt')
    .addColumn('id', t.int, t.serialId)
    .addColumn('person', 'text', (c) => c.notNull())
    .addColumn('exception_id', 'text')
    .addColumn('seq', t.int, (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('level', t.int, (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('at', t.int, (c) => c.notNull())
    .addColumn('fence', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('capability', 'text')
    .addColumn('region', 'text')
    .addUniqueConstraint('inbox_once', ['exception_id', 'seq', 'person', 'kind'])
    .addCheckConstraint('inbox_about', sql`exception_id is not null or (capability is not null and region is not null)`)
    .execute();
  await sql`insert into inbox_rebuilt (id, person, exception_id, seq, kind, level, reason, at, fence)
    select id, person, exception_id, seq, kind, level, reason, at, fence from inbox`.execute(db);
  await sql`drop table inbox`.execute(db);
  await sql`alter table inbox_rebuilt rename to inbox`.execute(db);
  await db.schema.createIndex('inbox_person').on('inbox').columns(['person', 'id']).execute();

  await db.schema
    .createTable('outbox_rebuilt')
    .addColumn('id', t.int, t.serialId)
    .addColumn('exception_id', 'text')
    .addColumn('seq', t.int, (c) => c.notNull())
    .addColumn('person', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('fence', t.int, (c) => c.notNull())
    .addColumn('created_at', t.int, (c) => c.notNull())
    .addColumn('attempts', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', t.int, (c) => c.notNull())
    .addColumn('locked_until', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('delivered_at', t.int)
    .addColumn('failed_at', t.int)
    .addColumn('last_error', 'text')
    .addColumn('capability', 'text')
    .addColumn('region', 'text')
    .addUniqueConstraint('outbox_key', ['exception_id', 'seq', 'person', 'kind'])
    .addCheckConstraint('outbox_about', sql`exception_id is not null or (capability is not null and region is not null)`)
    .execute();
  await sql`insert into outbox_rebuilt (id, exception_id, seq, person, kind, channel, target, body, fence, created_at, attempts, next_attempt_at, locked_until, delivered_at, failed_at, last_error)
    select id, exception_id, seq, person, kind, channel, target, body, fence, created_at, attempts, next_attempt_at, locked_until, delivered_at, failed_at, last_error from outbox`.execute(db);
  await sql`drop table outbox`.execute(db);
  await sql`alter table outbox_rebuilt rename to outbox`.execute(db);
  await db.schema.createIndex('outbox_due').on('outbox').columns(['next_attempt_at', 'id']).where(sql<boolean>`delivered_at is null and failed_at is null`).execute();
}
