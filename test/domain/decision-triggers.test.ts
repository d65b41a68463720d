import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../domain/capability.js';
import { applyOverlay } from '../../domain/rollout.js';
import { outcomeRefusal, nextEscalationAt, type DecisionState } from '../../domain/rules/decision.js';
import { beforeAfter, evaluateTriggers, intakeFacts, type RegionFacts, type TriggerFacts, type TriggerSpec } from '../../domain/rules/decision-triggers.js';
import { readFileSync } from 'node:fs';

const DAY = 86_400_000;
const now = Date.UTC(2026, 11, 2, 12);
const week = { from: now - 7 * DAY, to: now };

const window = (over: Partial<TriggerFacts> = {}): TriggerFacts => ({ ...week, decisions: 0, raised: [], resolutions: [], byActor: [], values: [], ...over });
const region = (over: Partial<RegionFacts> = {}): RegionFacts => ({ capability: 'po-assist', region: 'EMEA', now, oldestOpen: [], modelVersions: [], ...over });
const spec = (kind: TriggerSpec['kind'], threshold: number, exceptionType?: string): TriggerSpec => ({
  id: `t-${kind}`,
  area: 'model-retraining',
  kind,
  threshold,
  windowMs: 7 * DAY,
  ...(exceptionType ? { exceptionType } : {}),
});

/** Each kind: facts that fire it, and facts just below its threshold that do not. */
const cases: Array<{ name: string; spec: TriggerSpec; fires: [TriggerFacts, RegionFacts]; quiet: [TriggerFacts, RegionFacts]; measured: number; figure: [string, string | number] }> = [
  {
    name: 'exception-share: 30 of 100 decisions above 20 %',
    spec: spec('exception-share', 0.2, 'low-confidence-recommendation'),
    fires: [window({ decisions: 60, raised: [{ type: 'low-confidence-recommendation', count: 30 }, { type: 'price-variance', count: 10 }] }), region()],
    // Exactly 20 %: not above it.
    quiet: [window({ decisions: 70, raised: [{ type: 'low-confidence-recommendation', count: 20 }, { type: 'price-variance', count: 10 }] }), region()],
    measured: 0.3,
    figure: ['exceptions', 30],
  },
  {
    name: 'repeated-resolution: the same code 40 times',
    spec: spec('repeated-resolution', 40, 'price-variance'),
    fires: [window({ resolutions: [{ type: 'price-variance', code: 'accept-price', count: 40 }, { type: 'price-variance', code: 'reject', count: 3 }] }), region()],
    quiet: [window({ resolutions: [{ type: 'price-variance', code: 'accept-price', count: 39 }, { type: 'stale-input', code: 'accept-price', count: 50 }] }), region()],
    measured: 40,
    figure: ['code', 'accept-price'],
  },
  {
    name: 'repeated-by-actor: one buyer 12 times',
    spec: spec('repeated-by-actor', 12, 'recommendation-overridden-repeatedly'),
    fires: [window({ byActor: [{ type: 'recommendation-overridden-repeatedly', actor: 'li', count: 12 }, { type: 'recommendation-overridden-repeatedly', actor: 'tomas', count: 2 }] }), region()],
    // Twelve in all, but no one buyer reaches it.
    quiet: [window({ byActor: [{ type: 'recommendation-overridden-repeatedly', actor: 'li', count: 11 }, { type: 'recommendation-overridden-repeatedly', actor: 'tomas', count: 1 }] }), region()],
    measured: 12,
    figure: ['actor', 'li'],
  },
  {
    name: 'queue-age: the oldest open exception at 3× its 1-day SLA',
    spec: spec('queue-age', 2),
    fires: [window(), region({ oldestOpen: [{ id: 'exception:po-assist:old', type: 'stale-input', createdAt: now - 3 * DAY, resolveBy: now - 2 * DAY }, { id: 'x', type: 'price-variance', createdAt: now - DAY, resolveBy: now }] })],
    quiet: [window(), region({ oldestOpen: [{ id: 'exception:po-assist:old', type: 'stale-input', createdAt: now - 1.9 * DAY, resolveBy: now - 0.9 * DAY }] })],
    measured: 3,
    figure: ['exception', 'exception:po-assist:old'],
  },
  {
    name: 'new-model-version: 2.4.0 first seen this week, after 2.3.1',
    spec: spec('new-model-version', 0),
    fires: [window(), region({ modelVersions: [{ version: 'po-rec-2.3.1', firstSeen: now - 30 * DAY, lastSeen: now, count: 90 }, { version: 'po-rec-2.4.0', firstSeen: now - DAY, lastSeen: now, count: 4 }] })],
    // The only version a region ever saw is not news; nor one first seen before the window.
    quiet: [window(), region({ modelVersions: [{ version: 'po-rec-2.3.1', firstSeen: now - DAY, lastSeen: now, count: 9 }, { version: 'po-rec-2.2.0', firstSeen: now - 8 * DAY - DAY, lastSeen: now - 8 * DAY, count: 9 }].slice(0, 1) })],
    measured: 4,
    figure: ['modelVersion', 'po-rec-2.4.0'],
  },
];

describe('decision triggers (domain/rules/decision-triggers.ts)', () => {
  for (const c of cases) {
    it(`${c.name}: fires on the fixture, not below its threshold`, () => {
      const [fw, fr] = c.fires;
      const fired = evaluateTriggers([c.spec], fr, () => fw);
      expect(fired).toHaveLength(1);
      expect(fired[0]!.measured).toBeCloseTo(c.measured, 5);
      expect(fired[0]!.figures[c.figure[0]]).toBe(c.figure[1]);
      expect(fired[0]!.summary).toBeTruthy();
      const [qw, qr] = c.quiet;
      expect(evaluateTriggers([c.spec], qr, () => qw)).toEqual([]);
    });
  }

  it('a trigger with nothing to measure does not fire', () => {
    for (const c of cases) expect(evaluateTriggers([c.spec], region(), () => window())).toEqual([]);
  });

  it('a new model version first seen before the window is old news', () => {
    const versions = [{ version: 'a', firstSeen: now - 60 * DAY, lastSeen: now, count: 1 }, { version: 'b', firstSeen: now - 8 * DAY, lastSeen: now, count: 1 }];
    expect(evaluateTriggers([spec('new-model-version', 0)], region({ modelVersions: versions }), () => window())).toEqual([]);
  });

  it('evidence links name what stands behind the figure', () => {
    const [c] = cases.filter((x) => x.spec.kind === 'repeated-resolution');
    const fired = evaluateTriggers([c!.spec], c!.fires[1], () => c!.fires[0]);
    expect(fired[0]!.links).toMatchObject({ type: 'price-variance', code: 'accept-price', from: week.from, to: week.to });
  });

  it('reads the model version and the buyer from an intake payload, bounded', () => {
    expect(intakeFacts({ modelVersion: 'po-rec-2.3.1', buyerId: 'li' })).toEqual({ model_version: 'po-rec-2.3.1', subject: 'li' });
    expect(intakeFacts({ modelVersion: 'x'.repeat(65), buyerId: 7 })).toEqual({ model_version: null, subject: null });
    expect(intakeFacts(undefined)).toEqual({ model_version: null, subject: null });
  });

  it('before/after rates of a model version', () => {
    const ba = beforeAfter('po-rec-2.4.0', now, { from: now - 7 * DAY, to: now, exceptions: 30, decisions: 70 }, { from: now, to: now + DAY, exceptions: 5, decisions: 95 });
    expect(ba.before.rate).toBeCloseTo(0.3);
    expect(ba.after.rate).toBeCloseTo(0.05);
    expect(ba.change).toBeCloseTo(-0.25);
    expect(beforeAfter('v', now, { from: 0, to: 1, exceptions: 0, decisions: 0 }, { from: 1, to: 2, exceptions: 1, decisions: 0 }).change).toBeNull();
  });
});

describe('decision outcomes (domain/rules/decision.ts)', () => {
  const state = { status: 'open' as const, owner: 'amara', route: { owner: 'amara', ownerSource: 'owner' as const, backup: 'raj', escalation: ['raj'], managerOfOwner: 'grace', matrixVersion: 1 }, deferrals: 0 };
  const owner = { id: 'amara', roles: ['owner' as const] };
  const table: Array<[string, Parameters<typeof outcomeRefusal>[1], Parameters<typeof outcomeRefusal>[2], string | null]> = [
    ['retrain with data and a target version', owner, { outcome: 'decided', action: 'retrain', data: 'EMEA Q4 overrides', targetModelVersion: 'po-rec-2.4.0' }, null],
    ['retrain without data', owner, { outcome: 'decided', action: 'retrain' }, 'data'],
    ['change a rule without saying to what', owner, { outcome: 'decided', action: 'change-rule', rule: 'price tolerance' }, 'change'],
    ['decided without an action', owner, { outcome: 'decided' }, 'action'],
    ['declined without a reason', owner, { outcome: 'declined' }, 'reason'],
    ['deferred into the past', owner, { outcome: 'deferred', until: now - 1 }, 'until'],
    ['deferred by more than a year', owner, { outcome: 'deferred', until: now + 400 * DAY }, 'until'],
    ['deferred a week', owner, { outcome: 'deferred', until: now + 7 * DAY, reason: 'after the quarter close' }, null],
    ['someone off the route', { id: 'li', roles: ['operator'] }, { outcome: 'declined', reason: 'no' }, 'Forbidden'],
    ['a manager off the route', { id: 'grace', roles: ['manager'] }, { outcome: 'declined', reason: 'not now' }, null],
  ];
  for (const [name, actor, outcome, refused] of table) {
    it(`${name}: ${refused ? `refused (${refused})` : 'accepted'}`, () => {
      const r = outcomeRefusal(state, actor, outcome, now);
      if (refused === null) expect(r).toBeNull();
      else expect(r?.path ?? r?.type).toBe(refused);
    });
  }

  it('a settled item refuses another outcome', () => {
    expect(outcomeRefusal({ ...state, status: 'decided' }, owner, { outcome: 'declined', reason: 'x' }, now)?.type).toBe('Conflict');
  });

  it('escalation steps fall due after the due date, one by one; none while deferred', () => {
    const s = { status: 'open', dueAt: now, escalation: [{ afterMs: 1000, notify: 'backup' }, { afterMs: 5000, notify: 'manager-of-owner' }], escalationLevel: 0 } as Pick<DecisionState, 'status' | 'dueAt' | 'escalation' | 'escalationLevel'>;
    expect(nextEscalationAt(s)).toBe(now + 1000);
    expect(nextEscalationAt({ ...s, escalationLevel: 1 })).toBe(now + 5000);
    expect(nextEscalationAt({ ...s, escalationLevel: 2 })).toBeNull();
    expect(nextEscalationAt({ ...s, status: 'deferred' })).toBeNull();
  });
});

describe('decision triggers in the template', () => {
  const parsed = parseTemplate(readFileSync(new URL('../../templates/po-assist.yaml', import.meta.url), 'utf8'), 'yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const template = parsed.template;

  it('po-assist declares at least one trigger per area', () => {
    const areas = new Set(Object.values(template.decisionTriggers ?? {}).map((t) => t.area));
    expect([...areas].sort()).toEqual(['adoption-training', 'business-rules', 'exception-queue', 'model-retraining']);
  });

  it('a region adapts a threshold the template allows, and nothing else', () => {
    const ok = applyOverlay(template, { decisionTriggers: { 'price-variance-overrides': { threshold: 10 } } });
    expect(ok.ok && ok.effective.decisionTriggers?.['price-variance-overrides']?.threshold).toBe(10);
    const blocked = applyOverlay(template, { decisionTriggers: { 'price-variance-overrides': { kind: 'queue-age' } } });
    expect(blocked.ok).toBe(false);
  });

  it('refuses a trigger that does not say enough', () => {
    const bad = { ...template, decisionTriggers: { x: { area: 'business-rules', kind: 'exception-share', threshold: 2 }, y: { area: 'business-rules', kind: 'repeated-resolution', exceptionType: 'no-such-type', threshold: 3 } } };
    const r = parseTemplate(bad, 'object');
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['decisionTriggers.x.exceptionType', 'decisionTriggers.x.threshold', 'decisionTriggers.y.exceptionType']));
  });
});

describe('a settled item quiets its trigger for one window', () => {
  it('quiet while the settled data is still in the window, armed again after', async () => {
    const { quietAfterSettled } = await import('../../domain/rules/decision-triggers.js');
    expect(quietAfterSettled(null, 7 * DAY, now)).toBe(false);
    expect(quietAfterSettled(now - DAY, 7 * DAY, now)).toBe(true);
    expect(quietAfterSettled(now - 8 * DAY, 7 * DAY, now)).toBe(false);
  });
});
