import { afterAll, beforeAll, expect, it } from 'vitest';
import { eachLedger } from '../ledgers.js';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, path, priceVariance } from '../world.js';

/**
 * Training per person (the operating model's `training`, issue 17) on both ledgers: the region's page
 * lists who must have done what for their roles, people record their own completions and managers or
 * a learning system anyone's, each audited; what is refused says why.
 */
eachLedger('training per person', (ledger) => {
  let stack: Stack;
  let w: Awaited<ReturnType<typeof buildWorld>>;
  const api = (p: string) => `${stack.url}/api/v1${p}`;
  const page = () => api(`/capabilities/${w.capability}/regions/NA/training`);
  const complete = (material: string, person: string, token: string, body: object = {}) =>
    http(api(`/capabilities/${w.capability}/regions/NA/training/${material}/completions/${person}`), { method: 'PUT', token, body });
  const byPerson = (body: { people: Array<{ person: string }> }) => Object.fromEntries(body.people.map((p) => [p.person, p])) as Record<string, any>;

  beforeAll(async () => {
    stack = await startStack({ ledger });
    w = await buildWorld(stack);
  }, 60_000);
  afterAll(async () => stack?.close());

  it("lists the cells' people with what their roles require, then who worked the queue", async () => {
    const before = await http(page(), { token: w.grace });
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.body.materials.map((m: { id: string }) => m.id)).toEqual(['po-assist-basics', 'procedures-walkthrough', 'ownership-and-escalation']);
    const people = byPerson(before.body);
    expect(Object.keys(people)).toEqual(['dana', 'li', 'priya']);
    expect(people.priya).toMatchObject({ roles: ['owner'], required: ['po-assist-basics', 'ownership-and-escalation'], completed: [], missing: ['po-assist-basics', 'ownership-and-escalation'] });
    expect(people.priya.because).toContain('owns business-rules');
    expect(people.li).toMatchObject({ roles: ['operator'], required: ['po-assist-basics', 'procedures-walkthrough'] });
    expect(people.dana.because).toContain('escalation of exception-queue');
    expect(before.body.totals).toEqual({ people: 3, fullyTrained: 0, required: 6, completed: 0, share: 0 });

    const raised = await http(api('/exceptions'), { token: w.integration, body: priceVariance(w.capability) });
    expect((await http(api(`/exceptions/${path(raised.body.id)}/claim`), { token: w.olivia, body: {} })).status).toBe(200);
    const after = byPerson((await http(page(), { token: w.grace })).body);
    expect(after.olivia).toMatchObject({ because: ['works the queue'], required: ['po-assist-basics', 'procedures-walkthrough'] });
  });

  it('records completions: your own, or anyone’s as a manager or a learning system; refuses the rest with reasons', async () => {
    expect((await complete('po-assist-basics', 'olivia', w.olivia)).status).toBe(200);
    const notYours = await complete('po-assist-basics', 'omar', w.olivia);
    expectProblem(notYours, 403);
    expect(notYours.body.detail).toMatch(/record your own/);
    for (const material of ['po-assist-basics', 'procedures-walkthrough']) expect((await complete(material, 'li', w.grace, { note: 'classroom, 1 Dec' })).status).toBe(200);
    const fromLms = await complete('po-assist-basics', 'priya', w.integration, { completedAt: '2026-11-20T09:00:00Z' });
    expect(fromLms.body).toEqual({ person: 'priya', capability: w.capability, material: 'po-assist-basics', completedAt: '2026-11-20T09:00:00.000Z', recordedBy: 'erp' });
    expectProblem(await complete('no-such-course', 'priya', w.grace), 422);
    expectProblem(await complete('po-assist-basics', 'priya', w.grace, { completedAt: '2099-01-01T00:00:00Z' }), 422);
    expectProblem(await complete('po-assist-basics', 'nobody', w.grace), 404);
    expectProblem(await complete('po-assist-basics', 'priya', w.grace, { completedAt: 'yesterday' }), 400);

    const status = (await http(page(), { token: w.priya })).body;
    const people = byPerson(status);
    expect(people.olivia).toMatchObject({ completed: [{ material: 'po-assist-basics' }], missing: ['procedures-walkthrough'] });
    expect(people.li.missing).toEqual([]);
    expect(people.priya.completed).toEqual([{ material: 'po-assist-basics', completedAt: '2026-11-20T09:00:00.000Z' }]);
    expect(status.totals).toEqual({ people: 4, fullyTrained: 1, required: 8, completed: 4, share: 0.5 });
    // The readiness scorecard grades the same figures (the shipped template declares no threshold: shown, holds nothing back).
    const card = await http(api(`/capabilities/${w.capability}/regions/NA/readiness`), { token: w.grace });
    expect(card.body.criteria.find((c: { id: string }) => c.id === 'training')).toMatchObject({ measured: 0.5, pass: null, threshold: null });

    const audit = await http(api('/audit-log?subjectType=person&subjectId=li'), { token: w.admin });
    const entries = audit.body.items.filter((e: { action: string }) => e.action === 'training.completed');
    expect(entries.map((e: { actor: string; detail: { material: string } }) => `${e.actor}:${e.detail.material}`).sort()).toEqual(['grace:po-assist-basics', 'grace:procedures-walkthrough']);
  });
});
