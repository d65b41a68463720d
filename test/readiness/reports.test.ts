import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, path, priceVariance } from '../world.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack);
});
afterAll(async () => stack?.close());

let counter = 0;
const key = (what: string) => `${what}-${Date.now()}-${counter++}`;
const at = (minutesAgo = 1) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
const decision = (overrides: Record<string, unknown> = {}) => ({ kind: 'decision', key: key('d'), capability: 'po-test', region: 'NA', occurredAt: at(), quantity: 3, outcome: 'place-order', ...overrides });
const value = (overrides: Record<string, unknown> = {}) => ({ kind: 'value', key: key('v'), capability: 'po-test', region: 'NA', occurredAt: at(), valueEvent: 'rework-avoided', quantity: 12, ...overrides });
const report = (events: unknown[], token = w.integration) => http(`${stack.url}/api/v1/reports`, { token, body: { events } });

async function dailyTotals(metric: string, k: string) {
  const rows = await stack.ledger.selectFrom('readiness_daily').select(['events', 'quantity']).where('capability', '=', 'po-test').where('metric', '=', metric).where('key', '=', k).execute();
  return { events: rows.reduce((n, r) => n + Number(r.events), 0), quantity: rows.reduce((n, r) => n + Number(r.quantity), 0) };
}

describe('decisions and value events reported by the capability', () => {
  it('stores a batch, answers the same events again as duplicates, and counts each once in the daily totals', async () => {
    const before = await dailyTotals('value', 'rework-avoided');
    const events = [decision(), value(), value({ valueEvent: 'recommendation-accepted', quantity: 1 })];
    const first = await report(events);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.results.map((r: { status: number }) => r.status)).toEqual([201, 201, 201]);
    expect(first.body).toMatchObject({ stored: 3, duplicates: 0, refused: 0 });

    // A retried report (the network dropped the answer) changes nothing.
    const again = await report(events);
    expect(again.body.results.map((r: { status: number }) => r.status)).toEqual([200, 200, 200]);
    expect(await dailyTotals('value', 'rework-avoided')).toEqual({ events: before.events + 1, quantity: before.quantity + 12 });

    const listed = await http(`${stack.url}/api/v1/reports?capability=po-test&kind=decision`, { token: w.grace });
    expect(listed.body.items.find((e: { key: string }) => e.key === events[0]!.key)).toMatchObject({ kind: 'decision', quantity: 3, outcome: 'place-order', origin: 'report', reportedBy: 'erp' });
  });

  it('refuses a key that names another event (409) and keeps the refused one in the quarantine; the stored one stands', async () => {
    const original = value();
    await report([original]);
    const changed = await report([{ ...original, quantity: 99 }]);
    expect(changed.body.results[0]).toMatchObject({ status: 409, key: original.key, problem: { status: 409, errors: [{ path: 'key' }] } });
    const quarantined = await http(`${stack.url}/api/v1/quarantine?source=report&sourceKey=${original.key}`, { token: w.admin });
    expect(quarantined.body.items).toHaveLength(1);
    expect(quarantined.body.items[0]).toMatchObject({ source: 'report', actor: 'erp', capability: 'po-test', region: 'NA', body: { quantity: 99 } });
    const listed = await http(`${stack.url}/api/v1/reports?capability=po-test&kind=value&valueEvent=rework-avoided&limit=500`, { token: w.admin });
    expect(listed.body.items.find((e: { key: string }) => e.key === original.key).quantity).toBe(12);
  });

  it('answers each bad event with 422 and its field paths, names the known value events, and quarantines every one', async () => {
    const bad = [
      value({ valueEvent: 'hours-saved' }),
      value({ quantity: -5 }),
      decision({ occurredAt: 'yesterday', quantity: 1.5 }),
      decision({ region: 'APAC' }),
      decision({ capability: 'po-nothing' }),
      decision({ occurredAt: new Date(Date.now() + 3_600_000).toISOString() }),
      { kind: 'opinion', key: key('x'), capability: 'po-test', region: 'NA' },
    ];
    const res = await report([decision(), ...bad]);
    expect(res.status).toBe(200);
    const [good, ...refused] = res.body.results;
    expect(good.status).toBe(201);
    expect(refused.map((r: { status: number }) => r.status)).toEqual(bad.map(() => 422));
    const paths = refused.map((r: { problem: { errors: Array<{ path: string }> } }) => r.problem.errors.map((e) => e.path).sort());
    expect(paths).toEqual([['valueEvent'], ['quantity'], ['occurredAt', 'quantity'], ['region'], ['capability'], ['occurredAt'], ['kind']]);
    expect(refused[0].problem.detail).toContain('recommendation-accepted, recommendation-corrected, rework-avoided, supplier-data-fixed, model-feedback-logged');
    expect(refused[0].problem.type).toContain('unprocessable');

    const ids = refused.map((r: { problem: { quarantineId: number } }) => r.problem.quarantineId);
    expect(ids.every((id: unknown) => typeof id === 'number')).toBe(true);
    const quarantine = await http(`${stack.url}/api/v1/quarantine?source=report&limit=100`, { token: w.admin });
    const kept = quarantine.body.items.filter((q: { id: number }) => ids.includes(q.id));
    expect(kept).toHaveLength(bad.length);
    expect(kept.find((q: { type: string }) => q.type === 'hours-saved').reasons[0].message).toMatch(/unknown; known: recommendation-accepted/);
    // Refused reports are not refused intakes: input reliability does not count them.
    const intakes = await http(`${stack.url}/api/v1/quarantine?source=intake&limit=100`, { token: w.admin });
    expect(intakes.body.items.filter((q: { id: number }) => ids.includes(q.id))).toEqual([]);
  });

  it('refuses an envelope that is not a list of events with 400, and a reserved key with 422', async () => {
    const notAList = await http(`${stack.url}/api/v1/reports`, { token: w.integration, body: { events: 'all of them' } });
    expect(notAList.status).toBe(400);
    expect(notAList.body.errors[0].path).toBe('events');
    const reserved = await report([value({ key: 'resolution:exception:po-test:PO-1' })]);
    expect(reserved.body.results[0]).toMatchObject({ status: 422, problem: { errors: [{ path: 'key' }] } });
  });

  it('refuses events outside the token scope (403, not quarantined), and operators may not report', async () => {
    const scoped = await stack.mint({ sub: 'erp', roles: ['integration'], scope: ['po-test:EMEA'] });
    const res = await report([decision()], scoped);
    expect(res.body.results[0]).toMatchObject({ status: 403, problem: { status: 403 } });
    expect(res.body.results[0].problem.quarantineId).toBeUndefined();
    expect((await report([decision()], w.olivia)).status).toBe(403);
  });

  it('audits each report with the actor from the token', async () => {
    await report([decision(), decision({ region: 'NOPE' })]);
    const audit = await http(`${stack.url}/api/v1/audit-log?subjectType=report&actor=erp&limit=1`, { token: w.admin });
    expect(audit.body.items[0]).toMatchObject({ actor: 'erp', action: 'events-reported', subjectId: 'po-test:NA', detail: { stored: 1, refused: 1, places: { 'po-test:NA': 1 } } });
  });
});

describe('a resolution carries what its value event was worth', () => {
  it('records the quantity on the exception and its timeline, and counts it once as a value event', async () => {
    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() });
    const id = raised.body.id as string;
    expect((await http(`${stack.url}/api/v1/exceptions/${path(id)}/claim`, { token: w.olivia, body: {} })).status).toBe(200);

    const noEvent = await http(`${stack.url}/api/v1/exceptions/${path(id)}/resolve`, { token: w.olivia, body: { code: 'fixed', quantity: 12 } });
    expect(noEvent.status).toBe(422);
    expect(noEvent.body.detail).toMatch(/name the valueEvent/);

    const before = await dailyTotals('value', 'rework-avoided');
    const resolved = await http(`${stack.url}/api/v1/exceptions/${path(id)}/resolve`, { token: w.olivia, body: { code: 'fixed', valueEvent: 'rework-avoided', quantity: 12 } });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body.resolution).toMatchObject({ valueEvent: 'rework-avoided', quantity: 12, by: 'olivia' });
    const timeline = await http(`${stack.url}/api/v1/exceptions/${path(id)}/timeline`, { token: w.admin });
    expect(timeline.body.items.at(-1)).toMatchObject({ action: 'resolved', detail: { code: 'fixed', valueEvent: 'rework-avoided', quantity: 12 } });

    const events = await http(`${stack.url}/api/v1/reports?capability=po-test&kind=value&limit=500`, { token: w.admin });
    expect(events.body.items.filter((e: { key: string }) => e.key === `resolution:${id}`)).toEqual([
      expect.objectContaining({ origin: 'resolution', valueEvent: 'rework-avoided', quantity: 12, reportedBy: 'olivia' }),
    ]);
    expect(await dailyTotals('value', 'rework-avoided')).toEqual({ events: before.events + 1, quantity: before.quantity + 12 });
  });
});
