import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LedgerDb } from '../../ledger/db.js';
import { listExceptions, pageQuery, type ExceptionFilter } from '../../ledger/exceptions.js';
import { recordTransition } from '../../ledger/projection.js';
import type { ExceptionState } from '../../domain/rules/exception-model.js';
import { eachLedger, openTestLedger, type LedgerKind } from '../ledgers.js';
import { exceptionState, MIN, NOW } from './states.js';

const exception = (n: number, over: Partial<ExceptionState>) => exceptionState(n, over);

eachLedger('queue listing over the ledger', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestLedger(kind));
    await recordTransition(db, { fence: 1, state: exception(1, { claimBy: NOW - MIN }), payload: { note: 'x'.repeat(2000) }, events: [], notifications: [] }); // open, claim deadline passed
    await recordTransition(db, { fence: 1, state: exception(2, { status: 'claimed', claimant: 'omar', claimBy: NOW - MIN, resolveBy: NOW - MIN }), payload: { note: 'x'.repeat(2000) }, events: [], notifications: [] }); // claimed, resolve deadline passed
    await recordTransition(db, { fence: 1, state: exception(3, { status: 'claimed', claimant: 'omar', claimBy: NOW - MIN }), payload: { note: 'x'.repeat(2000) }, events: [], notifications: [] }); // claimed in time: claim deadline no longer counts
    await recordTransition(db, { fence: 1, state: exception(4, { status: 'resolved', claimBy: NOW - MIN, resolveBy: NOW - MIN }), payload: { note: 'x'.repeat(2000) }, events: [], notifications: [] }); // closed
    await recordTransition(db, { fence: 1, state: exception(5, { escalationLevel: 2 }), payload: { note: 'x'.repeat(2000) }, events: [], notifications: [] });
    for (let n = 6; n < 400; n++) await recordTransition(db, { fence: 1, state: exception(n, {}), payload: { note: 'x'.repeat(2000) }, events: [], notifications: [] });
  });
  afterAll(async () => close?.());

  const ids = async (filter: Partial<Parameters<typeof listExceptions>[1]>) =>
    (await listExceptions(db, { sort: 'created', limit: 50, now: NOW, ...filter })).items.map((e) => Number(e.id.split(':')[2]));

  it('counts as overdue an open exception past its claim deadline and an active one past its resolve deadline, nothing closed', async () => {
    expect(await ids({ overdue: true })).toEqual([1, 2]);
    const notOverdue = await ids({ overdue: false, limit: 500 });
    expect(notOverdue).toContain(3);
    expect(notOverdue).toContain(4);
    expect(notOverdue).not.toContain(1);
  });

  it('pages through an overdue view sorted by deadline without repeats', async () => {
    const first = await listExceptions(db, { sort: 'deadline', overdue: true, limit: 1, now: NOW });
    const second = await listExceptions(db, { sort: 'deadline', overdue: true, limit: 1, now: NOW, after: first.next! });
    expect([...first.items, ...second.items].map((e) => e.id).sort()).toEqual(['exception:po-list:1', 'exception:po-list:2']);
    expect(second.next).toBeNull();
  });

  it('answers the overdue and escalated views from an index, so they do not slow down as the queue grows', async () => {
    const plan = (filter: Partial<ExceptionFilter>) => explain(kind, db, pageQuery(db, { sort: 'created', limit: 50, now: NOW, ...filter }).compile());
    const [overdueIndex, escalatedIndex] =
      kind === 'sqlite'
        ? [/USING (COVERING )?INDEX exceptions_overdue/, /USING INDEX exceptions_escalated/]
        : [/(Index|Index Only|Bitmap Index) Scan (using|on) exceptions_overdue/, /(Index|Index Only|Bitmap Index) Scan (using|on) exceptions_escalated/];
    for (const sort of ['created', 'deadline'] as const) {
      expect(await plan({ overdue: true, sort })).toMatch(overdueIndex);
      expect(await plan({ escalated: true, sort })).toMatch(escalatedIndex);
    }
    expect(await ids({ escalated: true })).toEqual([5]);
  });
});

/**
 * The plan the ledger would run `query` with, as text. PostgreSQL prefers reading a table this small
 * whole, so sequential scans are priced out for the check (on one connection): what is pinned is that
 * an index answers the view, which is what the planner picks once the queue is large.
 */
async function explain(kind: LedgerKind, db: LedgerDb, query: CompiledQuery): Promise<string> {
  if (kind === 'sqlite') {
    const explained = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
    return explained.rows.map((r) => r.detail).join('; ');
  }
  return db.connection().execute(async (c) => {
    await sql`set enable_seqscan = off`.execute(c);
    try {
      const explained = await c.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]));
      return explained.rows.map((r) => r['QUERY PLAN']).join('; ');
    } finally {
      await sql`reset enable_seqscan`.execute(c);
    }
  });
}
