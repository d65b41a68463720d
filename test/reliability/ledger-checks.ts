import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Stack } from '../stack.js';
import { report } from './soak.js';
import { verifyLedger } from '../../worker/ledger-verify.js';
import type { LedgerDb } from '../../ledger/db.js';

/**
 * What the ledger must look like after any fault: one row per exception, timelines numbered 1..n
 * without gaps or repeats, one `surfaced` and at most one closing event each, no repeated inbox entry.
 * Plain SQL both ledgers accept (PostgreSQL allows no output alias in HAVING).
 */
export async function ledgerAnomalies(ledger: LedgerDb): Promise<string[]> {
  const anomalies: string[] = [];
  const q = async (query: ReturnType<typeof sql<{ id: string; n: number }>>) => (await query.execute(ledger)).rows;
  for (const r of await q(sql`select id, count(*) as n from exceptions group by id having count(*) > 1`)) anomalies.push(`${r.id}: ${r.n} exception rows`);
  for (const r of await q(sql`select exception_id as id, count(*) as n from exception_events group by exception_id having max(seq) != count(*) or min(seq) != 1`)) {
    anomalies.push(`${r.id}: timeline seqs are not 1..n`);
  }
  for (const r of await q(sql`select exception_id as id, count(*) as n from exception_events where action = 'surfaced' group by exception_id having count(*) != 1`)) {
    anomalies.push(`${r.id}: surfaced ${r.n} times`);
  }
  for (const r of await q(sql`select exception_id as id, count(*) as n from exception_events where action in ('resolved', 'dismissed') group by exception_id having count(*) > 1`)) {
    anomalies.push(`${r.id}: closed ${r.n} times`);
  }
  for (const r of await q(sql`select e.id as id, 0 as n from exceptions e where not exists (select 1 from exception_events v where v.exception_id = e.id)`)) {
    anomalies.push(`${r.id}: no timeline`);
  }
  for (const r of await q(sql`select exception_id as id, count(*) as n from inbox group by exception_id, seq, person, kind having count(*) > 1`)) {
    anomalies.push(`${r.id}: a repeated inbox entry`);
  }
  return anomalies;
}

export async function statusCounts(ledger: LedgerDb): Promise<Record<string, number>> {
  const rows = await ledger.selectFrom('exceptions').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/**
 * `ledger:verify` as the reliability suite runs it after every fault: every exception's state,
 * timeline and inbox against its workflow. Differences are returned as lines, so a failure names them.
 */
export async function ledgerDisagreements(ledger: LedgerDb, client: Client): Promise<string[]> {
  const report = await verifyLedger({ ledger, client, recheckAfterMs: 3000, skipVisibility: true });
  return report.differences.map((d) => `${d.kind} ${d.id}: ${d.detail}`);
}

/** The same against a Temporal address, for suites whose API and worker run as other processes. */
export async function ledgerDisagreementsAt(ledger: LedgerDb, address: string, namespace: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    return await ledgerDisagreements(ledger, new Client({ connection, namespace }));
  } finally {
    await connection.close();
  }
}

/**
 * The last test of a scenario's file: `ledger:verify` after everything it did, once the confirmer has
 * had two passes (a rebuilt row is confirmed by the pass after). Asserts zero differences.
 */
export function verifyLedgerAfterwards(scenario: string, stackOf: () => Stack): void {
  describe(`after ${scenario}`, () => {
    it('leaves the ledger agreeing with history (ledger:verify)', async () => {
      const stack = stackOf();
      await stack.worker?.confirmer.settle();
      await stack.worker?.confirmer.settle();
      const differences = await ledgerDisagreements(stack.ledger, stack.api.client);
      report(`${scenario}.ledger-verify`, { differences: differences.length, repaired: stack.worker?.confirmer.stats.repaired, unrepairable: stack.worker?.confirmer.stats.unrepairable });
      expect(differences).toEqual([]);
    }, 120_000);
  });
}
