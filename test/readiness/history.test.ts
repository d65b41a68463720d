import { afterAll, beforeAll, expect, it } from 'vitest';
import { appendAudit } from '../../ledger/audit.js';
import type { LedgerDb } from '../../ledger/db.js';
import { gapInputs } from '../../ledger/gaps.js';
import { gapInputsAsOf } from '../../ledger/gaps-history.js';
import { recordTransition } from '../../ledger/projection.js';
import { readinessFacts } from '../../ledger/readiness.js';
import { eachLedger, openTestLedger } from '../ledgers.js';
import { exceptionState, NOW } from '../ledger/states.js';

const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const thresholds = { maxCellsPerPerson: 6, maxOpenPerOwner: 25 };
const cellOf = (owner: string | null, backup: string | null) => ({ owner, backup, escalation: ['dana'], updatedAt: null, updatedBy: null });

/**
 * The matrix and the directory as they stood at a time, from the ledger's logs (ownership_changes and
 * the people entries of the audit log), on both ledgers: what a backfilled day's ownership criterion reads.
 */
eachLedger('the ownership matrix as it stood', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestLedger(kind));
    const change = (version: number, at: number, area: string, after: ReturnType<typeof cellOf>) => ({
      capability: 'po-hist', version, at: iso(at), actor: 'grace', region: 'NA', area, before: JSON.stringify(cellOf(null, null)), after: JSON.stringify(after), reason: 'r',
    });
    await db.insertInto('ownership_changes').values([
      change(1, NOW - 10 * H, 'business-rules', cellOf('priya', 'li')),
      change(2, NOW - 5 * H, 'business-rules', cellOf('priya', null)),
      change(3, NOW - 2 * H, 'exception-queue', cellOf('li', 'priya')),
    ]).execute();
    // Today's cells: the log's last word, and one the log never heard of (a ledger older than its log).
    await db.insertInto('ownership_cells').values([
      { capability: 'po-hist', region: 'NA', area: 'business-rules', owner: 'priya', backup: null, escalation: '["dana"]', version: 2 },
      { capability: 'po-hist', region: 'NA', area: 'exception-queue', owner: 'li', backup: 'priya', escalation: '["dana"]', version: 3 },
      { capability: 'po-hist', region: 'NA', area: 'model-retraining', owner: 'dana', backup: 'li', escalation: '["grace"]', version: 0 },
    ]).execute();
    const person = (id: string, status: string) => ({ id, status });
    await appendAudit(db, [
      { idempotencyKey: 'p1', at: iso(NOW - 20 * H), actor: 'root', action: 'person.created', subjectType: 'person', subjectId: 'priya', detail: { before: null, after: person('priya', 'active') } },
      { idempotencyKey: 'p2', at: iso(NOW - 20 * H), actor: 'root', action: 'person.created', subjectType: 'person', subjectId: 'li', detail: { before: null, after: person('li', 'active') } },
      { idempotencyKey: 'p3', at: iso(NOW - 4 * H), actor: 'root', action: 'person.updated', subjectType: 'person', subjectId: 'li', detail: { before: person('li', 'active'), after: person('li', 'departed') } },
      { idempotencyKey: 'p4', at: iso(NOW - 3 * H), actor: 'root', action: 'person.created', subjectType: 'person', subjectId: 'sam', detail: { before: null, after: person('sam', 'active') } },
    ]);
    for (const [id, status] of [['priya', 'active'], ['li', 'departed'], ['sam', 'active'], ['dana', 'active']]) {
      await db.insertInto('people').values({ id: id!, name: id!, email: `${id}@example.com`, manager_id: null, status: status!, roles: '[]', version: 1, updated_at: iso(NOW), updated_by: 'root' }).execute();
    }
  });
  afterAll(async () => close?.());

  const cells = async (at: number) => (await gapInputsAsOf(db, thresholds, at)).cells.filter((c) => c.capability === 'po-hist').map((c) => [c.area, c.owner, c.backup, c.since]).sort();

  it('takes each cell as its last change before the time left it, leaves out cells not yet made, and keeps a cell the log never heard of as it is', async () => {
    expect(await cells(NOW - 6 * H)).toEqual([
      ['business-rules', 'priya', 'li', iso(NOW - 10 * H)],
      ['model-retraining', 'dana', 'li', ''],
    ]);
    expect(await cells(NOW - H)).toEqual([
      ['business-rules', 'priya', null, iso(NOW - 5 * H)],
      ['exception-queue', 'li', 'priya', iso(NOW - 2 * H)],
      ['model-retraining', 'dana', 'li', ''],
    ]);
  });

  it('says who was in the directory then, and with what status: someone departed since was active, someone added since was not there', async () => {
    const people = async (at: number) => Object.fromEntries(Object.entries((await gapInputsAsOf(db, thresholds, at)).people).map(([id, p]) => [id, p.status]));
    expect(await people(NOW - 30 * H)).toEqual({ dana: 'active' });
    expect(await people(NOW - 6 * H)).toEqual({ priya: 'active', li: 'active', dana: 'active' });
    expect(await people(NOW - H)).toEqual({ priya: 'active', li: 'departed', sam: 'active', dana: 'active' });
  });

  it('a region\'s scorecard reads only its own open exceptions and those of its people, and finds the gaps the whole audit finds there', async () => {
    // Orphaned in NA (li has departed), orphaned elsewhere, and 30 of priya's open in EU: she is overloaded, and she owns in NA.
    const open = (n: number, region: string, owner: string) =>
      recordTransition(db, { fence: 1, state: exceptionState(n, { region, owner }, 'po-hist'), payload: {}, events: [{ seq: 1, at: NOW, actor: 'erp', action: 'surfaced', from: null, to: null, reason: null }], notifications: [] });
    await open(1, 'NA', 'li');
    await open(2, 'APAC', 'li');
    for (let n = 10; n < 40; n++) await open(n, 'EU', 'priya');
    const template = { valueEvents: [], cutover: { minAutomationRate: 0.85, maxOpenExceptions: 25, maxSlaBreachRate: 0.05, minDaysStable: 2 } } as never;
    const facts = (inputs?: Awaited<ReturnType<typeof gapInputs>>) => readinessFacts(db, { capability: 'po-hist', region: 'NA', template, to: NOW, now: NOW, gapThresholds: thresholds, gapInputs: inputs });
    const own = (await facts()).gaps;
    expect(own).toEqual((await facts(await gapInputs(db, thresholds))).gaps);
    expect(own.map((g) => g.kind).sort()).toEqual(expect.arrayContaining(['orphaned-exception', 'overloaded']));
    expect(own.filter((g) => g.kind === 'orphaned-exception')).toHaveLength(1);
  });
});
