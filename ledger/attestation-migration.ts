import type { Kysely, Migration } from 'kysely';
import { columnTypes } from './dialect.js';

/**
 * 0015_chain_lint_attestation:
 * - `chain_lint`: the escalation-chain lint's current findings (ledger/chain-lint.ts), one row per
 *   finding key, replaced per capability on each run; `since` survives a run that finds it again.
 * - `attestation_campaigns` and `attestation_requests`: the projection of each attestation campaign
 *   workflow (workflows/attestation/), written by its activities after each workflow task committed.
 * - `people.unreachable_at` and `unreachable_reason`: the last permanent refusal of the person's mail
 *   address, null while reachable. The e-mail work (migration 0013_mail, branch `email`) adds the same
 *   two columns and sets them; this adds them only where they are missing, so either order works on a
 *   new ledger. The chain lint reports a step reaching such a person as `unreachable-owner`.
 */
export const chainLintAttestationMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const t = columnTypes(db);
    await db.schema
      .createTable('chain_lint')
      .addColumn('capability', 'text', (c) => c.notNull())
      .addColumn('finding_key', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('area', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('person', 'text')
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('since', 'text', (c) => c.notNull())
      .addColumn('linted_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('chain_lint_pk', ['capability', 'finding_key'])
      .execute();
    await db.schema
      .createTable('attestation_campaigns')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('capability', 'text', (c) => c.notNull())
      .addColumn('regions', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_by', 'text', (c) => c.notNull())
      .addColumn('started_at', t.int, (c) => c.notNull())
      .addColumn('remind_at', t.int, (c) => c.notNull())
      .addColumn('deadline', t.int, (c) => c.notNull())
      .addColumn('closed_at', t.int)
      .addColumn('closed_by', 'text')
      .addColumn('close_reason', 'text')
      .addColumn('reminded_at', t.int)
      .addColumn('version', t.int, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('attestation_campaigns_capability').on('attestation_campaigns').columns(['capability', 'started_at']).execute();
    await db.schema
      .createTable('attestation_requests')
      .addColumn('campaign_id', 'text', (c) => c.notNull())
      .addColumn('capability', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('area', 'text', (c) => c.notNull())
      .addColumn('person', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('answered_at', t.int)
      .addColumn('version', t.int, (c) => c.notNull())
      .addPrimaryKeyConstraint('attestation_requests_pk', ['campaign_id', 'region', 'area', 'person'])
      .execute();
    await db.schema.createIndex('attestation_requests_person').on('attestation_requests').columns(['person', 'state']).execute();
    await db.schema.createIndex('attestation_requests_cell').on('attestation_requests').columns(['capability', 'region', 'area', 'person']).execute();
    const people = (await db.introspection.getTables()).find((t) => t.name === 'people');
    for (const column of ['unreachable_at', 'unreachable_reason']) {
      if (!people?.columns.some((c) => c.name === column)) await db.schema.alterTable('people').addColumn(column, 'text').execute();
    }
  },
};
