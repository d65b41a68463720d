import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addWorkingTime, workCalendar } from '../../domain/rules/calendar.js';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, path, priceVariance } from '../world.js';

/**
 * The real workflow on business calendars, compressed to seconds: working spans a few seconds long
 * stand for "Friday until 18:00" and "Monday from 08:00"; warnings and waiting on others with
 * seconds-long windows. One stack for the file.
 */
let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;

const KOLKATA_OFFSET = 5.5 * 3_600_000; // Asia/Kolkata: no DST, so the test can place spans in local time.
const allDays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const clock = (localMs: number) => new Date(localMs).toISOString().slice(11, 19);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack, {
    id: 'po-cal',
    policy: { claimWithin: '2s', resolveWithin: '1m', claimLease: '1m', escalation: [{ after: '1s', notify: 'backup' }, { after: '1m', notify: 'escalation[0]' }], warnAt: [] },
  });
  await buildWorld(stack, {
    id: 'po-warn',
    policy: { claimWithin: '2s', resolveWithin: '6s', claimLease: '1m', escalation: [{ after: '1s', notify: 'backup' }] },
  });
});
afterAll(async () => stack?.close());

const timeline = (id: string) => http(`${stack.url}/api/v1/exceptions/${path(id)}/timeline`, { token: w.admin }).then((r) => r.body.items as any[]);
const get = (id: string) => http(`${stack.url}/api/v1/exceptions/${path(id)}`, { token: w.admin }).then((r) => r.body);
const inbox = async (person: string, role: 'owner' | 'operator', id: string) =>
  (await http(`${stack.url}/api/v1/me/inbox`, { token: await stack.token(person, role) })).body.items.filter((i: any) => i.exceptionId === id);

describe.concurrent('clocks on a compressed business calendar (real workflow)', () => {
  it('raised just before closing, claim-by and its escalation skip the closed hours ("Friday 17:55 escalates on Monday morning")', async () => {
    // Spans in Kolkata local time: "Friday" ends 2 s from now, "Monday" starts 8 s from now.
    let now = Date.now();
    const localToday = () => (Date.now() + KOLKATA_OFFSET) % 86_400_000;
    if (localToday() < 70_000 || localToday() > 86_400_000 - 70_000) await sleep(140_000); // spans stay inside one local day
    now = Math.floor(Date.now() / 1000) * 1000;
    const local = now + KOLKATA_OFFSET;
    const hours = [
      { start: clock(local - 60_000), end: clock(local + 2_000) },
      { start: clock(local + 8_000), end: clock(local + 60_000) },
    ];
    const overlay = await http(`${stack.url}/api/v1/capabilities/po-cal/regions/NA`, {
      method: 'PUT',
      token: w.admin,
      body: { timeZone: 'Asia/Kolkata', businessCalendar: { workdays: allDays, hours } },
    });
    expect(overlay.status, JSON.stringify(overlay.body)).toBe(200);
    const cal = workCalendar('Asia/Kolkata', { workdays: allDays, hours })!;

    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance('po-cal') });
    expect(raised.status).toBe(201);
    const exception = raised.body;
    const createdAt = Date.parse(exception.createdAt);
    const claimBy = Date.parse(exception.deadlines.claimBy);
    expect(exception.sla).toMatchObject({ calendar: 'business', timeZone: 'Asia/Kolkata' });
    // The claim window waits for the next span: not createdAt + 2 s, but past the closed gap.
    expect(claimBy).toBe(addWorkingTime(cal, createdAt, 2_000));
    expect(claimBy).toBeGreaterThanOrEqual(now + 8_000);

    const events = await eventually(() => timeline(exception.id), (items) => items.some((e) => e.action === 'escalated'), 20_000);
    const escalation = events.find((e) => e.action === 'escalated');
    expect(escalation).toMatchObject({ detail: { kind: 'claim', target: 'li' } });
    const dueAt = Date.parse(escalation.detail.dueAt);
    expect(dueAt).toBe(addWorkingTime(cal, claimBy, 1_000));
    // Never during the closed hours: the wall-time clock would have escalated at createdAt + 3 s.
    expect(Date.parse(escalation.at)).toBeGreaterThanOrEqual(dueAt);
    expect(Date.parse(escalation.at)).toBeGreaterThan(now + 8_000);

    // The region's calendar changes: the open exception hears it (a signal) and records it in its timeline.
    const changed = await http(`${stack.url}/api/v1/capabilities/po-cal/regions/NA`, {
      method: 'PUT',
      token: w.admin,
      body: { timeZone: 'Asia/Kolkata', businessCalendar: { workdays: allDays, hours, holidays: ['2031-01-01'] } },
    });
    expect(changed.status).toBe(200);
    const after = await eventually(() => timeline(exception.id), (items) => items.some((e) => e.action === 'calendar-changed'), 10_000);
    expect(after.find((e) => e.action === 'calendar-changed')).toMatchObject({ actor: 'root', reason: 'the business calendar of po-cal in NA changed' });
  });

  it('gives each early warning once, to the owner while unclaimed (50 % and 75 % of the claim window)', async () => {
    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance('po-warn') });
    expect(raised.status).toBe(201);
    const id = raised.body.id;
    const claimBy = Date.parse(raised.body.deadlines.claimBy);
    await eventually(() => timeline(id), (items) => items.some((e) => e.action === 'escalated'), 15_000);
    await sleep(1_000);
    const warnings = (await timeline(id)).filter((e) => e.action === 'warning' && e.detail.kind === 'claim');
    expect(warnings.map((e) => e.to)).toEqual(['claim 50%', 'claim 75%']);
    for (const warning of warnings) expect(Date.parse(warning.at)).toBeLessThan(claimBy + 1_000);
    const notices = (await inbox('priya', 'owner', id)).filter((i: any) => i.kind === 'warning' && /of the claim window/.test(i.reason));
    expect(notices).toHaveLength(2);
  });

  it('does not breach while waiting on others; fresh data resumes it, and the resolve warnings then reach the claimant once each', async () => {
    const body = priceVariance('po-warn');
    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body });
    const id = raised.body.id;
    const resolveBy = Date.parse(raised.body.deadlines.resolveBy);
    expect((await http(`${stack.url}/api/v1/exceptions/${path(id)}/claim`, { token: w.olivia, body: {} })).status).toBe(200);
    expect((await http(`${stack.url}/api/v1/exceptions/${path(id)}/resume`, { token: w.olivia, body: {} })).status).toBe(409);
    const waiting = await http(`${stack.url}/api/v1/exceptions/${path(id)}/waiting`, { token: w.olivia, body: { reason: 'supplier', note: 'asked SUP-0042 for the new price list' } });
    expect(waiting.status, JSON.stringify(waiting.body)).toBe(200);
    expect(waiting.body).toMatchObject({ waiting: { reason: 'supplier', by: 'olivia' }, overdue: false, sla: { dueAt: null } });

    await sleep(Math.max(0, resolveBy + 2_000 - Date.now()));
    const during = await get(id);
    expect(during).toMatchObject({ overdue: false, escalationLevel: 0, waiting: { reason: 'supplier' } });
    expect((await timeline(id)).filter((e) => e.action === 'escalated' || (e.action === 'warning' && e.detail.kind === 'resolve'))).toEqual([]);

    // The same sourceKey with other data: fresh data resumes it.
    const again = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: { ...body, payload: { ...body.payload, unitPrice: 10.1 } } });
    expect(again.status).toBe(200);
    const resumed = (await timeline(id)).find((e) => e.action === 'resumed');
    expect(resumed).toMatchObject({ actor: 'system', from: 'supplier', reason: 'a new intake brought fresh data' });
    expect(resumed.detail.pausedMs).toBeGreaterThan(6_000);
    const after = await get(id);
    expect(after.waiting).toBeNull();
    expect(Date.parse(after.deadlines.resolveBy)).toBe(resolveBy + resumed.detail.pausedMs);
    expect(after.sla.pausedMs).toBe(resumed.detail.pausedMs);

    const done = await eventually(() => timeline(id), (items) => items.some((e) => e.action === 'escalated'), 15_000);
    const warnings = done.filter((e) => e.action === 'warning' && e.detail.kind === 'resolve');
    expect(warnings.map((e) => e.to)).toEqual(['resolve 50%', 'resolve 75%']);
    expect(Date.parse(done.find((e) => e.action === 'escalated').detail.dueAt)).toBeGreaterThanOrEqual(resolveBy + resumed.detail.pausedMs);
    const notices = (await inbox('olivia', 'operator', id)).filter((i: any) => i.kind === 'warning');
    expect(notices).toHaveLength(2);
  });
});
