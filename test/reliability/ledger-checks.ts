import { sql } from 'kysely';
import type { LedgerDb } from '../../ledger/db.js';

/**
 * What the ledger must look like after any fault: one row per exception, timelines numbered 1..n
 * without gaps or repeats, one `surfaced` and at most one closing event each, no repeated inbox entry.
 */
export async function ledgerAnomalies(ledger: LedgerDb): Promise<string[]> {
  const anomalies: string[] = [];
  const q = async (query: ReturnType<typeof sql<{ id: string; n: number }>>) => (await query.execute(ledger)).rows;
  for (const r of await q(sql`select id, count(*) as n from exceptions group by id having n > 1`)) anomalies.push(`${r.id}: ${r.n} exception rows`);
  for (const r of await q(sql`select exception_id as id, count(*) as n from exception_events group by exception_id having max(seq) != count(*) or min(seq) != 1`)) {
    anomalies.push(`${r.id}: timeline seqs are not 1..n`);
  }
  for (const r of await q(sql`select exception_id as id, count(*) as n from exception_events where action = 'surfaced' group by exception_id having n != 1`)) {
    anomalies.push(`${r.id}: surfaced ${r.n} times`);
  }
  for (const r of await q(sql`select exception_id as id, count(*) as n from exception_events where action in ('resolved', 'dismissed') group by exception_id having n > 1`)) {
    anomalies.push(`${r.id}: closed ${r.n} times`);
  }
  for (const r of await q(sql`select e.id as id, 0 as n from exceptions e where not exists (select 1 from exception_events v where v.exception_id = e.id)`)) {
    anomalies.push(`${r.id}: no timeline`);
  }
  for (const r of await q(sql`select exception_id as id, count(*) as n from inbox group by exception_id, seq, person, kind having n > 1`)) {
    anomalies.push(`${r.id}: a repeated inbox entry`);
  }
  return anomalies;
}

export async function statusCounts(ledger: LedgerDb): Promise<Record<string, number>> {
  const rows = await ledger.selectFrom('exceptions').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
