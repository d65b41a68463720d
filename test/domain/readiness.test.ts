import { describe, expect, it } from 'vitest';
import { RolloutPlan } from '../../domain/capability.js';
import { durationMs } from '../../domain/rules/duration.js';
import { consecutiveHeldDays, DAY_MS, dayOf, rolloutPlanStatus, scorecard, stageChangeRefusal, windowOf, type PlanRegion, type CriterionId, type ReadinessFacts, type ReadinessThresholds } from '../../domain/rules/readiness.js';

const to = Date.UTC(2026, 11, 2, 15, 0);
const window = windowOf(to, 14);
const thresholds: ReadinessThresholds = { minAutomationRate: 0.85, maxOpenExceptions: 25, maxSlaBreachRate: 0.05, minDaysStable: 14, maxQuarantineRate: 0.02, minClaimedWithinSla: 0.9 };

/** A region that holds every threshold: 950 decisions, 50 exceptions, 1 refused, 2 breached, 13 stable days before today. */
const ready: ReadinessFacts = {
  capability: 'po-assist',
  region: 'NA',
  ...window,
  decisions: 950,
  raised: 50,
  quarantined: 1,
  failingFields: [{ path: 'payload.sku', count: 1 }],
  breached: 2,
  claimedWithinSla: 46,
  claimMissed: 2,
  open: 4,
  oldestOpen: { id: 'exception:po-assist:PO-1', createdAt: to - 3 * DAY_MS },
  gaps: [],
  overrideExceptions: 2,
  operators: 4,
  stableDays: 13,
  valueDays: [],
  valueEvents: [{ id: 'rework-avoided', unit: 'minutes' }],
};

const criterion = (facts: Partial<ReadinessFacts>, id: CriterionId, t: ReadinessThresholds = thresholds) =>
  scorecard({ ...ready, ...facts }, t).criteria.find((c) => c.id === id)!;

describe('the readiness scorecard', () => {
  it('is ready when every criterion holds, and says so per criterion', () => {
    const card = scorecard(ready, thresholds);
    expect(card).toMatchObject({ ready: true, held: true, failing: [] });
    expect(card.window).toEqual({ from: Date.UTC(2026, 10, 19), to, days: 14 });
    expect(card.criteria.map((c) => [c.id, c.measured, c.pass])).toEqual([
      ['automation-rate', 0.95, true],
      ['input-reliability', 0.02, true],
      ['sla-breach-rate', 0.04, true],
      ['open-exceptions', 4, true],
      ['ownership', 0, true],
      ['adoption', 0.958, true],
      ['days-stable', 14, true],
    ]);
  });

  // [what, facts, criterion, measured, pass, why matches]
  it.each([
    ['automation: no decisions and no exceptions (0 ÷ 0)', { decisions: 0, raised: 0 }, 'automation-rate', null, false, /no decisions reported and no exceptions raised/],
    ['automation: exceptions only', { decisions: 0, raised: 10 }, 'automation-rate', 0, false, /0 of 10 decisions/],
    ['automation: exactly at the threshold', { decisions: 85, raised: 15 }, 'automation-rate', 0.85, true, /85 of 100 .*85%/],
    ['automation: just below', { decisions: 84, raised: 16 }, 'automation-rate', 0.84, false, /needs at least 85%/],
    ['input: no intakes at all (0 ÷ 0)', { quarantined: 0, raised: 0 }, 'input-reliability', 0, true, /no intakes in the window/],
    ['input: too many refused, naming the top fields', { quarantined: 10, raised: 40, failingFields: [{ path: 'payload.sku', count: 3 }, { path: 'payload.poNumber', count: 7 }] }, 'input-reliability', 0.2, false, /10 of 50 .*most failed: payload.poNumber \(7\), payload.sku \(3\)/],
    ['sla: no exceptions (0 ÷ 0)', { raised: 0, breached: 0 }, 'sla-breach-rate', 0, true, /none breached/],
    ['sla: above the limit', { raised: 20, breached: 2 }, 'sla-breach-rate', 0.1, false, /2 of 20 .*at most 5%/],
    ['open: above the limit, naming the oldest', { open: 26 }, 'open-exceptions', 26, false, /26 open .*oldest, exception:po-assist:PO-1, is 3 d old/],
    ['open: none', { open: 0, oldestOpen: null }, 'open-exceptions', 0, true, /^0 open or claimed; at most 25 allowed$/],
    ['ownership: gaps by kind', { gaps: [{ kind: 'no-backup', area: 'business-rules', detail: 'marco has no backup' }, { kind: 'unowned', area: 'exception-queue', detail: 'no named owner' }, { kind: 'no-backup', area: 'adoption-training', detail: 'x' }] }, 'ownership', 3, false, /3 ownership gaps: 2 no-backup, 1 unowned; first: marco has no backup/],
    ['adoption: nothing was due (0 ÷ 0)', { claimedWithinSla: 0, claimMissed: 0 }, 'adoption', null, true, /no exception reached its claim deadline/],
    ['adoption: too few claimed in time', { claimedWithinSla: 8, claimMissed: 2 }, 'adoption', 0.8, false, /8 of 10 claimed within SLA/],
    ['adoption: overrides per operator (no operators)', { overrideExceptions: 3, operators: 0 }, 'adoption', 0.958, true, /3 repeated-override exceptions across 0 operators;?$/],
    ['days stable: too few', { stableDays: 12 }, 'days-stable', 13, false, /13 consecutive days, this one included, .*needs 14/],
  ] as Array<[string, Partial<ReadinessFacts>, CriterionId, number | null, boolean, RegExp]>)('%s', (_what, facts, id, measured, pass, why) => {
    const c = criterion(facts, id);
    expect(c.measured).toBe(measured);
    expect(c.pass).toBe(pass);
    expect(c.why).toMatch(why);
    expect(c.evidence).toMatch(/^\/api\/v1\//);
  });

  it('a failing criterion now breaks the stable run, whatever the history, and is named with the others that fail', () => {
    const card = scorecard({ ...ready, open: 30, gaps: [{ kind: 'unowned', area: 'business-rules', detail: 'no named owner' }] }, thresholds);
    expect(card).toMatchObject({ ready: false, held: false, failing: ['open-exceptions', 'ownership', 'days-stable'] });
    expect(card.criteria.find((c) => c.id === 'days-stable')).toMatchObject({ measured: 0, why: expect.stringMatching(/a criterion fails now \(13 held days before\)/) });
  });

  it.each([
    { name: 'no threshold: shown, holds nothing back', training: { people: 4, fullyTrained: 1, required: 8, completed: 4, firstMissing: 'li (procedures-walkthrough)' }, t: {}, measured: 0.5, pass: null, why: /4 of 8 required completions \(50%\), 1 of 4 people fully trained; first missing: li \(procedures-walkthrough\); no threshold declared/ },
    { name: 'below the threshold: fails, naming who is missing what', training: { people: 4, fullyTrained: 1, required: 8, completed: 4, firstMissing: 'li (procedures-walkthrough)' }, t: { minTrainedShare: 0.8 }, measured: 0.5, pass: false, why: /needs at least 80%/ },
    { name: 'at the threshold: holds', training: { people: 2, fullyTrained: 1, required: 5, completed: 4, firstMissing: 'omar (po-assist-basics)' }, t: { minTrainedShare: 0.8 }, measured: 0.8, pass: true, why: /4 of 5/ },
    { name: 'nothing required of anyone here: holds', training: { people: 3, fullyTrained: 3, required: 0, completed: 0, firstMissing: null }, t: { minTrainedShare: 1 }, measured: null, pass: true, why: /no training is required/ },
  ])('training: $name', ({ training, t, measured, pass, why }) => {
    const c = criterion({ training }, 'training', { ...thresholds, ...t });
    expect(c).toMatchObject({ measured, pass, evidence: '/api/v1/capabilities/po-assist/regions/NA/training?workedWithinDays=14' });
    expect(c.why).toMatch(why);
    expect(scorecard({ ...ready, training }, { ...thresholds, ...t }).failing.includes('training')).toBe(pass === false);
  });

  it('has no training criterion where the facts carry none (a past day, or a template without training)', () => {
    expect(scorecard(ready, thresholds).criteria.some((c) => c.id === 'training')).toBe(false);
  });

  it('a held day that is not yet stable long enough is held but not ready', () => {
    expect(scorecard({ ...ready, stableDays: 3 }, thresholds)).toMatchObject({ ready: false, held: true, failing: ['days-stable'] });
  });

  it('a threshold the template does not declare is shown but holds nothing back', () => {
    const { maxQuarantineRate: _q, minClaimedWithinSla: _c, ...core } = thresholds;
    const card = scorecard({ ...ready, quarantined: 40, raised: 60, claimedWithinSla: 1, claimMissed: 9 }, core);
    expect(card.criteria.find((c) => c.id === 'input-reliability')).toMatchObject({ measured: 0.4, threshold: null, pass: null, why: expect.stringMatching(/no limit declared/) });
    expect(card.criteria.find((c) => c.id === 'adoption')).toMatchObject({ measured: 0.1, threshold: null, pass: null });
    expect(card).toMatchObject({ ready: true, failing: [] });
  });

  it('an empty window: nothing reported, nothing raised, not ready only for want of evidence', () => {
    const empty = { ...ready, decisions: 0, raised: 0, quarantined: 0, failingFields: [], breached: 0, claimedWithinSla: 0, claimMissed: 0, open: 0, oldestOpen: null, overrideExceptions: 0, operators: 0, stableDays: 0 };
    const card = scorecard(empty, thresholds);
    expect(card.failing).toEqual(['automation-rate', 'days-stable']);
    expect(card.value).toEqual([{ id: 'rework-avoided', unit: 'minutes', events: 0, total: 0, perWeek: 0, weeks: [{ from: window.from, events: 0, total: 0 }, { from: window.from + 7 * DAY_MS, events: 0, total: 0 }] }]);
  });

  it('totals each value event per week, in its unit', () => {
    const valueDays = [
      { day: window.from, valueEvent: 'rework-avoided', events: 3, total: 36 },
      { day: window.from + 6 * DAY_MS, valueEvent: 'rework-avoided', events: 1, total: 12 },
      { day: window.from + 13 * DAY_MS, valueEvent: 'rework-avoided', events: 2, total: 20 },
      { day: window.from, valueEvent: 'recommendation-accepted', events: 5, total: 5 },
    ];
    const card = scorecard({ ...ready, valueDays, valueEvents: [{ id: 'rework-avoided', unit: 'minutes' }, { id: 'recommendation-accepted', unit: 'recommendation' }, { id: 'model-feedback-logged' }] }, thresholds);
    expect(card.value).toEqual([
      { id: 'rework-avoided', unit: 'minutes', events: 6, total: 68, perWeek: 34, weeks: [{ from: window.from, events: 4, total: 48 }, { from: window.from + 7 * DAY_MS, events: 2, total: 20 }] },
      { id: 'recommendation-accepted', unit: 'recommendation', events: 5, total: 5, perWeek: 2.5, weeks: [{ from: window.from, events: 5, total: 5 }, { from: window.from + 7 * DAY_MS, events: 0, total: 0 }] },
      { id: 'model-feedback-logged', unit: null, events: 0, total: 0, perWeek: 0, weeks: [{ from: window.from, events: 0, total: 0 }, { from: window.from + 7 * DAY_MS, events: 0, total: 0 }] },
    ]);
  });

  it('a window of 10 days has a short last week, and a value per week scaled to 7 days', () => {
    const w10 = windowOf(to, 10);
    const card = scorecard({ ...ready, ...w10, valueDays: [{ day: w10.from + 9 * DAY_MS, valueEvent: 'rework-avoided', events: 1, total: 10 }] }, thresholds);
    expect(card.value[0]).toMatchObject({ total: 10, perWeek: 7, weeks: [{ from: w10.from, total: 0 }, { from: w10.from + 7 * DAY_MS, total: 10 }] });
  });
});

describe('the window', () => {
  it('ends on the day its end falls in; a day\'s snapshot ends at the next midnight', () => {
    const day = Date.UTC(2026, 11, 1);
    expect(windowOf(day + DAY_MS, 14)).toEqual({ from: day - 13 * DAY_MS, to: day + DAY_MS, days: 14 });
    expect(windowOf(day + 1, 1)).toEqual({ from: day, to: day + 1, days: 1 });
  });
});

describe('days stable, from the daily snapshots', () => {
  const d = (n: number) => dayOf(to) - n * DAY_MS;
  it.each([
    ['no history', [], 0],
    ['three held days ending yesterday', [{ day: d(3), held: true }, { day: d(2), held: true }, { day: d(1), held: true }], 3],
    ['a failed day breaks the run', [{ day: d(3), held: true }, { day: d(2), held: false }, { day: d(1), held: true }], 1],
    ['a missing day breaks the run', [{ day: d(4), held: true }, { day: d(2), held: true }, { day: d(1), held: true }], 2],
    ['yesterday not evaluated: nothing stable', [{ day: d(3), held: true }, { day: d(2), held: true }], 0],
    ['a snapshot time inside the day counts for its day', [{ day: d(1) + 3_600_000, held: true }], 1],
  ] as Array<[string, Array<{ day: number; held: boolean }>, number]>)('%s: %i', (_what, history, expected) => {
    expect(consecutiveHeldDays(history, d(1))).toBe(expected);
  });
});

describe('the promotion gate', () => {
  const readyCard = scorecard(ready, thresholds);
  const notReady = scorecard({ ...ready, open: 40 }, thresholds);
  it.each([
    ['promote a ready pilot', { from: 'pilot', to: 'production', override: false }, readyCard, null],
    ['promote a pilot that is not ready', { from: 'pilot', to: 'production', override: false }, notReady, 'Conflict'],
    ['override with a reason', { from: 'pilot', to: 'production', override: true, reason: 'board decision' }, notReady, null],
    ['override without a reason', { from: 'pilot', to: 'production', override: true }, notReady, 'Invalid'],
    ['override to anything but production', { from: 'production', to: 'paused', override: true, reason: 'x' }, notReady, 'Invalid'],
    ['pause with a reason, not ready', { from: 'production', to: 'paused', override: false, reason: 'supplier outage' }, notReady, null],
    ['back to pilot without a reason', { from: 'production', to: 'pilot', override: false }, readyCard, 'Invalid'],
    ['stay in production while below a threshold (never demoted on its own)', { from: 'production', to: 'production', override: false }, notReady, null],
  ] as const)('%s', (_what, change, card, type) => {
    const refusal = stageChangeRefusal(change, card);
    expect(refusal?.type ?? null).toBe(type);
  });

  it('names every failing criterion', () => {
    const refusal = stageChangeRefusal({ from: 'pilot', to: 'production', override: false }, scorecard({ ...ready, open: 40, gaps: [{ kind: 'unowned', area: 'business-rules', detail: 'no named owner' }] }, thresholds));
    expect(refusal?.failing?.map((c) => c.id)).toEqual(['open-exceptions', 'ownership', 'days-stable']);
    expect(refusal?.message).toMatch(/^Not ready for production: Open exceptions: 40 open/);
  });
});

describe('the rollout plan', () => {
  const plan = [
    { region: 'NA', after: [] },
    { region: 'EMEA', after: [{ region: 'NA', inProductionFor: '14d' }] },
    { region: 'APAC', after: [{ region: 'NA' }, { region: 'EMEA', inProductionFor: '7d' }] },
  ];
  const pilot = (ready: boolean, failing: string[] = []): PlanRegion => ({ stage: 'pilot', since: null, ready, failing });
  const production = (daysAgo: number): PlanRegion => ({ stage: 'production', since: to - daysAgo * DAY_MS, ready: true, failing: [] });
  const status = (regions: Record<string, PlanRegion>) => rolloutPlanStatus(plan, regions, to, durationMs).map((s) => [s.region, s.status, s.next, s.waitsFor]);

  it.each([
    ['nothing promoted yet: NA is next, held back by its scorecard', { NA: pilot(false, ['ownership']), EMEA: pilot(true) }, [
      ['NA', 'waiting', true, ['its scorecard: ownership']],
      ['EMEA', 'waiting', false, ['NA in production for 14d (now pilot)']],
      ['APAC', 'waiting', false, ['NA in production (now pilot)', 'EMEA in production for 7d (now pilot)', 'a rollout to APAC']],
    ]],
    ['NA in production 3 days: EMEA waits 11 more days, though ready', { NA: production(3), EMEA: pilot(true) }, [
      ['NA', 'in-production', false, []],
      ['EMEA', 'waiting', false, ['NA in production for 14d (11 d to go)']],
      ['APAC', 'waiting', false, ['EMEA in production for 7d (now pilot)', 'a rollout to APAC']],
    ]],
    ['NA in production 20 days: EMEA is next and ready to promote', { NA: production(20), EMEA: pilot(true) }, [
      ['NA', 'in-production', false, []],
      ['EMEA', 'ready-to-promote', true, []],
      ['APAC', 'waiting', false, ['EMEA in production for 7d (now pilot)', 'a rollout to APAC']],
    ]],
    ['EMEA paused after 20 days of NA: paused, next, still waiting on nothing but itself', { NA: production(20), EMEA: { ...pilot(true), stage: 'paused' } }, [
      ['NA', 'in-production', false, []],
      ['EMEA', 'paused', true, []],
      ['APAC', 'waiting', false, ['EMEA in production for 7d (now paused)', 'a rollout to APAC']],
    ]],
  ] as Array<[string, Record<string, PlanRegion>, unknown[]]>)('%s', (_what, regions, expected) => {
    expect(status(regions)).toEqual(expected);
  });

  // A reader who sees EMEA and APAC only: whether NA meets their prerequisites, never its stage or its days; no "next" past NA.
  const seenBy = (regions: Record<string, PlanRegion>) => rolloutPlanStatus(plan, regions, to, durationMs, (r) => r !== 'NA').map((s) => [s.region, s.status, s.next, s.waitsFor]);
  it.each([
    ['NA a pilot', { NA: pilot(false, ['ownership']), EMEA: pilot(true) }, [
      ['NA', 'waiting', false, ['its scorecard: ownership']],
      ['EMEA', 'waiting', false, ['NA in production for 14d (not met; NA is outside your scope)']],
      ['APAC', 'waiting', false, ['NA in production (not met; NA is outside your scope)', 'EMEA in production for 7d (now pilot)', 'a rollout to APAC']],
    ]],
    ['NA in production 3 days', { NA: production(3), EMEA: pilot(true) }, [
      ['NA', 'in-production', false, []],
      ['EMEA', 'waiting', false, ['NA in production for 14d (not met; NA is outside your scope)']],
      ['APAC', 'waiting', false, ['EMEA in production for 7d (now pilot)', 'a rollout to APAC']],
    ]],
    ['NA in production 20 days: EMEA ready, not marked next', { NA: production(20), EMEA: pilot(true) }, [
      ['NA', 'in-production', false, []],
      ['EMEA', 'ready-to-promote', false, []],
      ['APAC', 'waiting', false, ['EMEA in production for 7d (now pilot)', 'a rollout to APAC']],
    ]],
  ] as Array<[string, Record<string, PlanRegion>, unknown[]]>)('as a reader outside NA sees it, %s', (_what, regions, expected) => {
    expect(seenBy(regions)).toEqual(expected);
  });
});

describe('a rollout plan in a template', () => {
  it('names each region once, and only earlier regions as prerequisites', () => {
    const bad = RolloutPlan.safeParse([{ region: 'EMEA', after: [{ region: 'NA' }] }, { region: 'NA' }, { region: 'EMEA' }, { region: 'APAC', after: [{ region: 'NA', inProductionFor: 'soon' }] }]);
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      expect.stringMatching(/^3\.after\.0\.inProductionFor: expected a duration/),
      '0.after.0.region: NA must come earlier in the plan',
      '2.region: EMEA is already in the plan',
    ]);
  });
});
