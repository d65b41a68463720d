import { sql, type Kysely, type Migration } from 'kysely';

/**
 * 0007_readiness: reported decisions and value events, their daily totals, daily scorecard snapshots
 * and rollout stages. Schema builder only and bigint milliseconds, so it runs on PostgreSQL as well.
 */
export const readinessMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('reported_events')
      .addColumn('capability', 'text', (c) => c.notNull())
      .addColumn('event_key', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value_event', 'text')
      .addColumn('outcome', 'text')
      .addColumn('quantity', 'double precision')
      .addColumn('occurred_at', 'bigint', (c) => c.notNull())
      .addColumn('day', 'bigint', (c) => c.notNull())
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('reported_by', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('reported_events_pk', ['capability', 'event_key'])
      .execute();
    await db.schema.createIndex('reported_events_place').on('reported_events').columns(['capability', 'region', 'occurred_at']).execute();
    await db.schema
      .createTable('readiness_daily')
      .addColumn('capability', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('day', 'bigint', (c) => c.notNull())
      .addColumn('events', 'bigint', (c) => c.notNull())
      .addColumn('quantity', 'double precision', (c) => c.notNull())
      .addPrimaryKeyConstraint('readiness_daily_pk', ['capability', 'region', 'metric', 'day', 'key'])
      .execute();
    await db.schema
      .createTable('readiness_snapshots')
      .addColumn('capability', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('day', 'bigint', (c) => c.notNull())
      .addColumn('held', 'integer', (c) => c.notNull())
      .addColumn('ready', 'integer', (c) => c.notNull())
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('scorecard', 'text', (c) => c.notNull())
      .addColumn('computed_at', 'bigint', (c) => c.notNull())
      .addColumn('origin', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('readiness_snapshots_pk', ['capability', 'region', 'day'])
      .execute();
    await db.schema
      .createTable('rollout_stages')
      .addColumn('capability', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('since', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('flagged_at', 'bigint')
      .addPrimaryKeyConstraint('rollout_stages_pk', ['capability', 'region'])
      .execute();
    // Refused reported events share the quarantine with refused intakes; input reliability counts intakes only.
    await db.schema.alterTable('quarantine').addColumn('source', 'text', (c) => c.notNull().defaultTo(sql`'intake'`)).execute();
    await db.schema.createIndex('quarantine_place').on('quarantine').columns(['capability', 'region', 'received_at']).execute();
    // The scorecard counts a region's exceptions by when they were raised.
    await db.schema.createIndex('exceptions_place_created').on('exceptions').columns(['capability', 'region', 'created_at']).execute();
  },
};
