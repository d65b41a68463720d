import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, path, priceVariance } from '../world.js';

/**
 * `?overdue=` filters on the ledger's stored overdue_at; each exception's `overdue` field is computed
 * from its state when viewed. Both come from domain/rules/overdue.ts and must agree for every kind of
 * exception, most of all a snoozed one whose deadlines have passed on the wall clock.
 */
// Claim in 2s, resolve in 5s, then one step to the backup after 1s: everything lapses within seconds.
const lapsing = { claimWithin: '2s', resolveWithin: '5s', claimLease: '1h', escalation: [{ after: '1s', notify: 'backup' }] };
// Claim in 2s, but nothing else for an hour: open past claim-by with no escalation yet.
const quiet = { claimWithin: '2s', resolveWithin: '1h', claimLease: '1h', escalation: [{ after: '1h', notify: 'backup' }] };

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack, { policy: lapsing, id: 'po-lapsing' });
  await buildWorld(stack, { policy: quiet, id: 'po-quiet' });
});
afterAll(async () => stack?.close());

const raise = async (capability: string) => {
  const res = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance(capability) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
};
const act = async (id: string, action: string, token: string, body: unknown = {}) => {
  const res = await http(`${stack.url}/api/v1/exceptions/${path(id)}/${action}`, { token, body });
  expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(200);
};
const view = (id: string) => http(`${stack.url}/api/v1/exceptions/${path(id)}`, { token: w.admin }).then((r) => r.body);
const listed = async (capability: string, overdue: boolean) => {
  const res = await http(`${stack.url}/api/v1/exceptions?capability=${capability}&overdue=${overdue}&limit=500`, { token: w.admin });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return new Map<string, boolean>(res.body.items.map((e: { id: string; overdue: boolean }) => [e.id, e.overdue]));
};
const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

describe('overdue: the filter and the view agree', () => {
  it('for snoozed, escalated, claimed, resolved, dismissed and plain open-overdue exceptions once their deadlines pass', async () => {
    const raised = {
      snoozedPastDeadlines: await raise('po-lapsing'),
      snoozeEnded: await raise('po-lapsing'),
      escalated: await raise('po-lapsing'),
      claimedPastResolveBy: await raise('po-lapsing'),
      resolved: await raise('po-lapsing'),
      dismissed: await raise('po-lapsing'),
      openOverdue: await raise('po-quiet'),
      claimedInTime: await raise('po-quiet'),
      snoozedOpen: await raise('po-quiet'),
    };
    await act(raised.snoozedPastDeadlines, 'snooze', w.priya, { until: inAnHour(), reason: 'waiting for supplier' });
    await act(raised.snoozeEnded, 'snooze', w.priya, { until: new Date(Date.now() + 1000).toISOString() });
    await act(raised.claimedPastResolveBy, 'claim', w.olivia);
    await act(raised.resolved, 'claim', w.olivia);
    await act(raised.resolved, 'resolve', w.olivia, { code: 'fixed' });
    await act(raised.dismissed, 'dismiss', w.priya, { reason: 'duplicate' });
    await act(raised.claimedInTime, 'claim', w.omar);
    await act(raised.snoozedOpen, 'snooze', w.priya, { until: inAnHour() });

    // Wait for the timers: the escalation and the end of the short snooze, then every deadline still running.
    await eventually(() => view(raised.escalated), (e) => e.escalationLevel >= 1, 15_000);
    const resumed = await eventually(() => view(raised.snoozeEnded), (e) => e.deadlines.snoozedUntil === null, 15_000);
    expect(resumed.deadlines.snoozedUntil).toBeNull();
    const lastDeadline = Math.max(
      ...(await Promise.all([raised.snoozeEnded, raised.escalated, raised.claimedPastResolveBy].map(view))).map((e) => Date.parse(e.deadlines.resolveBy)),
      Date.parse((await view(raised.openOverdue)).deadlines.claimBy),
    );
    await new Promise((r) => setTimeout(r, Math.max(lastDeadline - Date.now() + 300, 0)));

    const expected: Record<keyof typeof raised, boolean> = {
      snoozedPastDeadlines: false,
      snoozeEnded: true,
      escalated: true,
      claimedPastResolveBy: true,
      resolved: false,
      dismissed: false,
      openOverdue: true,
      claimedInTime: false,
      snoozedOpen: false,
    };
    const lists = {
      'po-lapsing': { true: await listed('po-lapsing', true), false: await listed('po-lapsing', false) },
      'po-quiet': { true: await listed('po-quiet', true), false: await listed('po-quiet', false) },
    };
    const seen = await Promise.all(
      Object.entries(raised).map(async ([name, id]) => {
        const e = await view(id);
        const list = lists[e.capability as keyof typeof lists];
        return { name, status: e.status, level: e.escalationLevel, view: e.overdue, inOverdue: list.true.get(id), inNotOverdue: list.false.get(id) };
      }),
    );
    for (const s of seen) {
      const want = expected[s.name as keyof typeof raised];
      // Listed in exactly one of the two, carrying the same answer as the view, and the right answer.
      expect({ name: s.name, view: s.view, overdueList: s.inOverdue, notOverdueList: s.inNotOverdue }).toEqual({
        name: s.name,
        view: want,
        overdueList: want ? true : undefined,
        notOverdueList: want ? undefined : false,
      });
    }
    expect(seen.map((s) => [s.name, s.status])).toEqual([
      ['snoozedPastDeadlines', 'open'],
      ['snoozeEnded', 'open'],
      ['escalated', 'open'],
      ['claimedPastResolveBy', 'claimed'],
      ['resolved', 'resolved'],
      ['dismissed', 'dismissed'],
      ['openOverdue', 'open'],
      ['claimedInTime', 'claimed'],
      ['snoozedOpen', 'open'],
    ]);
    // The plain open-overdue one has not escalated; the escalated one has.
    expect(seen.find((s) => s.name === 'openOverdue')!.level).toBe(0);
    expect(seen.find((s) => s.name === 'escalated')!.level).toBeGreaterThanOrEqual(1);
    // Every listed item of these capabilities is one of ours, with the answer its list promises.
    for (const list of Object.values(lists)) {
      expect([...list.true.values()].every(Boolean)).toBe(true);
      expect([...list.false.values()].some(Boolean)).toBe(false);
    }
  });
});
