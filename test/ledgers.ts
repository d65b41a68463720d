import { describe, inject } from 'vitest';
import { migrateLedger, openLedger, type LedgerDb } from '../ledger/db.js';
import { createTestDatabase } from './pg.js';

/** The two ledgers every ledger suite runs on: SQLite (embedded, the default) and PostgreSQL (LEDGER_URL). */
export type LedgerKind = 'sqlite' | 'postgres';
export const LEDGER_KINDS: readonly LedgerKind[] = ['sqlite', 'postgres'];
export const ledgerLabel = (kind: LedgerKind) => (kind === 'sqlite' ? 'SQLite' : 'PostgreSQL');

/** Why this machine cannot run the PostgreSQL variants (no server binaries), if it cannot. */
export function postgresSkipReason(): string | undefined {
  const postgres = inject('postgres');
  return 'skip' in postgres ? postgres.skip : undefined;
}

/** A new database on the suite's PostgreSQL (test/pg.ts), for this test file; `drop` removes it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const postgres = inject('postgres');
  if ('error' in postgres) throw new Error(`the suite's PostgreSQL did not start: ${postgres.error}`);
  if ('skip' in postgres) throw new Error(`no PostgreSQL here: ${postgres.skip}`);
  return createTestDatabase(postgres.adminUrl);
}

/** An empty, migrated ledger of either kind, without Temporal: SQLite in memory, or a fresh PostgreSQL database. */
export async function openTestLedger(kind: LedgerKind): Promise<{ db: LedgerDb; url?: string; close(): Promise<void> }> {
  if (kind === 'sqlite') {
    const db = openLedger({ file: ':memory:' });
    await migrateLedger(db);
    return { db, close: () => db.destroy() };
  }
  const database = await freshPostgresDatabase();
  const db = openLedger({ url: database.url });
  await migrateLedger(db);
  return {
    db,
    url: database.url,
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}

/**
 * Declares `suite` once per ledger kind, titled with it. Where PostgreSQL is absent its variant is
 * skipped, and the skipped suite's title says why.
 */
export function eachLedger(title: string, suite: (kind: LedgerKind) => void): void {
  for (const kind of LEDGER_KINDS) {
    const skip = kind === 'postgres' ? postgresSkipReason() : undefined;
    const name = `${title} [${ledgerLabel(kind)}]`;
    if (skip) describe.skip(`${name}: skipped, ${skip}`, () => suite(kind));
    else describe(name, () => suite(kind));
  }
}
