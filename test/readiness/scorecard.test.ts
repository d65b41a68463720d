import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, path, priceVariance } from '../world.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
beforeAll(async () => {
  // priya owns every cell of both capabilities here; that is a test world, not a single point of failure.
  stack = await startStack({ env: { GAP_MAX_CELLS_PER_PERSON: '20' } });
  w = await buildWorld(stack);
});
afterAll(async () => stack?.close());

const url = (capability: string, rest = '') => `${stack.url}/api/v1/capabilities/${capability}/regions/NA${rest}`;
const decisions = (capability: string, quantity: number) => ({
  kind: 'decision',
  key: `d-${capability}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  capability,
  region: 'NA',
  occurredAt: new Date(Date.now() - 60_000).toISOString(),
  quantity,
});
const criterion = (card: { criteria: Array<{ id: string }> }, id: string) => card.criteria.find((c) => c.id === id) as Record<string, any>;

/** Another capability like po-test, whose cutover asks for one stable day only, so it can be ready today. */
async function readyCapability(id: string) {
  const template = YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, any>;
  template.id = id;
  template.cutover.minDaysStable = 1;
  template.rolloutPlan = [{ region: 'NA' }, { region: 'EMEA', after: [{ region: 'NA', inProductionFor: '14d' }] }];
  expect((await http(`${stack.url}/api/v1/capabilities/${id}`, { method: 'PUT', token: w.admin, body: template })).status).toBe(201);
  expect((await http(`${stack.url}/api/v1/capabilities/${id}/regions/NA`, { method: 'PUT', token: w.admin, body: {} })).status).toBe(201);
  for (const area of ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training']) {
    const res = await http(`${stack.url}/api/v1/capabilities/${id}/ownership/NA/${area}`, { method: 'PUT', token: w.admin, body: { owner: 'priya', backup: 'li', escalation: ['dana', 'grace'], reason: 'ready world' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}

describe('the readiness scorecard, from the ledger', () => {
  it('with nothing reported, is not ready for want of evidence, and says so', async () => {
    const card = await http(url('po-test', '/readiness'), { token: w.grace });
    expect(card.status, JSON.stringify(card.body)).toBe(200);
    expect(card.body).toMatchObject({ capability: 'po-test', region: 'NA', stage: 'pilot', ready: false, window: { days: 14 } });
    expect(criterion(card.body, 'automation-rate')).toMatchObject({ measured: null, pass: false, why: expect.stringMatching(/no decisions reported/) });
    expect(criterion(card.body, 'ownership')).toMatchObject({ measured: 0, pass: true, evidence: '/api/v1/audit/ownership-gaps?capability=po-test&region=NA' });
  });

  it('counts decisions, exceptions, refused intakes and open work, naming the top failing fields and the oldest open exception', async () => {
    expect((await http(`${stack.url}/api/v1/reports`, { token: w.integration, body: { events: [decisions('po-test', 98)] } })).body.stored).toBe(1);
    const first = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() });
    const second = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() });
    expect((await http(`${stack.url}/api/v1/exceptions/${path(second.body.id)}/claim`, { token: w.olivia, body: {} })).status).toBe(200);
    const bad = priceVariance();
    delete (bad.payload as Record<string, unknown>).sku;
    expect((await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: bad })).status).toBe(422);

    const card = (await http(url('po-test', '/readiness'), { token: w.grace })).body;
    expect(criterion(card, 'automation-rate')).toMatchObject({ measured: 0.98, pass: true, detail: { decisions: 98, exceptions: 2 } });
    expect(criterion(card, 'input-reliability')).toMatchObject({ measured: 0.333, threshold: 0.02, pass: false, detail: { quarantined: 1, submitted: 3, topFailingFields: [{ path: 'payload.sku', count: 1 }] } });
    expect(criterion(card, 'open-exceptions')).toMatchObject({ measured: 2, pass: true, detail: { oldest: { id: first.body.id } } });
    expect(criterion(card, 'sla-breach-rate')).toMatchObject({ measured: 0, pass: true });
    expect(criterion(card, 'adoption')).toMatchObject({ detail: { claimedWithinSla: 1, claimMissed: 0 } });
    expect(card.failing).toEqual(['input-reliability', 'days-stable']);
    // The evidence for input reliability is the quarantine, filtered to this region's intakes.
    const evidence = await http(`${stack.url}${criterion(card, 'input-reliability').evidence}`, { token: w.grace });
    expect(evidence.body.items.map((q: { sourceKey: string }) => q.sourceKey)).toContain(bad.sourceKey);
  });

  it('turns the ownership criterion red for a gap in the matrix, and green again once it is filled', async () => {
    const cell = `${stack.url}/api/v1/capabilities/po-test/ownership/NA/exception-queue`;
    expect((await http(cell, { method: 'PUT', token: w.admin, body: { owner: 'priya', backup: null, escalation: ['dana'], reason: 'li moved on' } })).status).toBe(200);
    const gap = (await http(url('po-test', '/readiness'), { token: w.grace })).body;
    expect(criterion(gap, 'ownership')).toMatchObject({ measured: 1, pass: false, why: expect.stringMatching(/1 no-backup/) });
    expect((await http(cell, { method: 'PUT', token: w.admin, body: { owner: 'priya', backup: 'li', escalation: ['dana'], reason: 'li is back' } })).status).toBe(200);
    expect(criterion((await http(url('po-test', '/readiness'), { token: w.grace })).body, 'ownership')).toMatchObject({ measured: 0, pass: true });
  });

  it('lists every region in scope, and as CSV with criteria as rows', async () => {
    const all = await http(`${stack.url}/api/v1/capabilities/po-test/readiness`, { token: w.grace });
    expect(all.body.regions.map((r: { region: string }) => r.region)).toEqual(['NA']);
    const csv = await http(`${stack.url}/api/v1/capabilities/po-test/readiness`, { token: w.grace, headers: { accept: 'text/csv' } });
    expect(csv.contentType).toContain('text/csv');
    const lines = (csv.body as string).trim().split('\r\n');
    expect(lines[0]).toBe('"criterion","NA measured","NA threshold","NA pass","NA why"');
    expect(lines[2]).toMatch(/^"input-reliability","0.333","0.02","fail",/);
    expect(lines.at(-1)).toMatch(/^"ready","","","fail","input-reliability days-stable"$/);
  });

  it('refuses operators and tokens scoped elsewhere', async () => {
    expect((await http(url('po-test', '/readiness'), { token: w.olivia })).status).toBe(403);
    const emea = await stack.mint({ sub: 'grace', roles: ['manager'], scope: ['po-test:EMEA'] });
    expectProblem(await http(url('po-test', '/readiness'), { token: emea }), 403);
    expect((await http(`${stack.url}/api/v1/capabilities/po-test/regions/APAC/readiness`, { token: w.grace })).status).toBe(404);
  });
});

describe('the gate', () => {
  it('refuses to promote a region that is not ready, listing every failing criterion', async () => {
    const res = await http(url('po-test', '/stage'), { method: 'PUT', token: w.grace, body: { stage: 'production' } });
    expectProblem(res, 409);
    expect(res.body.failing.map((c: { id: string }) => c.id)).toEqual(['input-reliability', 'days-stable']);
    expect(res.body.failing[0]).toMatchObject({ measured: 0.333, threshold: 0.02, evidence: expect.stringContaining('/api/v1/quarantine') });
    expect(res.body.detail).toMatch(/^Not ready for production: Input reliability/);
    expect((await http(url('po-test', '/readiness'), { token: w.grace })).body.stage).toBe('pilot');
  });

  it('lets a manager override with a reason, and audits the override with the scorecard and the actor', async () => {
    const noReason = await http(url('po-test', '/stage'), { method: 'PUT', token: w.grace, body: { stage: 'production', override: true } });
    expectProblem(noReason, 422);
    expect(noReason.body.errors).toEqual([{ path: 'reason', message: expect.stringMatching(/needs a reason/) }]);

    const res = await http(url('po-test', '/stage'), { method: 'PUT', token: w.grace, body: { stage: 'production', override: true, reason: 'quarter-end volume; input fix ships Monday' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ changed: true, stage: 'production', updatedBy: 'grace', scorecard: { ready: false } });
    const audit = await http(`${stack.url}/api/v1/audit-log?subjectType=rollout&subjectId=po-test:NA&limit=1`, { token: w.admin });
    expect(audit.body.items[0]).toMatchObject({
      actor: 'grace',
      action: 'rollout-stage-overridden',
      reason: 'quarter-end volume; input fix ships Monday',
      detail: { from: 'pilot', to: 'production', override: true, ready: false, failing: ['input-reliability', 'days-stable'], scorecard: { region: 'NA', ready: false } },
    });

    const demote = await http(url('po-test', '/stage'), { method: 'PUT', token: w.grace, body: { stage: 'pilot' } });
    expectProblem(demote, 422);
    expect((await http(url('po-test', '/stage'), { method: 'PUT', token: w.grace, body: { stage: 'pilot', reason: 'back to pilot' } })).body.stage).toBe('pilot');
  });

  it('promotes a ready region without an override, and leaves an owner unable to', async () => {
    await readyCapability('po-ready');
    expect((await http(`${stack.url}/api/v1/reports`, { token: w.integration, body: { events: [decisions('po-ready', 500)] } })).body.stored).toBe(1);
    const card = (await http(url('po-ready', '/readiness'), { token: w.grace })).body;
    expect(card, JSON.stringify(card.criteria.filter((c: { pass: boolean }) => c.pass === false))).toMatchObject({ ready: true, failing: [] });

    expect((await http(url('po-ready', '/stage'), { method: 'PUT', token: w.priya, body: { stage: 'production' } })).status).toBe(403);
    const res = await http(url('po-ready', '/stage'), { method: 'PUT', token: w.grace, body: { stage: 'production' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ changed: true, stage: 'production' });
    const again = await http(url('po-ready', '/stage'), { method: 'PUT', token: w.grace, body: { stage: 'production' } });
    expect(again.body.changed).toBe(false);
    const audit = await http(`${stack.url}/api/v1/audit-log?subjectType=rollout&subjectId=po-ready:NA`, { token: w.admin });
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['rollout-stage-changed']);
  });
});

describe('the rollout plan', () => {
  it('says for each region of the template\'s plan what it waits for, and which is next', async () => {
    // po-test has no plan: its rolled-out regions, none waiting on another.
    const plain = await http(`${stack.url}/api/v1/capabilities/po-test/rollout-plan`, { token: w.grace });
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    expect(plain.body.steps).toEqual([{ region: 'NA', position: 1, rolledOut: true, stage: 'pilot', status: 'waiting', next: true, waitsFor: ['its scorecard: input-reliability, days-stable'] }]);
    // po-ready plans NA, then EMEA 14 days after NA's promotion; NA went to production just now.
    const ready = await http(`${stack.url}/api/v1/capabilities/po-ready/rollout-plan`, { token: w.grace });
    expect(ready.body.steps).toHaveLength(2);
    expect(ready.body.steps[0]).toMatchObject({ region: 'NA', status: 'in-production', next: false, waitsFor: [] });
    expect(ready.body.steps[1]).toMatchObject({ region: 'EMEA', next: false, waitsFor: ['NA in production for 14d (14 d to go)', 'a rollout to EMEA'] });
    expect((await http(`${stack.url}/api/v1/capabilities/po-nothing/rollout-plan`, { token: w.grace })).status).toBe(404);
  });

  it('shows a token scoped to EMEA only EMEA\'s step: that NA\'s prerequisite is not met, never NA\'s stage or how long it has to go', async () => {
    const emeaManager = await stack.mint({ sub: 'grace', roles: ['manager'], scope: ['po-ready:EMEA'] });
    const scoped = await http(`${stack.url}/api/v1/capabilities/po-ready/rollout-plan`, { token: emeaManager });
    expect(scoped.status, JSON.stringify(scoped.body)).toBe(200);
    expect(scoped.body).toEqual({
      capability: 'po-ready',
      steps: [{ region: 'EMEA', position: 2, rolledOut: false, stage: null, status: 'waiting', next: false, waitsFor: ['NA in production for 14d (not met; NA is outside your scope)', 'a rollout to EMEA'] }],
      unplanned: [],
    });
    expect(JSON.stringify(scoped.body)).not.toMatch(/to go|production for 14d \(1|now pilot|in-production/);
    // Scoped to NA: NA's own step in full.
    const naManager = await stack.mint({ sub: 'grace', roles: ['manager'], scope: ['po-ready:NA'] });
    expect((await http(`${stack.url}/api/v1/capabilities/po-ready/rollout-plan`, { token: naManager })).body.steps).toEqual([
      { region: 'NA', position: 1, rolledOut: true, stage: 'production', status: 'in-production', next: false, waitsFor: [] },
    ]);
  });
});

describe('the OpenAPI document', () => {
  it('covers every readiness route, from the schemas that validate them', async () => {
    const doc = (await http(`${stack.url}/openapi.json`)).body;
    for (const [path, method] of [
      ['/api/v1/reports', 'post'],
      ['/api/v1/reports', 'get'],
      ['/api/v1/capabilities/{capabilityId}/readiness', 'get'],
      ['/api/v1/capabilities/{capabilityId}/regions/{region}/readiness', 'get'],
      ['/api/v1/capabilities/{capabilityId}/regions/{region}/readiness/history', 'get'],
      ['/api/v1/capabilities/{capabilityId}/regions/{region}/stage', 'put'],
      ['/api/v1/capabilities/{capabilityId}/rollout-plan', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['ReportedEvent', 'ReadinessScorecard', 'ReadinessCriterion']));
    expect(doc.paths['/api/v1/exceptions/{id}/resolve'].post.requestBody.content['application/json'].schema.properties.quantity).toBeDefined();
  });
});
