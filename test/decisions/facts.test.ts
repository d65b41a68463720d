import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CapabilityTemplate } from '../../domain/capability.js';
import type { DecisionState } from '../../domain/rules/decision.js';
import { DAY_MS } from '../../domain/rules/readiness.js';
import type { LedgerDb } from '../../ledger/db.js';
import { firedInRegion } from '../../ledger/decision-evaluation.js';
import { listDecisions, openDecisionIds, overdueDecisions, readDecision, recordDecision } from '../../ledger/decisions.js';
import { recordTransition } from '../../ledger/projection.js';
import { storeReportedEvents } from '../../ledger/reports.js';
import { eachLedger, openTestLedger } from '../ledgers.js';
import { exceptionState, MIN, NOW } from '../ledger/states.js';

const CAP = 'po-facts';
const trigger = (over: object) => ({ dueIn: '1d', escalation: [{ after: '1d', notify: 'backup' }], window: '7d', threshold: 0, ...over });
const template = {
  decisionTriggers: {
    share: trigger({ area: 'model-retraining', kind: 'exception-share', exceptionType: 'low-confidence-recommendation', threshold: 0.2 }),
    repeats: trigger({ area: 'business-rules', kind: 'repeated-resolution', exceptionType: 'price-variance', threshold: 3 }),
    buyer: trigger({ area: 'adoption-training', kind: 'repeated-by-actor', exceptionType: 'recommendation-overridden-repeatedly', threshold: 2 }),
    age: trigger({ area: 'exception-queue', kind: 'queue-age', threshold: 2 }),
    version: trigger({ area: 'model-retraining', kind: 'new-model-version' }),
  },
} as unknown as Pick<CapabilityTemplate, 'decisionTriggers'>;

/**
 * The facts triggers read, on both ledgers: written through the exception projection (which keeps the
 * payload's model version and buyer), graded by the pure rule, and the decision log's own SQL.
 */
eachLedger('decision triggers in the ledger', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestLedger(kind));
    let n = 0;
    const write = (over: Parameters<typeof exceptionState>[1], payload: Record<string, unknown>) => {
      n += 1;
      return recordTransition(db, { fence: 1, state: exceptionState(n, { region: 'NA', ...over }, CAP), payload, events: [], notifications: [] });
    };
    const recent = NOW - DAY_MS;
    // 3 of 10 decisions raised low-confidence exceptions (30 % > 20 %), from po-rec-2.3.1 and then 2.4.0.
    for (let i = 0; i < 3; i++) await write({ type: 'low-confidence-recommendation', area: 'model-retraining', createdAt: recent + i * MIN }, { modelVersion: i < 2 ? 'po-rec-2.3.1' : 'po-rec-2.4.0' });
    // Price variances resolved the same way three times.
    for (let i = 0; i < 3; i++) {
      await write({ type: 'price-variance', area: 'business-rules', createdAt: recent, status: 'resolved', resolution: { code: 'accepted', note: null, valueEvent: null, by: 'olivia', at: recent + MIN } }, {});
    }
    // One buyer overriding twice.
    for (let i = 0; i < 2; i++) await write({ type: 'recommendation-overridden-repeatedly', area: 'adoption-training', createdAt: recent }, { buyerId: 'li' });
    // Oldest open: 3 days old against a 1-day resolve SLA.
    await write({ type: 'stale-input', area: 'exception-queue', createdAt: NOW - 3 * DAY_MS, resolveBy: NOW - 2 * DAY_MS }, {});
    const decisions = { capability: CAP, key: 'd', region: 'NA', kind: 'decision' as const, valueEvent: null, outcome: 'place-order', quantity: 2, occurredAt: recent, origin: 'report' as const, reportedBy: 'erp' };
    await storeReportedEvents(db, [decisions, { ...decisions, key: 'v', kind: 'value', valueEvent: 'model-feedback-logged', outcome: null, quantity: 4 }], NOW);
  });
  afterAll(async () => close?.());

  it('every kind fires from the ledger, with its figures and the exceptions behind it', async () => {
    const fired = await firedInRegion(db, CAP, 'NA', template, NOW);
    const by = Object.fromEntries(fired.map((f) => [f.triggerId, f]));
    expect(Object.keys(by).sort()).toEqual(['age', 'buyer', 'repeats', 'share', 'version']);
    // 3 low-confidence among 2 reported decisions + 9 exceptions raised in the week.
    expect(by.share!.evidence!.figures).toEqual({ exceptions: 3, decisions: 11 });
    expect(by.share!.evidence!.exceptionIds).toHaveLength(3);
    expect(by.share!.evidence!.values).toEqual([{ id: 'model-feedback-logged', events: 1, total: 4 }]);
    expect(by.repeats!.evidence!.figures).toEqual({ code: 'accepted', resolutions: 3 });
    expect(by.buyer!.evidence!.figures).toEqual({ actor: 'li', exceptions: 2 });
    expect(by.age!.evidence!.measured).toBeCloseTo(3);
    expect(by.version!.evidence!.figures).toMatchObject({ modelVersion: 'po-rec-2.4.0', exceptions: 1, previous: 'po-rec-2.3.1' });
    expect(by.version!.workflowId).toBe(`decision:${CAP}:NA:version`);
  });

  it('keeps the log: a late write of an older seq changes nothing; search, overdue, and what a departure moves', async () => {
    const [input] = await firedInRegion(db, CAP, 'NA', template, NOW);
    const { evidence, ...facts } = input!;
    const state: DecisionState = {
      ...facts,
      status: 'open',
      seq: 2,
      route: { owner: 'priya', ownerSource: 'owner', backup: 'li', escalation: [], managerOfOwner: null, matrixVersion: 1 },
      owner: 'priya',
      dueAt: NOW - MIN,
      escalationLevel: 0,
      recentEscalations: [],
      deferrals: 0,
      deferUntil: null,
      outcome: null,
      updatedAt: NOW,
    };
    await recordDecision(db, { state, events: [{ seq: 1, at: NOW, actor: 'system', action: 'raised', detail: {} }, { seq: 2, at: NOW, actor: 'system', action: 'routed', detail: {} }], evidence: evidence! });
    await recordDecision(db, { state: { ...state, seq: 1, owner: 'stale' }, events: [{ seq: 1, at: NOW, actor: 'system', action: 'raised', detail: {} }] });
    const read = await readDecision(db, state.id);
    expect(read!.row.owner).toBe('priya');
    expect(read!.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(read!.evidence!.measured).toBe(evidence!.measured);
    expect(await overdueDecisions(db, CAP, 'NA', NOW)).toBe(1);
    expect((await listDecisions(db, { q: facts.summary.slice(0, 12).toUpperCase(), limit: 10 })).map((r) => r.id)).toEqual([state.id]);
    expect(await listDecisions(db, { q: 'no such words', limit: 10 })).toEqual([]);
    expect(await openDecisionIds(db, { person: 'priya' })).toEqual([{ id: state.id, workflowId: state.workflowId, owner: 'priya' }]);
    expect(await openDecisionIds(db, { cells: [{ capability: CAP, region: 'NA', area: state.area }] })).toHaveLength(1);

    await recordDecision(db, {
      state: { ...state, seq: 3, status: 'declined', outcome: { outcome: 'declined', reason: 'not now', by: 'priya', at: NOW } },
      events: [{ seq: 3, at: NOW, actor: 'priya', action: 'declined', detail: { outcome: 'declined', reason: 'not now' } }],
    });
    expect(await overdueDecisions(db, CAP, 'NA', NOW)).toBe(0);
    expect(await openDecisionIds(db, { person: 'priya' })).toEqual([]);
    // Settled: its trigger is quiet for a window.
    expect((await firedInRegion(db, CAP, 'NA', template, NOW + MIN)).map((f) => f.triggerId)).not.toContain(state.triggerId);
  });
});
