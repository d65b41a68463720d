import { describe, it } from 'vitest';
import { postgresSkipReason } from '../ledgers.js';
import { useLedgerByDefault } from '../stack.js';

/**
 * The lifecycle suite (lifecycle.test.ts) again, every stack on a PostgreSQL ledger (LEDGER_URL, a fresh
 * database on the suite's cluster): intake, duplicates, a 20-way claim race, reassignment, quarantine
 * and batches through the API and a real worker. Where PostgreSQL is absent it skips and says why.
 */
const skip = postgresSkipReason();
if (skip) {
  describe.skip(`the exception lifecycle [PostgreSQL]: skipped, ${skip}`, () => it('runs lifecycle.test.ts on PostgreSQL', () => undefined));
} else {
  useLedgerByDefault('postgres');
  await import('./lifecycle.test.js');
}
