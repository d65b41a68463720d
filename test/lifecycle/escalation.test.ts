import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, fastPolicy, path, priceVariance } from '../world.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack, { policy: fastPolicy, id: 'po-fast' });
});
afterAll(async () => stack?.close());

const raise = async () => {
  const res = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance('po-fast') });
  expect(res.status).toBe(201);
  return res.body as { id: string; createdAt: string; deadlines: { claimBy: string } };
};
const get = (id: string) => http(`${stack.url}/api/v1/exceptions/${path(id)}`, { token: w.admin }).then((r) => r.body);
const timeline = (id: string) => http(`${stack.url}/api/v1/exceptions/${path(id)}/timeline`, { token: w.admin }).then((r) => r.body.items as any[]);

// Claim SLA 2s; steps 1s → backup (li), 2s → escalation[0] (dana), 3s → manager-of-owner (grace); then grace again every 2s, twice.
describe.concurrent('SLA escalation (real timers, seconds-long SLAs)', () => {
  it('escalates along the chain in order after the claim SLA lapses, then repeats, never early', async () => {
    const exception = await raise();
    const done = await eventually(() => timeline(exception.id), (items) => items.filter((e) => e.action === 'escalated').length >= 5, 20_000);
    const escalations = done.filter((e) => e.action === 'escalated');
    expect(escalations.map((e) => e.detail.target)).toEqual(['li', 'dana', 'grace', 'grace', 'grace']);
    expect(escalations.map((e) => e.to)).toEqual(['1', '2', '3', '3', '3']);
    expect(escalations[0].reason).toMatch(/^claim SLA lapsed \d+s ago, step 1 of 3$/);
    const claimBy = Date.parse(exception.deadlines.claimBy);
    const expectedDue = [1, 2, 3, 5, 7].map((s) => claimBy + s * 1000);
    escalations.forEach((e, i) => {
      const due = Date.parse(e.detail.dueAt);
      expect(due).toBe(expectedDue[i]);
      const lateness = Date.parse(e.at) - due;
      expect(lateness).toBeGreaterThanOrEqual(0);
      expect(lateness).toBeLessThan(1500);
    });
    const inbox = await http(`${stack.url}/api/v1/me/inbox`, { token: await stack.token('dana', 'owner') });
    expect(inbox.body.items.find((i: any) => i.exceptionId === exception.id)).toMatchObject({ kind: 'escalated', level: 2 });
    const detail = await get(exception.id);
    expect(detail.escalationLevel).toBe(3);
    expect(detail.overdue).toBe(true);
    const overdue = await http(`${stack.url}/api/v1/exceptions?overdue=true&escalated=true&capability=po-fast`, { token: w.admin });
    expect(overdue.body.items.map((e: any) => e.id)).toContain(exception.id);
  });

  it('stops claim escalation once claimed, and returns a stalled claim to the queue when its lease expires', async () => {
    const exception = await raise();
    const claim = await http(`${stack.url}/api/v1/exceptions/${path(exception.id)}/claim`, { token: w.olivia, body: {} });
    expect(claim.status).toBe(200);
    const leaseUntil = Date.parse(claim.body.deadlines.leaseUntil);
    const after = await eventually(() => get(exception.id), (e) => e.status === 'open', 10_000);
    expect(after).toMatchObject({ status: 'open', claimant: null, escalationLevel: 1 });
    const events = await timeline(exception.id);
    const expired = events.find((e) => e.action === 'lease-expired');
    expect(expired).toMatchObject({ actor: 'system', from: 'claimed', to: 'open' });
    expect(Date.parse(expired.at)).toBeGreaterThanOrEqual(leaseUntil);
    expect(events.find((e) => e.action === 'escalated')).toMatchObject({ detail: { kind: 'lease', target: 'li' } });
  });

  it('pauses the SLA clocks while snoozed', async () => {
    const exception = await raise();
    const until = new Date(Date.now() + 4000).toISOString();
    const snoozed = await http(`${stack.url}/api/v1/exceptions/${path(exception.id)}/snooze`, { token: w.priya, body: { until, reason: 'waiting for supplier' } });
    expect(snoozed.status, JSON.stringify(snoozed.body)).toBe(200);
    // Without the snooze, step 1 would fire 3s after surfacing.
    await new Promise((r) => setTimeout(r, 4500));
    expect((await get(exception.id)).escalationLevel).toBe(0);
    const later = await eventually(() => get(exception.id), (e) => e.escalationLevel >= 1, 10_000);
    expect(later.escalationLevel).toBeGreaterThanOrEqual(1);
    const events = await timeline(exception.id);
    const ended = events.find((e) => e.action === 'snooze-ended');
    const first = events.find((e) => e.action === 'escalated');
    expect(Date.parse(first.detail.dueAt)).toBe(Date.parse(exception.deadlines.claimBy) + (Date.parse(ended.at) - Date.parse(snoozed.body.updatedAt)) + 1000);
  });

  it('surfaces an exception nobody can own, flagged unowned and escalated at once', async () => {
    const admin = w.admin;
    // The NA exception-queue cell gets an owner who then departs, and no backup.
    await http(`${stack.url}/api/v1/people/zoe`, { method: 'PUT', token: admin, body: { name: 'Zoe', email: 'zoe@example.com', managerId: 'grace' } });
    const assign = await http(`${stack.url}/api/v1/capabilities/po-fast/ownership/NA/exception-queue`, {
      method: 'PUT',
      token: admin,
      body: { owner: 'zoe', escalation: ['dana'], reason: 'temporary' },
    });
    expect(assign.status).toBe(200);
    await http(`${stack.url}/api/v1/people/zoe`, { method: 'PUT', token: admin, body: { name: 'Zoe', email: 'zoe@example.com', managerId: 'grace', status: 'departed' } });
    const missingField = {
      ...priceVariance('po-fast'),
      type: 'missing-input-field',
      payload: { poNumber: 'PO-00999999', missingField: 'needByDate', sourceSystem: 'erp', modelVersion: 'po-rec-2.3.1' },
    };
    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: missingField });
    expect(raised.status, JSON.stringify(raised.body)).toBe(201);
    const detail = await get(raised.body.id);
    expect(detail).toMatchObject({ area: 'exception-queue', owner: null, ownerSource: 'unowned', escalationLevel: 1 });
    expect(detail.escalations[0]).toMatchObject({ target: 'dana', reason: expect.stringContaining('no active owner') });
  });
});
