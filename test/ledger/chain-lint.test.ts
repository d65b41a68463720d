import { afterAll, beforeAll, expect, it } from 'vitest';
import { findGaps } from '../../domain/gaps.js';
import { relintCapability } from '../../ledger/chain-lint.js';
import type { LedgerDb } from '../../ledger/db.js';
import { gapInputs } from '../../ledger/gaps.js';
import { eachLedger, openTestLedger } from '../ledgers.js';

/**
 * The stored lint, without Temporal: it reads the matrix, the directory (with `unreachable_at`, which
 * the e-mail work sets on a permanent refusal) and the effective templates, keeps a finding's `since`
 * across runs, and the gap audit reads what it stored.
 */
eachLedger('the stored chain lint', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestLedger(kind));
    const template = { slaPolicies: { high: { escalation: [{ after: '1m', notify: 'backup' }, { after: '2m', notify: 'escalation[0]' }] } } };
    const at = '2026-12-01T00:00:00.000Z';
    await db.insertInto('capabilities').values({ id: 'po', name: 'PO', version: 1, template: JSON.stringify(template), source: 'test', updated_at: at, updated_by: 't' }).execute();
    await db.insertInto('capability_regions').values({ capability_id: 'po', region: 'NA', overlay: '{}', effective: JSON.stringify(template), updated_at: at, updated_by: 't' }).execute();
    for (const id of ['olu', 'bea', 'cho']) {
      await db.insertInto('people').values({ id, name: id, email: `${id}@example.com`, manager_id: null, status: 'active', roles: '[]', version: 1, updated_at: at, updated_by: 't' }).execute();
    }
    await db.insertInto('ownership_cells').values({ capability: 'po', region: 'NA', area: 'business-rules', owner: 'olu', backup: 'bea', escalation: '["cho"]', version: 1 }).execute();
  });
  afterAll(async () => close?.());

  it('reports a step reaching someone unreachable, keeps when it was first seen, and clears', async () => {
    expect(await relintCapability(db, 'po')).toEqual([]);
    await db.updateTable('people').set({ unreachable_at: '2026-12-02T08:00:00.000Z', unreachable_reason: '550 no such user' }).where('id', '=', 'bea').execute();
    const first = await relintCapability(db, 'po', new Date('2026-12-02T09:00:00.000Z'));
    expect(first).toEqual([{ capability: 'po', region: 'NA', area: 'business-rules', kind: 'unreachable-owner', person: 'bea', detail: 'backup (high step 1) reaches bea, who is marked unreachable', since: '2026-12-02T09:00:00.000Z' }]);
    const again = await relintCapability(db, 'po', new Date('2026-12-02T10:00:00.000Z'));
    expect(again[0]!.since).toBe('2026-12-02T09:00:00.000Z');
    const audit = findGaps(await gapInputs(db, { maxCellsPerPerson: 9, maxOpenPerOwner: 9 }));
    expect(audit.filter((g) => g.kind === 'unreachable-owner')).toEqual(first);
    await db.updateTable('people').set({ unreachable_at: null, unreachable_reason: null }).where('id', '=', 'bea').execute();
    expect(await relintCapability(db, 'po')).toEqual([]);
  });
});
