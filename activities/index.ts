import os from 'node:os';
import { sql } from 'kysely';
import type { LedgerDb } from '../ledger/db.js';
import type { SelfCheckResult } from '../workflows/system/messages.js';

export interface ActivityDeps {
  ledger: LedgerDb;
  now?: () => Date;
}

/** Built by a factory so tests can hand in typed fakes. */
export function createActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());
  return {
    async describeLedger(): Promise<SelfCheckResult> {
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(deps.ledger);
      return {
        ledgerMigrations: rows.map((r) => r.name),
        workerIdentity: `${process.pid}@${os.hostname()}`,
        checkedAt: now().toISOString(),
      };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
