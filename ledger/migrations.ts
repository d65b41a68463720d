import { sql, type Kysely, type Migration } from 'kysely';
import { overdueAt, type OverdueClocks } from '../domain/rules/overdue.js';
import { decisionNoticesMigration } from './decision-notices-migration.js';
import { decisionsMigration } from './decisions-migration.js';
import { columnTypes, isPostgres } from './dialect.js';
import { mailMigration } from './mail-migration.js';
import { chainLintAttestationMigration } from './attestation-migration.js';
import { readinessNoticesMigration } from './notices-migration.js';
import { readinessFactsMigration } from './readiness-facts-migration.js';
import { readinessMigration } from './readiness-migration.js';
import { templateVersionsMigration } from './template-versions-migration.js';
import { trainingMigration } from './training.js';

/**
 * In-code migrations: they ship inside the bundle, so no folder has to be found at run time. Each runs
 * on SQLite and on PostgreSQL: column types come from columnTypes (integers are bigint on PostgreSQL),
 * and the few statements the two spell differently say so where they are.
 */
export const migrations: Record<string, Migration> = {
  '0001_audit_log': {
    async up(db: Kysely<unknown>) {
      const t = columnTypes(db);
      await db.schema
        .createTable('audit_log')
        .addColumn('id', t.int, t.serialId)
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
  '0002_capabilities_people_ownership': {
    async up(db: Kysely<unknown>) {
      const t = columnTypes(db);
      await db.schema
        .createTable('capabilities')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', t.int, (c) => c.notNull())
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('capability_regions')
        .addColumn('capability_id', 'text', (c) => c.notNull().references('capabilities.id'))
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('overlay', 'text', (c) => c.notNull())
        .addColumn('effective', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('capability_regions_pk', ['capability_id', 'region'])
        .execute();
      await db.schema
        .createTable('people')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('manager_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('version', t.int, (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('ownership_changes')
        .addColumn('capability', 'text', (c) => c.notNull())
        .addColumn('version', t.int, (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('area', 'text', (c) => c.notNull())
        .addColumn('before', 'text', (c) => c.notNull())
        .addColumn('after', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('ownership_changes_pk', ['capability', 'version'])
        .execute();
    },
  },
  '0003_exceptions': {
    async up(db: Kysely<unknown>) {
      const t = columnTypes(db);
      await db.schema
        .createTable('ownership_cells')
        .addColumn('capability', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('area', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('backup', 'text')
        .addColumn('escalation', 'text', (c) => c.notNull())
        .addColumn('version', t.int, (c) => c.notNull())
        .addPrimaryKeyConstraint('ownership_cells_pk', ['capability', 'region', 'area'])
        .execute();
      await db.schema
        .createTable('exceptions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('capability', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('area', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('claimant', 'text')
        .addColumn('escalation_level', t.int, (c) => c.notNull())
        .addColumn('confidence', t.real)
        .addColumn('claim_by', t.int, (c) => c.notNull())
        .addColumn('resolve_by', t.int, (c) => c.notNull())
        .addColumn('lease_until', t.int)
        .addColumn('snoozed_until', t.int)
        .addColumn('created_at', t.int, (c) => c.notNull())
        .addColumn('updated_at', t.int, (c) => c.notNull())
        .addColumn('closed_at', t.int)
        .addColumn('resolution_code', 'text')
        .addColumn('value_event', 'text')
        .addColumn('seq', t.int, (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('exceptions_status_created').on('exceptions').columns(['status', 'created_at', 'id']).execute();
      await db.schema.createIndex('exceptions_created').on('exceptions').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('exceptions_owner').on('exceptions').columns(['owner', 'status']).execute();
      await db.schema.createIndex('exceptions_claimant').on('exceptions').columns(['claimant', 'status']).execute();
      await db.schema.createIndex('exceptions_scope').on('exceptions').columns(['capability', 'region', 'status']).execute();
      await db.schema.createIndex('exceptions_deadline').on('exceptions').columns(['status', 'claim_by']).execute();
      await db.schema
        .createTable('exception_events')
        .addColumn('exception_id', 'text', (c) => c.notNull())
        .addColumn('seq', t.int, (c) => c.notNull())
        .addColumn('at', t.int, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('from_value', 'text')
        .addColumn('to_value', 'text')
        .addColumn('reason', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('exception_events_pk', ['exception_id', 'seq'])
        .execute();
      await db.schema
        .createTable('inbox')
        .addColumn('id', t.int, t.serialId)
        .addColumn('person', 'text', (c) => c.notNull())
        .addColumn('exception_id', 'text', (c) => c.notNull())
        .addColumn('seq', t.int, (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('level', t.int, (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('at', t.int, (c) => c.notNull())
        .addUniqueConstraint('inbox_once', ['exception_id', 'seq', 'person', 'kind'])
        .execute();
      await db.schema.createIndex('inbox_person').on('inbox').columns(['person', 'id']).execute();
      await db.schema
        .createTable('quarantine')
        .addColumn('id', t.int, t.serialId)
        .addColumn('received_at', t.int, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('capability', 'text')
        .addColumn('region', 'text')
        .addColumn('type', 'text')
        .addColumn('source_key', 'text')
        .addColumn('reasons', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0004_overdue_and_escalated_indexes': {
    async up(db: Kysely<unknown>) {
      // The earliest deadline an active exception can miss; overdue means it has passed. Computed by
      // SQLite, so no writer can forget it, and indexed with the sort keys so the queue's overdue view
      // sorts small index tuples instead of rows. (0005 drops it again. PostgreSQL 15 has no virtual
      // generated columns and spells two-argument min `least`: a stored one there, for the same history.)
      if (isPostgres(db)) {
        await sql`alter table exceptions add column due_at bigint generated always as (
          case status when 'open' then least(claim_by, resolve_by) when 'claimed' then resolve_by end) stored`.execute(db);
      } else {
        await sql`alter table exceptions add column due_at integer generated always as (
          case status when 'open' then min(claim_by, resolve_by) when 'claimed' then resolve_by end) virtual`.execute(db);
      }
      await db.schema.createIndex('exceptions_due').on('exceptions').columns(['due_at', 'created_at', 'claim_by', 'id']).execute();
      // The listing writes this predicate literally, so the planner can match the partial index.
      await db.schema.createIndex('exceptions_escalated').on('exceptions').columns(['claim_by', 'id']).where(sql<boolean>`escalation_level > 0`).execute();
    },
  },
  '0005_fenced_projection': {
    async up(db: Kysely<unknown>) {
      const t = columnTypes(db);
      // Overdue is the workflow's answer (domain/rules/overdue.ts), stored by its ledger write: the
      // generated column ignored snooze, so `?overdue=true` and the view disagreed.
      await sql`drop index exceptions_due`.execute(db);
      await sql`alter table exceptions drop column due_at`.execute(db);
      await db.schema.alterTable('exceptions').addColumn('overdue_at', t.int).execute();
      // The fence: the start time of the workflow task that wrote the row. A later task supersedes an
      // earlier attempt's rows; a write from an attempt older than the stored fence is refused.
      await db.schema.alterTable('exceptions').addColumn('fence', t.int, (c) => c.notNull().defaultTo(0)).execute();
      // Transitions up to here are known to be in history (an update returned, or a query agreed).
      await db.schema.alterTable('exceptions').addColumn('confirmed_seq', t.int, (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('exceptions').addColumn('written_at', t.int, (c) => c.notNull().defaultTo(0)).execute();
      // The payload is written once, at surfacing: the workflow does not carry it after that.
      await db.schema.alterTable('exceptions').addColumn('payload', 'text', (c) => c.notNull().defaultTo(sql`'{}'`)).execute();
      await db.schema.alterTable('exception_events').addColumn('fence', t.int, (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('inbox').addColumn('fence', t.int, (c) => c.notNull().defaultTo(0)).execute();
      const rows = await sql<{ id: string; state: string; confirmed: number }>`select id, state, seq as confirmed from exceptions`.execute(db);
      for (const row of rows.rows) {
        const state = JSON.parse(row.state) as OverdueClocks & { payload?: unknown; comments?: unknown };
        const payload = JSON.stringify(state.payload ?? {});
        delete state.payload;
        await sql`update exceptions set overdue_at = ${overdueAt(state)}, payload = ${payload}, state = ${JSON.stringify(state)}, confirmed_seq = ${row.confirmed} where id = ${row.id}`.execute(db);
      }
      await db.schema.createIndex('exceptions_overdue').on('exceptions').columns(['overdue_at', 'created_at', 'claim_by', 'id']).execute();
      await db.schema.createIndex('exceptions_unconfirmed').on('exceptions').columns(['written_at', 'id']).where(sql<boolean>`seq > confirmed_seq`).execute();
      // Notifications leave through a durable outbox, written in the same transaction as their
      // transition and delivered only once that transition is confirmed in history.
      await db.schema
        .createTable('outbox')
        .addColumn('id', t.int, t.serialId)
        .addColumn('exception_id', 'text', (c) => c.notNull())
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
        .addUniqueConstraint('outbox_key', ['exception_id', 'seq', 'person', 'kind'])
        .execute();
      await db.schema.createIndex('outbox_due').on('outbox').columns(['next_attempt_at', 'id']).where(sql<boolean>`delivered_at is null and failed_at is null`).execute();
    },
  },
  '0006_confirmed_digests': {
    async up(db: Kysely<unknown>) {
      // The event and notification digests as of confirmed_seq (domain/rules/digest.ts): a later
      // confirmation checks only the rows after it against the digests history's attempt computed
      // (decision 0009). Null until the first confirmation under this rule, which then digests every row.
      await db.schema.alterTable('exceptions').addColumn('confirmed_event_digest', 'text').execute();
      await db.schema.alterTable('exceptions').addColumn('confirmed_notice_digest', 'text').execute();
    },
  },
  '0007_readiness': readinessMigration,
  '0008_readiness_notices': readinessNoticesMigration,
  '0009_readiness_facts': readinessFactsMigration,
  '0010_readiness_claims': {
    async up(db: Kysely<unknown>) {
      // An exception's first claim (ledger/readiness-outcomes.ts) from one index entry, without reading
      // its timeline's rows: a scorecard looks it up for every exception it counts live. Only claims are
      // indexed, so the other events cost nothing more to write.
      await db.schema.createIndex('exception_events_claims').on('exception_events').columns(['exception_id', 'at']).where(sql<boolean>`action = 'claimed'`).execute();
    },
  },
  '0012_waiting': {
    async up(db: Kysely<unknown>) {
      // Since when an exception waits on others (null when it does not): the live scorecard counts no
      // resolve breach while its resolve clock is paused. Closed exceptions never wait, so their
      // per-day facts (0009) stay as they are.
      await db.schema.alterTable('exceptions').addColumn('waiting_since', columnTypes(db).int).execute();
    },
  },
  '0013_mail': mailMigration,
  '0014_template_versions': templateVersionsMigration,
  '0015_chain_lint_attestation': chainLintAttestationMigration,
  '0016_decisions': decisionsMigration,
  '0017_decision_notices': decisionNoticesMigration,
  '0018_training': trainingMigration,
};
