import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlaPolicy } from '../../domain/capability.js';
import { stateDigest } from '../../domain/rules/digest.js';
import type { Receipt, RecordedTransition } from '../../domain/rules/exception-model.js';
import { confirmFromWorkflow, confirmReceipt, readProjectionHead, rebuildTail } from '../../ledger/confirmation.js';
import { migrateLedger, openLedger, type LedgerDb } from '../../ledger/db.js';
import { recordTransition } from '../../ledger/projection.js';
import { ExceptionCase } from '../../workflows/exception/case.js';
import { exceptionInput, testRoute } from '../exception-input.js';

/**
 * Decision 0009 without Temporal: two attempts of one workflow task reach the same seq with different
 * content, and the ledger holds the attempt history did not keep (its local activity was resolved from
 * the other attempt's write, or a dropped speculative task wrote it). A seq-only confirmation trusts
 * that row for good; the content check refuses it and the confirmer rebuilds it from what the workflow remembers.
 */
const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const policy: SlaPolicy = { claimWithin: '1h', resolveWithin: '1d', claimLease: '2h', escalation: [{ after: '1h', notify: 'backup' }] };
const route = testRoute;
const input = exceptionInput(policy);

/** One attempt of the workflow: the same surfacing, then whatever its task applies. */
function attempt() {
  const c = new ExceptionCase(input, T0);
  c.surface(route, T0);
  return c;
}
const receiptOf = (c: ExceptionCase): Receipt => ({ id: c.state.id, seq: c.state.seq, status: c.state.status, digest: stateDigest(c.state) });
const claimant = async (db: LedgerDb) => (await db.selectFrom('exceptions').select('claimant').executeTakeFirstOrThrow()).claimant;
const timeline = async (db: LedgerDb) => (await db.selectFrom('exception_events').select(['seq', 'actor', 'action']).orderBy('seq').execute()).map((e) => `${e.seq} ${e.action} ${e.actor}`);

/** What confirmThrough did before decision 0009: an update returned seq N, so rows up to N are history's. */
async function confirmBySeq(db: LedgerDb, r: Receipt) {
  await db.updateTable('exceptions').set({ confirmed_seq: r.seq }).where('id', '=', r.id).where('seq', '>=', r.seq).execute();
}

describe('confirming the ledger by content, not by seq', () => {
  let db: LedgerDb;
  let history: ExceptionCase;
  let historyTransitions: RecordedTransition[];

  beforeEach(async () => {
    db = openLedger({ file: ':memory:' });
    await migrateLedger(db);
    // Surfacing, written and confirmed by its receipt.
    history = attempt();
    const surfacing = history.drain();
    await recordTransition(db, { fence: T0, state: history.state, ...surfacing });
    expect(await confirmReceipt(db, receiptOf(history))).toBe('confirmed');
    // Attempt A claims for olivia and writes; its task is lost. History's attempt B claims for omar
    // 34 ms later, and its ledger write never runs: the local activity is resolved from A's.
    const a = attempt();
    a.drain();
    a.claim({ id: 'olivia', roles: ['operator'] }, T0 + 1000, false);
    await recordTransition(db, { fence: T0 + 1000, state: a.state, ...a.drain() });
    history.claim({ id: 'omar', roles: ['operator'] }, T0 + 1034, false);
    historyTransitions = [surfacing, history.drain()];
    expect(history.state.seq).toBe(a.state.seq);
  });
  afterEach(async () => db.destroy());

  it('without the content check, the other attempt\'s claim is confirmed and stays (the bug)', async () => {
    await confirmBySeq(db, receiptOf(history));
    const head = await readProjectionHead(db, input.id);
    // Confirmed, so no confirmer ever looks at it again: the ledger names olivia, history omar.
    expect(head!.confirmed_seq).toBe(head!.seq);
    expect(await claimant(db)).toBe('olivia');
  });

  it('refuses the receipt, rebuilds the tail from the workflow, then confirms it', async () => {
    expect(await confirmReceipt(db, receiptOf(history))).toBe('differs');
    const head = (await readProjectionHead(db, input.id))!;
    expect(head.confirmed_seq).toBeLessThan(head.seq);
    // The confirmer asks the workflow: its state differs, so no confirmation; the tail is rebuilt.
    expect(await confirmFromWorkflow(db, input.id, head, history.state)).toBe(false);
    expect(await rebuildTail(db, input.id, head, history.state, historyTransitions, T0 + 5000)).toBe('rebuilt');
    expect(await claimant(db)).toBe('omar');
    expect((await timeline(db)).at(-1)).toMatch(/claimed omar$/);
    const rebuilt = (await readProjectionHead(db, input.id))!;
    expect(await confirmFromWorkflow(db, input.id, rebuilt, history.state)).toBe(true);
    // Attempt A's local activity, still running, writes again late: refused by the moved fence.
    const late = attempt();
    late.drain();
    late.claim({ id: 'olivia', roles: ['operator'] }, T0 + 1000, false);
    expect(await recordTransition(db, { fence: T0 + 1000, state: late.state, ...late.drain() })).toBe('stale');
    expect(await claimant(db)).toBe('omar');
  });

  it('refuses a receipt whose row matches but whose rows since the last confirmation do not', async () => {
    // History's attempt wrote its row, yet an event row of attempt A survived beside it.
    await recordTransition(db, { fence: T0 + 2000, state: history.state, ...historyTransitions[1]! });
    await db.updateTable('exception_events').set({ actor: 'olivia' }).where('seq', '=', history.state.seq).execute();
    expect(await confirmReceipt(db, receiptOf(history))).toBe('differs');
    await db.updateTable('exception_events').set({ actor: 'omar' }).where('seq', '=', history.state.seq).execute();
    expect(await confirmReceipt(db, receiptOf(history))).toBe('confirmed');
  });

  it('rebuilds nothing when the workflow remembers too little to cover the unconfirmed rows', async () => {
    const head = (await readProjectionHead(db, input.id))!;
    expect(await rebuildTail(db, input.id, head, history.state, [], T0 + 5000)).toBe('uncovered');
    expect(await claimant(db)).toBe('olivia');
  });

  it('rebuilds nothing when a write landed after the row was read', async () => {
    const head = (await readProjectionHead(db, input.id))!;
    await recordTransition(db, { fence: T0 + 3000, state: history.state, ...historyTransitions[1]! });
    expect(await rebuildTail(db, input.id, head, history.state, historyTransitions, T0 + 5000)).toBe('moved');
  });
});
