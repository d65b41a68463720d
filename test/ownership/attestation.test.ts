import { afterAll, beforeAll, expect, it } from 'vitest';
import { eachLedger } from '../ledgers.js';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually } from '../world.js';

/**
 * Chain lint and attestation campaigns against the real server, on both ledgers: lint findings reach
 * the gap audit after a matrix change; a campaign with a confirm, a decline and timeouts survives a
 * worker restart, leaves `unattested` gaps, and a cancelled one leaves none.
 */
eachLedger('chain lint and ownership attestation', (ledger) => {
  let stack: Stack;
  let w: Awaited<ReturnType<typeof buildWorld>>;
  let li: string;
  let dana: string;
  const api = (path: string) => `${stack.url}/api/v1${path}`;
  const campaigns = () => api(`/capabilities/${w.capability}/attestations`);
  const gaps = async (kind: string) => (await http(api(`/audit/ownership-gaps?capability=${w.capability}&kind=${kind}`), { token: w.grace })).body.items as Array<{ region: string; area: string; detail: string; person?: string }>;
  const assign = (area: string, body: object) => http(api(`/capabilities/${w.capability}/ownership/NA/${area}`), { method: 'PUT', token: w.grace, body: { reason: 'attestation test', ...body } });

  beforeAll(async () => {
    // Every entity workflow, the campaign too, continues as new after two changes in a run.
    stack = await startStack({ ledger, env: { ATTESTATION_SCHEDULE: `po-test=1h/10m`, CONTINUE_AS_NEW_AFTER: '2' } });
    w = await buildWorld(stack);
    li = await stack.token('li', 'operator');
    dana = await stack.token('dana', 'owner');
  }, 60_000);
  afterAll(async () => stack?.close());

  it('lint findings appear in the gap audit after a matrix change, and go when it is fixed', async () => {
    expect(await gaps('chain-step-unresolved')).toEqual([]);
    // grace has no manager: the manager-of-owner step of her cell falls back to the chain.
    expect((await assign('business-rules', { owner: 'grace', backup: 'li', escalation: ['dana'] })).status).toBe(200);
    const [unresolved] = await gaps('chain-step-unresolved');
    expect(unresolved).toMatchObject({ region: 'NA', area: 'business-rules', detail: expect.stringMatching(/^manager-of-owner \(critical step 3, high step 3, medium step 3, low step 3\): grace has no manager in the directory; it falls back to dana/) });
    // olivia's manager is dana: with dana as backup and chain, every step reaches dana.
    expect((await assign('model-retraining', { owner: 'olivia', backup: 'dana', escalation: ['dana'] })).status).toBe(200);
    expect((await gaps('chain-same-person')).map((g) => `${g.area}:${g.person}`)).toEqual(['model-retraining:dana']);
    // On demand: the same findings.
    const onDemand = await http(api(`/capabilities/${w.capability}/chain-lint`), { method: 'POST', token: w.grace });
    expect(onDemand.body.counts).toEqual({ 'chain-step-unresolved': 1, 'chain-same-person': 1 });
    for (const area of ['business-rules', 'model-retraining']) expect((await assign(area, { owner: 'priya', backup: 'li', escalation: ['dana'] })).status).toBe(200);
    expect(await gaps('chain-step-unresolved')).toEqual([]);
    expect(await gaps('chain-same-person')).toEqual([]);
  });

  it('runs a campaign through a confirm, a decline, a worker restart and the deadline', async () => {
    // Reminded 3 s in, closed 10 s in: the test waits for each rather than timing them.
    const started = await http(campaigns(), { token: w.grace, body: { within: '10s', remindBefore: '7s' } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = started.body.campaignId as string;
    const answers = `${campaigns()}/${encodeURIComponent(id)}/answers`;
    expect(started.body).toMatchObject({ regions: ['NA'], status: 'running', startedBy: 'grace', counts: { asked: 8, pending: 8 } });
    expect((await http(api('/me/attestations'), { token: w.priya })).body.items.map((r: { area: string; role: string }) => `${r.area}:${r.role}`).sort()).toEqual(
      ['adoption-training', 'business-rules', 'exception-queue', 'model-retraining'].map((a) => `${a}:owner`),
    );
    const inbox = (await http(api('/me/inbox'), { token: w.priya })).body.items;
    expect(inbox.filter((i: { kind: string }) => i.kind === 'attestation-requested')).toHaveLength(1);
    expectProblem(await http(campaigns(), { token: w.grace, body: { regions: ['NA'] } }), 409);

    const confirm = await http(answers, { token: w.priya, body: { region: 'NA', area: 'business-rules', answer: 'confirm' } });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    expect(confirm.body).toMatchObject({ person: 'priya', role: 'owner', state: 'confirmed', counts: { confirmed: 1, pending: 7 } });
    expectProblem(await http(answers, { token: w.priya, body: { region: 'NA', area: 'business-rules', answer: 'confirm' } }), 409);
    // Not asked about that cell: only its owner and backup answer.
    expectProblem(await http(answers, { token: dana, body: { region: 'NA', area: 'business-rules', answer: 'confirm' } }), 403);
    expectProblem(await http(answers, { token: li, body: { region: 'NA', area: 'exception-queue', answer: 'decline' } }), 400);
    const decline = await http(answers, { token: li, body: { region: 'NA', area: 'exception-queue', answer: 'decline', reason: 'I moved to the APAC team' } });
    expect(decline.body).toMatchObject({ state: 'declined', reason: 'I moved to the APAC team' });
    const managerInbox = (await http(api('/me/inbox'), { token: w.grace })).body.items;
    expect(managerInbox.find((i: { kind: string }) => i.kind === 'attestation-declined')?.reason).toMatch(/li declined po-test NA\/exception-queue: I moved to the APAC team/);

    expect(await eventually(() => stack.continuedAsNew(id), Boolean, 10_000)).toBe(true);
    const reminded = await eventually(() => http(`${campaigns()}/${encodeURIComponent(id)}`, { token: w.grace }), (r) => r.body.remindedAt !== null, 10_000);
    expect(reminded.body).toMatchObject({ status: 'running', remindedAt: expect.any(String) });
    await stack.restartWorker();
    const closed = await eventually(() => http(`${campaigns()}/${encodeURIComponent(id)}`, { token: w.grace }), (r) => r.body.status === 'completed', 20_000);
    expect(closed.body).toMatchObject({ status: 'completed', closedBy: 'system', counts: { asked: 8, confirmed: 1, declined: 1, expired: 6, pending: 0 } });
    expect((await http(api('/me/inbox'), { token: w.priya })).body.items.some((i: { kind: string }) => i.kind === 'attestation-reminder')).toBe(true);

    // Everyone who did not confirm leaves a gap until the cell is confirmed again or reassigned.
    const unattested = await gaps('unattested');
    expect(unattested).toHaveLength(7);
    expect(unattested.some((g) => g.area === 'business-rules' && g.person === 'priya')).toBe(false);
    expect(unattested.find((g) => g.area === 'exception-queue' && g.person === 'li')?.detail).toMatch(/declined/);
    expect((await assign('exception-queue', { owner: 'priya', backup: 'omar', escalation: ['dana'] })).status).toBe(200);
    const after = await gaps('unattested');
    expect(after.map((g) => `${g.area}:${g.person}`)).not.toContain('exception-queue:li');
    expect(after).toHaveLength(6);
    expectProblem(await http(answers, { token: w.priya, body: { region: 'NA', area: 'model-retraining', answer: 'confirm' } }), 409);
  }, 40_000);

  it('cancels a campaign: nothing more is asked, and no gap is left', async () => {
    const started = await http(campaigns(), { token: w.grace, body: { within: '1h', remindBefore: '10m' } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const cancel = `${campaigns()}/${encodeURIComponent(started.body.campaignId)}/cancel`;
    const cancelled = await http(cancel, { token: w.grace, body: { reason: 'wrong quarter' } });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', closedBy: 'grace', closeReason: 'wrong quarter', counts: { cancelled: 8, pending: 0 } });
    expectProblem(await http(cancel, { token: w.grace, body: { reason: 'again' } }), 409);
    expect((await http(api('/me/attestations'), { token: w.priya })).body.items).toEqual([]);
    expect(await gaps('unattested')).toHaveLength(6);
    const audit = await http(api(`/audit-log?subjectType=attestation-campaign&subjectId=${encodeURIComponent(started.body.campaignId)}`), { token: w.admin });
    expect(audit.body.items.map((e: { action: string; actor: string }) => `${e.action}:${e.actor}`)).toEqual(['attestation.cancelled:grace', 'attestation.started:grace']);
  });

  it("lists to a region's manager the campaigns of their regions, and nothing of a region they do not reach", async () => {
    const unscoped = (await http(campaigns(), { token: w.grace })).body.items as Array<{ campaignId: string; regions: string[] }>;
    expect(unscoped.length).toBeGreaterThan(0);
    expect(unscoped.every((c) => c.regions.every((r) => r === 'NA'))).toBe(true);
    const naManager = await stack.mint({ sub: 'grace', roles: ['manager'], scope: [`${w.capability}:NA`] });
    const na = await http(campaigns(), { token: naManager });
    expect(na.status, JSON.stringify(na.body)).toBe(200);
    expect(na.body.items.map((c: { campaignId: string }) => c.campaignId)).toEqual(unscoped.map((c) => c.campaignId));
    const euManager = await stack.mint({ sub: 'grace', roles: ['manager'], scope: [`${w.capability}:EU`] });
    const eu = await http(campaigns(), { token: euManager });
    expect(eu.status).toBe(200);
    expect(eu.body.items).toEqual([]);
  });

  it('starts a campaign from the quarterly schedule ATTESTATION_SCHEDULE creates', async () => {
    const schedule = stack.api.client.schedule.getHandle('attestation-quarterly:po-test');
    expect((await schedule.describe()).spec.calendars?.[0]).toMatchObject({ month: [{ start: 'JANUARY' }, { start: 'APRIL' }, { start: 'JULY' }, { start: 'OCTOBER' }], dayOfMonth: [{ start: 1 }] });
    await schedule.trigger();
    const listed = await eventually(() => http(campaigns(), { token: w.grace }), (r) => r.body.items.some((c: { startedBy: string }) => c.startedBy === 'system:schedule'), 15_000);
    const quarterly = listed.body.items.find((c: { startedBy: string }) => c.startedBy === 'system:schedule');
    expect(quarterly).toMatchObject({ regions: ['NA'], status: 'running', counts: { asked: 8, pending: 8 }, campaignId: expect.stringMatching(/^attestation:po-test:quarterly-/) });
    const cancelled = await http(`${campaigns()}/${encodeURIComponent(quarterly.campaignId)}/cancel`, { token: w.grace, body: { reason: 'test over' } });
    expect(cancelled.body.status).toBe('cancelled');
  });
});
