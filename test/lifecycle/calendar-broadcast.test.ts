import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCalendarActivities } from '../../activities/calendars.js';
import { workCalendar } from '../../domain/rules/calendar.js';
import { calendarBroadcastId } from '../../workflows/calendar/messages.js';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, path, priceVariance } from '../world.js';

/**
 * A region's calendar change reaches its open exceptions through a workflow of its own
 * (workflows/calendar), not a loop in the API: Temporal holds the announcement, the saves are told in
 * order, and a retried attempt carries on after the last exception it told.
 */
let stack: Stack;
let connection: Connection;
let client: Client;
let w: Awaited<ReturnType<typeof buildWorld>>;
const CAPABILITY = 'po-cal-broadcast';
const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'];
const span = (h: string) => ({ start: h.slice(0, 5), end: h.slice(6) });
const calendarOf = (zone: string, hours: string[]) => ({ timeZone: zone, businessCalendar: { workdays: weekdays, hours: hours.map(span), holidays: [] } });

beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack, { id: CAPABILITY, policy: { claimWithin: '1d', resolveWithin: '3d', claimLease: '1d', escalation: [{ after: '1h', notify: 'backup' }], warnAt: [] } });
  connection = await Connection.connect(stack.target.options);
  client = new Client({ connection, namespace: stack.target.namespace });
});
afterAll(async () => {
  await connection?.close();
  await stack?.close();
});

const timeline = (id: string) => http(`${stack.url}/api/v1/exceptions/${path(id)}/timeline`, { token: w.admin }).then((r) => r.body.items as any[]);
const raise = async () => {
  const raised = await http(`${stack.url}/api/v1/exceptions`, { method: 'POST', token: w.integration, body: priceVariance(CAPABILITY) });
  expect(raised.status).toBe(201);
  return raised.body.id as string;
};
const saveCalendar = async (zone: string, hours: string[]) => {
  const saved = await http(`${stack.url}/api/v1/capabilities/${CAPABILITY}/regions/NA`, { method: 'PUT', token: w.admin, body: calendarOf(zone, hours) });
  expect(saved.status).toBe(200);
};
const calendarChanges = async (id: string) => (await timeline(id)).filter((e) => e.action === 'calendar-changed');

describe('a calendar change, told by its broadcast workflow', () => {
  it('reaches every open exception of the region, in the order of the saves, and Temporal records how many it told', async () => {
    const ids = [await raise(), await raise(), await raise()];
    // Two saves back to back: each exception ends on the second, having heard the first before it.
    await saveCalendar('Asia/Kolkata', ['09:00-17:00']);
    await saveCalendar('Europe/Berlin', ['08:00-18:00']);
    for (const id of ids) {
      const changes = await eventually(() => calendarChanges(id), (c) => c.length >= 2, 20_000);
      expect(changes.map((c) => c.to)).toEqual(['business hours (Asia/Kolkata)', 'business hours (Europe/Berlin)']);
      expect(changes[0]).toMatchObject({ actor: 'root', reason: `the business calendar of ${CAPABILITY} in NA changed` });
    }
    const broadcast = client.workflow.getHandle(calendarBroadcastId(CAPABILITY, 'NA'));
    await eventually(async () => (await broadcast.describe()).status.name, (s) => s === 'COMPLETED', 20_000);
    // The last run told all three the second calendar (the first may have been told in an earlier run).
    expect(await broadcast.result()).toBeGreaterThanOrEqual(3);
  });

  it('carries on after the last exception a failed attempt told (its heartbeat), telling none of those before it again', async () => {
    const ids = (await Promise.all([raise(), raise(), raise()])).sort();
    const { announceCalendar } = createCalendarActivities({ ledger: stack.ledger, client });
    const calendar = workCalendar('America/New_York', { workdays: weekdays, hours: [span('07:00-15:00')], holidays: [] });
    const input = { capability: CAPABILITY, region: 'NA', calendar, actor: 'root', reason: 'a retried attempt' };
    const beats: unknown[] = [];
    // A retry of an attempt that had told everyone up to the second of these three.
    const env = new MockActivityEnvironment({ heartbeatDetails: { lastId: ids[1] } });
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const told = await env.run(announceCalendar, input);
    expect(told).toBe(1);
    expect(beats.at(-1)).toEqual({ lastId: ids[2] });
    const third = await eventually(() => calendarChanges(ids[2]!), (c) => c.some((e) => e.reason === 'a retried attempt'), 10_000);
    expect(third.at(-1)).toMatchObject({ to: 'business hours (America/New_York)' });
    for (const id of ids.slice(0, 2)) expect((await calendarChanges(id)).some((e) => e.reason === 'a retried attempt')).toBe(false);
  });
});
