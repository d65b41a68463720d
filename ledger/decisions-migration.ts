import { sql, type Kysely, type Migration } from 'kysely';
import { columnTypes } from './dialect.js';

/**
 * 0016_decisions: decision items (the decision log, its timeline and evidence), and two intake facts
 * on exceptions that triggers count by: the payload's model version and the person it is about
 * (buyerId). Exceptions raised before keep them null; triggers count what was raised since.
 */
export const decisionsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const t = columnTypes(db);
    await db.schema
      .createTable('decisions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workflow_id', 'text', (c) => c.notNull())
      .addColumn('capability', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('area', 'text', (c) => c.notNull())
      .addColumn('trigger_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('owner', 'text')
      .addColumn('escalated_to', 'text')
      .addColumn('escalation_level', t.int, (c) => c.notNull())
      .addColumn('due_at', t.int, (c) => c.notNull())
      .addColumn('overdue_at', t.int)
      .addColumn('raised_at', t.int, (c) => c.notNull())
      .addColumn('updated_at', t.int, (c) => c.notNull())
      .addColumn('closed_at', t.int)
      .addColumn('outcome', 'text')
      .addColumn('action', 'text')
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', t.int)
      .addColumn('defer_until', t.int)
      .addColumn('target_model_version', 'text')
      .addColumn('seq', t.int, (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('decisions_place').on('decisions').columns(['capability', 'area', 'region', 'raised_at']).execute();
    await db.schema.createIndex('decisions_owner').on('decisions').columns(['owner', 'status']).execute();
    await db.schema.createIndex('decisions_overdue').on('decisions').columns(['overdue_at']).where(sql<boolean>`overdue_at is not null`).execute();
    await db.schema
      .createTable('decision_events')
      .addColumn('decision_id', 'text', (c) => c.notNull())
      .addColumn('seq', t.int, (c) => c.notNull())
      .addColumn('at', t.int, (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('decision_events_pk', ['decision_id', 'seq'])
      .execute();
    await db.schema
      .createTable('decision_evidence')
      .addColumn('decision_id', 'text', (c) => c.primaryKey())
      .addColumn('measured', t.real, (c) => c.notNull())
      .addColumn('threshold', t.real, (c) => c.notNull())
      .addColumn('window_from', t.int, (c) => c.notNull())
      .addColumn('window_to', t.int, (c) => c.notNull())
      .addColumn('evidence', 'text', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('exceptions').addColumn('model_version', 'text').execute();
    await db.schema.alterTable('exceptions').addColumn('subject', 'text').execute();
    // What triggers count, each from one covering index (no table rows read): model versions per region
    // (first and last seen), raised per type and per buyer in a window, resolutions per type and code in a
    // window (a resolution code is set only when resolved), and the oldest open exception per type.
    await db.schema.createIndex('exceptions_model_version').on('exceptions').columns(['capability', 'region', 'model_version', 'created_at']).execute();
    await db.schema.createIndex('exceptions_raised_type').on('exceptions').columns(['capability', 'region', 'created_at', 'type']).execute();
    await db.schema.createIndex('exceptions_subject').on('exceptions').columns(['capability', 'region', 'created_at', 'type', 'subject']).where(sql<boolean>`subject is not null`).execute();
    await db.schema.createIndex('exceptions_resolved_code').on('exceptions').columns(['capability', 'region', 'closed_at', 'type', 'resolution_code']).where(sql<boolean>`resolution_code is not null`).execute();
    await db.schema.createIndex('exceptions_open_type').on('exceptions').columns(['capability', 'region', 'status', 'type', 'created_at']).execute();
  },
};
