import { describe, expect, it } from 'vitest';
import type { SlaPolicy } from '../../domain/capability.js';
import { eventDigest, noticeDigest } from '../../domain/rules/digest.js';
import type { Route } from '../../domain/rules/exception.js';
import { RECENT_ESCALATIONS, type ExceptionEvent } from '../../domain/rules/exception-model.js';
import { ExceptionCase } from '../../workflows/exception/case.js';
import { exceptionInput, testRoute } from '../exception-input.js';
import type { ExceptionInput } from '../../workflows/exception/messages.js';

/**
 * The exception's state machine without Temporal: messages and the clock in, events and notifications
 * out. Times are seconds after surfacing (T0), so the tables read like the policy.
 */
const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const at = (seconds: number) => T0 + seconds * 1000;
const iso = (seconds: number) => new Date(at(seconds)).toISOString();

// Claim in 2s, resolve in 20s, lease 3s; after a lapse: 1s → backup, 2s → escalation[0], 3s → manager-of-owner, then twice every 2s.
const policy: SlaPolicy = {
  claimWithin: '2s',
  resolveWithin: '20s',
  claimLease: '3s',
  escalation: [
    { after: '1s', notify: 'backup' },
    { after: '2s', notify: 'escalation[0]' },
    { after: '3s', notify: 'manager-of-owner' },
  ],
  repeat: { every: '2s', times: 2 },
};
const longLease: SlaPolicy = { ...policy, claimLease: '1h' };
const route: Route = testRoute;
const olivia = { id: 'olivia', roles: ['operator' as const] };
const priya = { id: 'priya', roles: ['owner' as const] };

const input = (p: SlaPolicy = policy): ExceptionInput => exceptionInput(p);

/** A case surfaced at T0 to `r`, with surfacing already drained. */
function surfaced(r: Route = route, p: SlaPolicy = policy): ExceptionCase {
  const c = new ExceptionCase(input(p), T0);
  c.surface(r, T0);
  c.drain();
  return c;
}

const actions = (c: ExceptionCase) => c.drain().events.map((e) => e.action);
/** An escalation as the tables spell it: kind, target, level change and when it fell due. */
const escalations = (events: ExceptionEvent[]) =>
  events.filter((e) => e.action === 'escalated').map((e) => ({ kind: e.detail!.kind, target: e.detail!.target, level: `${e.from}→${e.to}`, dueAt: e.detail!.dueAt }));

/** The workflow's loop: sleep to nextWakeAt(true), tick, record; until nothing is pending. */
function walk(c: ExceptionCase, until = Infinity) {
  const wakes: Array<{ at: number; events: ExceptionEvent[] }> = [];
  for (let next = c.nextWakeAt(true); next !== null && next <= until; next = c.nextWakeAt(true)) {
    c.tick(next - 1);
    expect(c.drain(), `a tick 1 ms before ${next - T0} ms records nothing`).toEqual({ events: [], notifications: [] });
    c.tick(next);
    wakes.push({ at: (next - T0) / 1000, events: c.drain().events });
  }
  return wakes;
}

describe('ExceptionCase: SLA lapse → breach → escalation steps', () => {
  // [due (s), kind, target, level change, reason] for an exception nobody claims.
  const claimLadder = [
    [3, 'claim', 'li', '0→1', 'claim SLA lapsed 1s ago, step 1 of 3'],
    [4, 'claim', 'dana', '1→2', 'claim SLA lapsed 2s ago, step 2 of 3'],
    [5, 'claim', 'grace', '2→3', 'claim SLA lapsed 3s ago, step 3 of 3'],
    [7, 'claim', 'grace', '3→3', 'claim SLA still lapsed: reminder 1 of 2'],
    [9, 'claim', 'grace', '3→3', 'claim SLA still lapsed: reminder 2 of 2'],
    [21, 'resolve', 'li', '3→4', 'resolve SLA lapsed 1s ago, step 1 of 3'],
    [22, 'resolve', 'dana', '4→5', 'resolve SLA lapsed 2s ago, step 2 of 3'],
    [23, 'resolve', 'grace', '5→6', 'resolve SLA lapsed 3s ago, step 3 of 3'],
    [25, 'resolve', 'grace', '6→6', 'resolve SLA still lapsed: reminder 1 of 2'],
    [27, 'resolve', 'grace', '6→6', 'resolve SLA still lapsed: reminder 2 of 2'],
  ] as const;

  it.each(claimLadder)('at %ss: %s escalation to %s (%s), and nothing 1 ms before', (due, kind, target, level, reason) => {
    const c = surfaced();
    for (const [earlier] of claimLadder.filter(([d]) => d < due)) c.tick(at(earlier));
    c.drain();
    expect(c.nextWakeAt(true)).toBe(at(due));
    c.tick(at(due) - 1);
    expect(c.drain()).toEqual({ events: [], notifications: [] });
    c.tick(at(due));
    const { events, notifications } = c.drain();
    expect(escalations(events)).toEqual([{ kind, target, level, dueAt: iso(due) }]);
    expect(events[0]).toMatchObject({ actor: 'system', at: at(due), reason });
    expect(notifications).toEqual([{ seq: events[0]!.seq, person: target, kind: 'escalated', level: Number(level.split('→')[1]), reason, at: at(due) }]);
  });

  it('following nextWakeAt(true) every wake records something, in ladder order, and stops after the last repeat', () => {
    const c = surfaced();
    const wakes = walk(c);
    expect(wakes.map((w) => w.at)).toEqual(claimLadder.map(([due]) => due));
    expect(wakes.every((w) => w.events.length === 1)).toBe(true);
    expect(c.nextWakeAt(true)).toBeNull();
    expect(c.state).toMatchObject({ status: 'open', escalationLevel: 6, escalationCount: 10, breaches: [{ kind: 'claim', repeats: 2 }, { kind: 'resolve', repeats: 2 }] });
    c.tick(at(3600));
    expect(actions(c)).toEqual([]);
  });

  it('nextWakeAt(false) also wakes silently at each lapse, which only opens the breach', () => {
    const c = surfaced();
    expect(c.nextWakeAt(false)).toBe(at(2));
    c.tick(at(2));
    expect(actions(c)).toEqual([]);
    expect(c.state.breaches).toEqual([{ kind: 'claim', at: at(2), step: 0, repeats: 0 }]);
    expect(c.nextWakeAt(false)).toBe(at(3));
  });

  it('a late tick catches up every step that fell due, each with its own due time', () => {
    const c = surfaced();
    c.tick(at(10));
    const { events } = c.drain();
    expect(escalations(events).map((e) => [e.target, e.dueAt])).toEqual([3, 4, 5, 7, 9].map((s, i) => [['li', 'dana', 'grace', 'grace', 'grace'][i], iso(s)]));
    expect(events.every((e) => e.at === at(10))).toBe(true);
  });

  it('a claimed exception (lease held) escalates on its resolve SLA from level 0', () => {
    const c = surfaced(route, longLease);
    c.claim(olivia, at(1));
    c.drain();
    const wakes = walk(c, at(30));
    expect(wakes.map((w) => [w.at, ...escalations(w.events).map((e) => `${e.kind}:${e.target}:${e.level}`)])).toEqual([
      [21, 'resolve:li:0→1'],
      [22, 'resolve:dana:1→2'],
      [23, 'resolve:grace:2→3'],
      [25, 'resolve:grace:3→3'],
      [27, 'resolve:grace:3→3'],
    ]);
  });
});

describe('ExceptionCase: snooze pauses every clock', () => {
  it('records nothing while snoozed, then ends the snooze and shifts every deadline by the paused time', () => {
    const c = surfaced();
    c.snooze(priya, at(6), 'waiting for supplier', at(1));
    expect(c.drain().events).toMatchObject([{ action: 'snoozed', to: iso(6), reason: 'waiting for supplier' }]);
    expect(c.nextWakeAt(true)).toBe(at(6));
    c.tick(at(6) - 1);
    expect(actions(c)).toEqual([]);
    c.tick(at(6));
    expect(c.drain().events).toMatchObject([{ action: 'snooze-ended', actor: 'system', at: at(6), reason: 'clocks resumed after 5s' }]);
    expect(c.state).toMatchObject({ claimBy: at(7), resolveBy: at(25), snoozedUntil: null, snoozedAt: null });
    expect(walk(c, at(8)).map((w) => escalations(w.events))).toEqual([[{ kind: 'claim', target: 'li', level: '0→1', dueAt: iso(8) }]]);
  });

  // [what, set-up before a snooze from 3s to 8s, the breach start or lease before it, the next wake after]
  it.each([
    ['an open breach', (c: ExceptionCase) => c.tick(at(3)), { breachAt: at(2), leaseUntil: null }, at(9)],
    ['a claim lease', (c: ExceptionCase) => c.claim(olivia, at(1)), { breachAt: null, leaseUntil: at(4) }, at(9)],
  ])('shifts %s by the paused time', (_what, before, was, nextAfter) => {
    const c = surfaced();
    before(c);
    c.drain();
    expect(c.state.leaseUntil).toBe(was.leaseUntil);
    c.snooze(priya, at(8), null, at(3));
    c.tick(at(8));
    expect(actions(c)).toEqual(['snoozed', 'snooze-ended']);
    expect(c.state.breaches.map((b) => b.at)).toEqual(was.breachAt === null ? [] : [was.breachAt + 5000]);
    expect(c.state.leaseUntil).toBe(was.leaseUntil === null ? null : was.leaseUntil + 5000);
    expect(c.state.resolveBy).toBe(at(25));
    expect(c.nextWakeAt(true)).toBe(nextAfter);
  });

  it('a longer snooze keeps the first pause start', () => {
    const c = surfaced();
    c.snooze(priya, at(5), null, at(1));
    c.snooze(priya, at(10), 'longer', at(4));
    expect(c.state).toMatchObject({ snoozedAt: at(1), snoozedUntil: at(10) });
    c.drain();
    c.tick(at(10));
    expect(c.drain().events[0]).toMatchObject({ action: 'snooze-ended', reason: 'clocks resumed after 9s' });
    expect(c.state.claimBy).toBe(at(11));
  });

  // A lease or claim window set while snoozed used to be shifted by the whole pause, including the part
  // before it existed: a 3s lease taken 4s into a 5s snooze lasted until 7s after the snooze ended.
  it.each([
    ['a claim taken', (c: ExceptionCase) => c.claim(olivia, at(5)), () => 0, (c: ExceptionCase) => c.state.leaseUntil!, 3],
    ['a claim window opened by a release', (c: ExceptionCase) => c.release(olivia, null, at(5)), (c: ExceptionCase) => c.claim(olivia, at(0.5)), (c: ExceptionCase) => c.state.claimBy, 2],
  ])('%s during a snooze lasts no longer than its policy after the snooze ends', (_what, during, before, deadline, seconds) => {
    const c = surfaced();
    before(c);
    c.snooze(priya, at(6), null, at(1));
    during(c);
    c.tick(at(6));
    expect(deadline(c)).toBeLessThanOrEqual(at(6 + seconds));
  });
});

describe('ExceptionCase: claims, leases and releases', () => {
  it('an expired lease returns the claim to the queue, escalates at once and opens a fresh claim window', () => {
    const c = surfaced();
    c.claim(olivia, at(1));
    expect(actions(c)).toEqual(['claimed']);
    expect(c.nextWakeAt(true)).toBe(at(4));
    const [expiry, step] = walk(c, at(7));
    expect(expiry!.at).toBe(4);
    expect(expiry!.events.map((e) => [e.action, e.actor, e.from, e.to])).toEqual([
      ['lease-expired', 'system', 'claimed', 'open'],
      ['escalated', 'system', '0', '1'],
    ]);
    expect(expiry!.events[0]!.reason).toBe('olivia made no progress for 3s');
    expect(escalations(expiry!.events)).toEqual([{ kind: 'lease', target: 'li', level: '0→1', dueAt: iso(4) }]);
    expect(c.state).toMatchObject({ status: 'open', claimant: null, leaseUntil: null, claimBy: at(6) });
    // The fresh window lapses at 6s; its first step is at 7s.
    expect(step).toMatchObject({ at: 7 });
    expect(escalations(step!.events)).toEqual([{ kind: 'claim', target: 'li', level: '1→2', dueAt: iso(7) }]);
  });

  it.each([
    [true, ['claim-renewed']],
    [false, []],
  ])('a re-claim by the claimant renews the lease (recordRenewal=%s records %j)', (recordRenewal, recorded) => {
    const c = surfaced();
    c.claim(olivia, at(1));
    c.drain();
    const seq = c.state.seq;
    c.claim(olivia, at(3), recordRenewal);
    const { events } = c.drain();
    expect(events.map((e) => e.action)).toEqual(recorded);
    if (recordRenewal) expect(events[0]).toMatchObject({ actor: 'olivia', detail: { leaseUntil: iso(6) } });
    expect(c.state).toMatchObject({ leaseUntil: at(6), claimedAt: at(1), seq: seq + recorded.length });
    expect(c.nextWakeAt(true)).toBe(at(6));
  });

  it('a comment counts, renews the claimant lease, and its text is not kept in state', () => {
    const c = surfaced();
    c.claim(olivia, at(1));
    c.comment(olivia, 'asked the supplier for a corrected invoice', at(2));
    c.comment(priya, 'thanks', at(3));
    expect(c.drain().events.map((e) => [e.action, e.reason])).toEqual([
      ['claimed', null],
      ['commented', 'asked the supplier for a corrected invoice'],
      ['commented', 'thanks'],
    ]);
    expect(c.state.commentCount).toBe(2);
    expect(c.state.leaseUntil).toBe(at(5));
    expect(JSON.stringify(c.state)).not.toContain('supplier');
    expect(c.state).not.toHaveProperty('comments');
  });

  it('release gives a fresh claim window and drops the claim breach, but the resolve clock keeps running', () => {
    const c = surfaced();
    c.tick(at(3));
    c.claim(olivia, at(3.5));
    c.release(olivia, 'needs a buyer', at(4));
    expect(c.drain().events.map((e) => [e.action, e.from, e.to, e.reason])).toEqual([
      ['escalated', '0', '1', 'claim SLA lapsed 1s ago, step 1 of 3'],
      ['claimed', 'open', 'claimed', null],
      ['released', 'claimed', 'open', 'needs a buyer'],
    ]);
    expect(c.state).toMatchObject({ status: 'open', claimant: null, claimBy: at(6), resolveBy: at(20), breaches: [] });
    expect(walk(c, at(7)).map((w) => [w.at, escalations(w.events)[0]!.target])).toEqual([[7, 'li']]);
  });
});

describe('ExceptionCase: closing', () => {
  const states: Array<[string, (c: ExceptionCase) => void]> = [
    ['open', () => undefined],
    ['claimed', (c) => c.claim(olivia, at(1))],
    ['breached', (c) => c.tick(at(5))],
    ['snoozed', (c) => c.snooze(priya, at(60), null, at(1))],
  ];
  it.each(states.flatMap(([name, setUp]) => (['resolve', 'dismiss'] as const).map((how) => [how, name, setUp] as const)))(
    '%s closes every clock of a %s exception',
    (how, _name, setUp) => {
      const c = surfaced();
      setUp(c);
      c.drain();
      if (how === 'resolve') c.resolve(olivia, 'fixed', null, 'rework-avoided', at(6));
      else c.dismiss(priya, 'duplicate of PO-2', at(6));
      expect(actions(c)).toEqual([how === 'resolve' ? 'resolved' : 'dismissed']);
      expect(c.state).toMatchObject({ leaseUntil: null, breaches: [], snoozedUntil: null, snoozedAt: null });
      expect(c.nextWakeAt(true)).toBeNull();
      expect(c.nextWakeAt(false)).toBeNull();
      c.tick(at(3600));
      expect(c.drain()).toEqual({ events: [], notifications: [] });
    },
  );
});

describe('ExceptionCase: routing', () => {
  it.each([
    ['no owner or backup', { ...route, owner: null, ownerSource: 'unowned', backup: null }, 'dana'],
    ['no owner, backup or chain', { ...route, owner: null, ownerSource: 'unowned', backup: null, escalation: [] }, 'grace'],
    ['nobody at all', { owner: null, ownerSource: 'unowned', backup: null, escalation: [], managerOfOwner: null, matrixVersion: 1 }, null],
  ] as Array<[string, Route, string | null]>)('surfacing with %s escalates at once (to %s)', (_what, r, target) => {
    const c = new ExceptionCase(input(), T0);
    c.surface(r, T0);
    const { events, notifications } = c.drain();
    expect(events.map((e) => e.action)).toEqual(['surfaced', 'escalated']);
    expect(escalations(events)).toEqual([{ kind: 'manual', target, level: '0→1', dueAt: iso(0) }]);
    expect(events[1]!.reason).toBe('no active owner or backup in the matrix; escalated by hand, step 1 of 3');
    expect(notifications).toEqual(target ? [expect.objectContaining({ person: target, kind: 'escalated', level: 1 })] : []);
  });

  it('surfacing to an owner assigns without escalating', () => {
    const c = new ExceptionCase(input(), T0);
    c.surface(route, T0);
    expect(c.drain().notifications).toEqual([expect.objectContaining({ person: 'priya', kind: 'assigned', level: 0 })]);
    expect(c.state.escalationLevel).toBe(0);
  });

  const moved: Route = { ...route, owner: 'zoe', matrixVersion: 2 };
  it.each([
    // The hand-picked owner stays; the new route (whom it escalates to) is recorded, with nobody notified.
    ['a hand reassignment while that owner is active', true, true, 'omar', 'reassigned', ['route-refreshed'], false],
    ['a hand reassignment once that owner is gone', true, false, 'zoe', 'owner', ['owner-changed'], true],
    ['a matrix owner', false, true, 'zoe', 'owner', ['owner-changed'], true],
  ] as const)('a reroute over %s', (_what, reassigned, active, owner, ownerSource, recorded, notified) => {
    const c = surfaced();
    if (reassigned) c.reassign(priya, 'omar', 'knows this supplier', at(1));
    c.drain();
    c.reroute(moved, active, 'grace', 'matrix changed', at(2));
    const { events, notifications } = c.drain();
    expect(events.map((e) => e.action)).toEqual(recorded);
    expect(c.state).toMatchObject({ owner, ownerSource, route: moved });
    expect(notifications.map((n) => [n.person, n.kind])).toEqual(notified ? [['zoe', 'assigned']] : []);
  });

  it('a reroute to nobody escalates at once', () => {
    const c = surfaced();
    c.reroute({ ...route, owner: null, ownerSource: 'unowned', backup: null }, true, 'grace', 'priya departed', at(1));
    expect(escalations(c.drain().events)).toEqual([{ kind: 'manual', target: 'dana', level: '0→1', dueAt: iso(1) }]);
  });
});

describe('ExceptionCase: bounded state and digests', () => {
  it(`keeps the last ${RECENT_ESCALATIONS} escalations while escalationCount counts all`, () => {
    const c = surfaced();
    for (let i = 1; i <= RECENT_ESCALATIONS + 3; i++) c.escalateByHand(priya, `nudge ${i}`, at(i));
    expect(c.state.escalations).toHaveLength(RECENT_ESCALATIONS);
    expect(c.state.escalations.map((e) => e.level)).toEqual([4, 5, 6, 7, 8]);
    expect(c.state).toMatchObject({ escalationCount: RECENT_ESCALATIONS + 3, handEscalations: RECENT_ESCALATIONS + 3, escalationLevel: 8 });
    expect(c.drain().events.filter((e) => e.action === 'escalated')).toHaveLength(RECENT_ESCALATIONS + 3);
  });

  /** A day in the life: each step changes the event digest, and notifying steps the notice digest. */
  function script(c: ExceptionCase, claimAt = 4) {
    const steps: Array<() => void> = [
      () => c.tick(at(3)),
      () => c.claim(olivia, at(claimAt)),
      () => c.comment(olivia, 'on it', at(5)),
      () => c.reassign(priya, 'omar', 'knows this supplier', at(6)),
      () => c.snooze(priya, at(9), null, at(7)),
      () => c.tick(at(9)),
      () => c.resolve(olivia, 'fixed', null, null, at(10)),
    ];
    return steps.map((step) => {
      step();
      const { events, notifications } = c.drain();
      return { events, notifications, eventDigest: c.state.eventDigest, noticeDigest: c.state.noticeDigest };
    });
  }

  it('digests change with each event and notification, chain over what was drained, and are equal for identical sequences', () => {
    const a = surfaced();
    const first = { event: a.state.eventDigest, notice: a.state.noticeDigest };
    const trail = script(a);
    const eventDigests = [first.event, ...trail.map((t) => t.eventDigest)];
    expect(new Set(eventDigests).size).toBe(eventDigests.length);
    trail.forEach((t, i) => {
      const before = i === 0 ? first.notice : trail[i - 1]!.noticeDigest;
      expect(t.noticeDigest !== before).toBe(t.notifications.length > 0);
    });
    // What ledger:verify does: recompute the chain from the recorded rows.
    const replayed = new ExceptionCase(input(), T0);
    replayed.surface(route, T0);
    const all = [...replayed.drain().events, ...trail.flatMap((t) => t.events)];
    expect(all.reduce((d, e) => eventDigest(d, e), '')).toBe(a.state.eventDigest);
    const b = surfaced();
    expect(script(b).map((t) => [t.eventDigest, t.noticeDigest])).toEqual(trail.map((t) => [t.eventDigest, t.noticeDigest]));
    const c = surfaced();
    expect(script(c, 4.5).at(-1)!.eventDigest).not.toBe(a.state.eventDigest);
    expect(replayed.state.noticeDigest).toBe(noticeDigest('', { seq: 1, person: 'priya', kind: 'assigned', level: 0 }));
  });
});
