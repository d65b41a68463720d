import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CapabilityTemplate } from '../../domain/capability.js';
import { DAY_MS, dayOf, scorecard } from '../../domain/rules/readiness.js';
import type { LedgerDb } from '../../ledger/db.js';
import { quarantine } from '../../ledger/exceptions.js';
import { recordTransition } from '../../ledger/projection.js';
import { readinessFacts } from '../../ledger/readiness.js';
import { storeReportedEvents, type NewReportedEvent } from '../../ledger/reports.js';
import { getStage, listSnapshots, putStage, saveSnapshot } from '../../ledger/rollout-stages.js';
import { eachLedger, openTestLedger } from '../ledgers.js';
import { exceptionState, MIN, NOW } from '../ledger/states.js';

const template = {
  valueEvents: [{ id: 'rework-avoided', description: 'x', unit: 'minutes' }],
  cutover: { minAutomationRate: 0.85, maxOpenExceptions: 25, maxSlaBreachRate: 0.05, minDaysStable: 2, maxQuarantineRate: 0.1 },
} as unknown as Pick<CapabilityTemplate, 'valueEvents' | 'cutover'>;
const gapThresholds = { maxCellsPerPerson: 6, maxOpenPerOwner: 25 };

const event = (key: string, over: Partial<NewReportedEvent> = {}): NewReportedEvent => ({
  capability: 'po-ledger',
  key,
  region: 'NA',
  kind: 'decision',
  valueEvent: null,
  outcome: 'place-order',
  quantity: 10,
  occurredAt: NOW - 2 * DAY_MS,
  origin: 'report',
  reportedBy: 'erp',
  ...over,
});

/**
 * The readiness tables and aggregates on both ledgers: the SQL is portable (no JSON functions, no
 * two-argument min/max, no insert-or-ignore), and the totals never count an event twice.
 */
eachLedger('readiness in the ledger', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestLedger(kind));
  });
  afterAll(async () => close?.());

  const totals = async () =>
    (await db.selectFrom('readiness_daily').selectAll().where('capability', '=', 'po-ledger').orderBy('metric').orderBy('key').execute()).map((r) => ({
      metric: r.metric,
      key: r.key,
      day: Number(r.day),
      events: Number(r.events),
      quantity: Number(r.quantity),
    }));

  it('stores events once by key, answers duplicates and conflicts, and keeps the daily totals exact, also under concurrent reports', async () => {
    const batch = [event('a'), event('b', { outcome: null, quantity: 5 }), event('v', { kind: 'value', valueEvent: 'rework-avoided', outcome: null, quantity: 12.5 })];
    expect(await storeReportedEvents(db, batch, NOW)).toEqual(['stored', 'stored', 'stored']);
    expect(await storeReportedEvents(db, [...batch, event('a', { quantity: 11 })].slice(1), NOW)).toEqual(['duplicate', 'duplicate', 'conflict']);
    // Two reporters retrying the same new events at once.
    const racing = Array.from({ length: 20 }, (_, i) => event(`r${i}`, { occurredAt: NOW - DAY_MS }));
    const outcomes = await Promise.all([storeReportedEvents(db, racing, NOW), storeReportedEvents(db, racing, NOW), storeReportedEvents(db, racing, NOW)]);
    expect(outcomes.flat().filter((o) => o === 'stored')).toHaveLength(20);
    expect(await totals()).toEqual([
      { metric: 'decision', key: '', day: dayOf(NOW - 2 * DAY_MS), events: 1, quantity: 5 },
      { metric: 'decision', key: 'place-order', day: dayOf(NOW - 2 * DAY_MS), events: 1, quantity: 10 },
      { metric: 'decision', key: 'place-order', day: dayOf(NOW - DAY_MS), events: 20, quantity: 200 },
      { metric: 'value', key: 'rework-avoided', day: dayOf(NOW - 2 * DAY_MS), events: 1, quantity: 12.5 },
    ]);
  });

  it('counts raised, breached, claimed-in-time and open exceptions, refused intakes and their fields, as of a time', async () => {
    const write = (n: number, over: Parameters<typeof exceptionState>[1], events: Array<{ seq: number; at: number; action: string; actor: string }>) =>
      recordTransition(db, {
        fence: 1,
        state: exceptionState(n, { region: 'NA', createdAt: NOW - 3 * DAY_MS + n * MIN, claimBy: NOW - 3 * DAY_MS + n * MIN + 15 * MIN, resolveBy: NOW - 3 * DAY_MS + 4 * 60 * MIN, ...over }, 'po-ledger'),
        payload: {},
        events: events.map((e) => ({ ...e, from: null, to: null, reason: null })),
        notifications: [],
      });
    const created = (n: number) => NOW - 3 * DAY_MS + n * MIN;
    // 1: claimed in time, resolved in time. 2: claimed late. 3: never claimed, still open (breached both ways).
    // 4: claimed in time, resolved after resolve-by. 5: open, snoozed from the start until after now: no clock ran out.
    await write(1, { status: 'resolved', claimant: 'li', seq: 3 }, [{ seq: 1, at: created(1), action: 'surfaced', actor: 'erp' }, { seq: 2, at: created(1) + 5 * MIN, action: 'claimed', actor: 'li' }, { seq: 3, at: created(1) + 60 * MIN, action: 'resolved', actor: 'li' }]);
    await write(2, { status: 'claimed', claimant: 'omar', seq: 2 }, [{ seq: 1, at: created(2), action: 'surfaced', actor: 'erp' }, { seq: 2, at: created(2) + 30 * MIN, action: 'claimed', actor: 'omar' }]);
    await write(3, { status: 'open', seq: 1 }, [{ seq: 1, at: created(3), action: 'surfaced', actor: 'erp' }]);
    await write(4, { status: 'resolved', claimant: 'li', seq: 3 }, [{ seq: 1, at: created(4), action: 'surfaced', actor: 'erp' }, { seq: 2, at: created(4) + 1 * MIN, action: 'claimed', actor: 'li' }, { seq: 3, at: created(4) + 5 * 60 * MIN, action: 'resolved', actor: 'li' }]);
    await write(5, { status: 'open', seq: 1, snoozedUntil: NOW + DAY_MS, snoozedAt: created(5) }, [{ seq: 1, at: created(5), action: 'surfaced', actor: 'erp' }]);
    // The projection sets closed_at from the state's close; make the two resolutions' times explicit.
    await db.updateTable('exceptions').set({ closed_at: created(1) + 60 * MIN }).where('id', '=', 'exception:po-ledger:1').execute();
    await db.updateTable('exceptions').set({ closed_at: created(4) + 5 * 60 * MIN }).where('id', '=', 'exception:po-ledger:4').execute();
    for (const [i, path] of ['payload.sku', 'payload.sku', 'payload.poNumber'].entries()) {
      await quarantine(db, { at: NOW - DAY_MS + i, actor: 'erp', capability: 'po-ledger', region: 'NA', type: 'price-variance', sourceKey: `q${i}`, reasons: [{ path, message: 'required' }, { path, message: 'twice, counted once' }], body: {} });
    }
    // Refused before its capability was read: no region's.
    await quarantine(db, { at: NOW - DAY_MS, actor: 'erp', reasons: [{ path: 'capability', message: 'required' }], body: {} });
    await db.insertInto('quarantine').values({ received_at: NOW - DAY_MS, actor: 'erp', capability: 'po-ledger', region: 'NA', type: 'decision', source_key: 'r', reasons: '[]', body: '{}', source: 'report' }).execute();

    const facts = await readinessFacts(db, { capability: 'po-ledger', region: 'NA', template, to: NOW, now: NOW + 1, gapThresholds });
    expect(facts).toMatchObject({
      days: 14,
      decisions: 215,
      raised: 5,
      breached: 3,
      claimedWithinSla: 2,
      claimMissed: 2,
      open: 3,
      oldestOpen: { id: 'exception:po-ledger:2' },
      quarantined: 3,
      operators: 2,
    });
    expect(facts.failingFields.sort((a, b) => a.path.localeCompare(b.path))).toEqual([{ path: 'payload.poNumber', count: 1 }, { path: 'payload.sku', count: 2 }]);
    expect(facts.valueDays).toEqual([{ day: dayOf(NOW - 2 * DAY_MS), valueEvent: 'rework-avoided', events: 1, total: 12.5 }]);

    // As of the moment before exception 4 was resolved: it was open (and past resolve-by), 1 was resolved.
    const earlier = await readinessFacts(db, { capability: 'po-ledger', region: 'NA', template, to: created(4) + 5 * 60 * MIN - 1, now: NOW + 1, gapThresholds });
    expect(earlier).toMatchObject({ raised: 5, open: 4, quarantined: 0, decisions: 0 });
  });

  it('counts no resolve breach for an exception waiting on others (its resolve clock is paused)', async () => {
    const created = NOW - 2 * DAY_MS;
    const claimed = (n: number, over: Parameters<typeof exceptionState>[1]) =>
      recordTransition(db, {
        fence: 1,
        state: exceptionState(n, { region: 'NA', status: 'claimed', claimant: 'li', seq: 2, createdAt: created, claimBy: created + 15 * MIN, resolveBy: created + 4 * 60 * MIN, ...over }, 'po-wait'),
        payload: {},
        events: [
          { seq: 1, at: created, action: 'surfaced', actor: 'erp', from: null, to: null, reason: null },
          { seq: 2, at: created + MIN, action: 'claimed', actor: 'li', from: null, to: null, reason: null },
        ],
        notifications: [],
      });
    // Both past resolve-by; the second waits on a supplier since before it.
    await claimed(1, {});
    await claimed(2, { waiting: { reason: 'supplier', note: null, until: null, since: created + 60 * MIN, by: 'li' } });
    expect((await db.selectFrom('exceptions').select(['id', 'waiting_since', 'overdue_at']).where('capability', '=', 'po-wait').orderBy('id').execute()).map((r) => [Number(r.waiting_since) || null, r.overdue_at === null])).toEqual([
      [null, false],
      [created + 60 * MIN, true],
    ]);
    const facts = await readinessFacts(db, { capability: 'po-wait', region: 'NA', template, to: NOW, now: NOW + 1, gapThresholds });
    expect(facts).toMatchObject({ raised: 2, breached: 1 });
  });

  it('keeps the first snapshot of a day, reads held days back, and keeps a region\'s stage', async () => {
    const facts = await readinessFacts(db, { capability: 'po-ledger', region: 'NA', template, to: NOW, now: NOW + 1, gapThresholds });
    const card = scorecard(facts, template.cutover);
    const day = dayOf(NOW) - DAY_MS;
    const snapshot = { capability: 'po-ledger', region: 'NA', day, stage: 'pilot', scorecard: { ...card, held: true }, computedAt: NOW, origin: 'schedule' as const };
    expect(await saveSnapshot(db, snapshot)).toBe(true);
    expect(await saveSnapshot(db, { ...snapshot, scorecard: { ...card, held: false } })).toBe(false);
    expect((await listSnapshots(db, 'po-ledger', 'NA', day, day + DAY_MS)).map((s) => s.held)).toEqual([true]);
    expect(await saveSnapshot(db, { ...snapshot, scorecard: { ...card, held: false } }, true)).toBe(true);
    expect((await listSnapshots(db, 'po-ledger', 'NA', day, day + DAY_MS)).map((s) => s.held)).toEqual([false]);

    expect(await getStage(db, 'po-ledger', 'NA')).toMatchObject({ stage: 'pilot', since: null });
    await putStage(db, { capability: 'po-ledger', region: 'NA', stage: 'production', at: NOW, actor: 'grace', reason: null });
    await putStage(db, { capability: 'po-ledger', region: 'NA', stage: 'paused', at: NOW + 1, actor: 'grace', reason: 'outage' });
    expect(await getStage(db, 'po-ledger', 'NA')).toMatchObject({ stage: 'paused', since: NOW + 1, updatedBy: 'grace', reason: 'outage', flaggedAt: null });
  });
});
