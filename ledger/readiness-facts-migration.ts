import type { Kysely, Migration } from 'kysely';
import { columnTypes } from './dialect.js';
import { installClosedFacts } from './readiness-outcomes.js';
import { countRefusalsOf } from './refusals.js';

/**
 * 0009_readiness_facts: per-day facts, so a scorecard reads days, not exceptions or refusals.
 *
 * - readiness_closed: each closed exception's outcome (ledger/readiness-outcomes.ts), by the day it was
 *   raised and the day it closed; readiness_exception_daily: their sums per raised day × closed day ×
 *   claimant (the claimant in the key, so "operators" stays a distinct count). Both kept by triggers in
 *   the transaction that closes, reopens or re-claims an exception. A scorecard adds the days and
 *   counts live only what was open, or closed on its last day.
 * - refused intakes per day and per failing contract path, in readiness_daily (metrics `refused` and
 *   `refused-field`), written with each quarantined intake (ledger/refusals.ts).
 */
export const readinessFactsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const t = columnTypes(db);
    await db.schema
      .createTable('readiness_closed')
      .addColumn('exception_id', 'text', (c) => c.primaryKey())
      .addColumn('capability', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('day', t.int, (c) => c.notNull())
      .addColumn('closed_day', t.int, (c) => c.notNull())
      .addColumn('claimant', 'text', (c) => c.notNull())
      .addColumn('breached', t.int, (c) => c.notNull())
      .addColumn('claimed_in_sla', t.int, (c) => c.notNull())
      .addColumn('claim_missed', t.int, (c) => c.notNull())
      .addColumn('override', t.int, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('readiness_exception_daily')
      .addColumn('capability', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('day', t.int, (c) => c.notNull())
      .addColumn('closed_day', t.int, (c) => c.notNull())
      .addColumn('claimant', 'text', (c) => c.notNull())
      .addColumn('raised', t.int, (c) => c.notNull())
      .addColumn('breached', t.int, (c) => c.notNull())
      .addColumn('claimed_in_sla', t.int, (c) => c.notNull())
      .addColumn('claim_missed', t.int, (c) => c.notNull())
      .addColumn('overrides', t.int, (c) => c.notNull())
      .addPrimaryKeyConstraint('readiness_exception_daily_pk', ['capability', 'region', 'day', 'closed_day', 'claimant'])
      .execute();
    // What a scorecard counts live: a region's exceptions still open, or closed since its last day began.
    await db.schema.createIndex('exceptions_place_closed').on('exceptions').columns(['capability', 'region', 'closed_at', 'created_at']).execute();
    await installClosedFacts(db);
    await countRefusalsOf(db);
  },
};
