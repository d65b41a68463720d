import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLedger, openLedger, type LedgerDb } from '../../ledger/db.js';
import { readRoute } from '../../ledger/route.js';

/** ledger/route.ts reads what the routing rule needs, the manager of the owner included, from the projections. */
let db: LedgerDb;
beforeAll(async () => {
  db = openLedger({ file: ':memory:' });
  await migrateLedger(db);
  const person = (id: string, status: string, manager_id: string | null = null) => ({
    id,
    name: id,
    email: `${id}@example.com`,
    manager_id,
    status,
    roles: '[]',
    version: 1,
    updated_at: '2026-11-01T00:00:00.000Z',
    updated_by: 'test',
  });
  await db
    .insertInto('people')
    .values([person('olu', 'on-leave', 'max'), person('bea', 'active', 'max'), person('cho', 'active'), person('max', 'active'), person('cur', 'departed', 'meg'), person('meg', 'on-leave')])
    .execute();
  await db
    .insertInto('ownership_cells')
    .values([
      { capability: 'po-test', region: 'NA', area: 'business-rules', owner: 'olu', backup: 'bea', escalation: JSON.stringify(['cho', 'gone']), version: 4 },
      { capability: 'po-test', region: 'NA', area: 'exception-queue', owner: null, backup: null, escalation: '[]', version: 2 },
    ])
    .execute();
});
afterAll(async () => db?.destroy());

describe('reading a route from the ledger', () => {
  it('hands an absent owner to the backup, keeps the active chain and finds the active manager', async () => {
    expect(await readRoute(db, 'po-test', 'NA', 'business-rules', 'cur')).toEqual({
      route: { owner: 'bea', ownerSource: 'backup', backup: null, escalation: ['cho'], managerOfOwner: 'max', matrixVersion: 4 },
      currentOwnerActive: false,
    });
  });

  it("falls back to the current owner's manager, who must be active", async () => {
    expect(await readRoute(db, 'po-test', 'NA', 'exception-queue', 'cur')).toEqual({
      route: { owner: null, ownerSource: 'unowned', backup: null, escalation: [], managerOfOwner: null, matrixVersion: 2 },
      currentOwnerActive: false,
    });
    await db.updateTable('people').set({ status: 'active' }).where('id', '=', 'meg').execute();
    expect((await readRoute(db, 'po-test', 'NA', 'exception-queue', 'cur')).route.managerOfOwner).toBe('meg');
  });

  it('routes a cell never assigned to no one', async () => {
    expect(await readRoute(db, 'po-test', 'EMEA', 'business-rules', null)).toEqual({
      route: { owner: null, ownerSource: 'unowned', backup: null, escalation: [], managerOfOwner: null, matrixVersion: 0 },
      currentOwnerActive: false,
    });
  });
});
