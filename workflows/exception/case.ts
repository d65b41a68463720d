import { addWorkingTime, carryDeadline, type WorkCalendar } from '../../domain/rules/calendar.js';
import { durationMs } from '../../domain/rules/duration.js';
import {
  escalationReason,
  escalationTarget,
  isClosed,
  type Actor,
  type BreachKind,
  type Route,
} from '../../domain/rules/exception.js';
import { eventDigest, noticeDigest } from '../../domain/rules/digest.js';
import {
  RECENT_ESCALATIONS,
  type ExceptionEvent,
  type ExceptionState,
  type Notification,
  type WaitingReason,
} from '../../domain/rules/exception-model.js';
import type { ExceptionInput } from './messages.js';
import * as sla from './sla.js';

const SYSTEM = 'system';

/**
 * One exception's state and rules, free of Temporal: the workflow feeds it messages and the clock,
 * and records what it drains. Times are epoch milliseconds.
 */
export class ExceptionCase {
  readonly state: ExceptionState;
  private events: ExceptionEvent[] = [];
  private notifications: Notification[] = [];
  /** How sla.ts (warnings, waiting, calendar changes) records into this case. */
  private readonly recorder: sla.Recorder = {
    record: (...args) => this.record(...args),
    notify: (...args) => this.notify(...args),
  };

  /**
   * `clocksWaitForResume` says whether a clock set during a snooze (a claim's lease, a released
   * exception's claim window) starts when the snooze ends; histories from before 'snooze-clocks' let
   * it run from the moment it was set and then shifted it by the whole pause. Asked only then.
   */
  constructor(
    input: ExceptionInput,
    now: number,
    private readonly clocksWaitForResume: () => boolean = () => true,
    private readonly recordRouteRefresh: () => boolean = () => true,
  ) {
    const { intakeId: _intakeId, carried, payload: _payload, continueAsNewAfter: _every, pendingReroute: _reroute, ...facts } = input;
    // Every clock counts working time in the exception's calendar; without one (24x7) this is `now + duration`.
    const cal = input.calendar ?? null;
    this.state = carried ? fromCarried(carried) : {
      ...facts,
      status: 'open',
      route: null,
      owner: null,
      ownerSource: 'unowned',
      claimant: null,
      claimedAt: null,
      escalationLevel: 0,
      escalations: [],
      escalationCount: 0,
      handEscalations: 0,
      commentCount: 0,
      breaches: [],
      claimBy: addWorkingTime(cal, now, durationMs(input.policy.claimWithin)),
      resolveBy: addWorkingTime(cal, now, durationMs(input.policy.resolveWithin)),
      leaseUntil: null,
      snoozedUntil: null,
      snoozedAt: null,
      resolution: null,
      dismissal: null,
      createdAt: now,
      updatedAt: now,
      seq: 0,
      eventDigest: '',
      noticeDigest: '',
      digestFrom: 0,
    };
    // Only exceptions raised with warning thresholds carry the list: older states stay as they were.
    if (!carried && input.policy.warnAt) {
      this.state.warnings = [...sla.warningsFor(this.state, 'claim', now, input.policy.claimWithin), ...sla.warningsFor(this.state, 'resolve', now, input.policy.resolveWithin)];
    }
  }

  /** The calendar the clocks count in; null is 24x7. */
  private get cal(): WorkCalendar | null {
    return this.state.calendar ?? null;
  }

  get surfaced(): boolean {
    return this.state.route !== null;
  }

  /** Hands over what happened since the last drain, for the ledger and notifications. */
  drain(): { events: ExceptionEvent[]; notifications: Notification[] } {
    const drained = { events: this.events, notifications: this.notifications };
    this.events = [];
    this.notifications = [];
    return drained;
  }

  surface(route: Route, now: number): void {
    const s = this.state;
    s.route = route;
    s.owner = route.owner;
    s.ownerSource = route.ownerSource;
    this.record(now, s.raisedBy, 'surfaced', null, 'open', null, { owner: route.owner, ownerSource: route.ownerSource, matrixVersion: route.matrixVersion });
    if (route.owner) {
      this.notify(route.owner, 'assigned', `assigned to you as ${route.ownerSource} of ${s.area} in ${s.region}`, now);
    } else {
      // Never dropped: an exception nobody owns escalates at once along the chain or to a manager.
      this.escalate(now, 'manual', 'no active owner or backup in the matrix', SYSTEM);
    }
  }

  /** A claim by the claimant renews the lease; `recordRenewal` records it (histories before 'record-renewals' did not). */
  claim(actor: Actor, now: number, recordRenewal = true): void {
    const s = this.state;
    if (s.claimant === actor.id) {
      this.progress(now);
      if (recordRenewal) this.record(now, actor.id, 'claim-renewed', null, null, null, { leaseUntil: new Date(s.leaseUntil!).toISOString() });
      return;
    }
    s.status = 'claimed';
    s.claimant = actor.id;
    s.claimedAt = now;
    s.leaseUntil = addWorkingTime(this.cal, this.clockStart(now), durationMs(s.policy.claimLease));
    s.breaches = s.breaches.filter((b) => b.kind !== 'claim');
    if (s.warnings) s.warnings = s.warnings.filter((w) => w.kind !== 'claim');
    this.record(now, actor.id, 'claimed', 'open', 'claimed', null);
  }

  release(actor: Actor, reason: string | null, now: number): void {
    this.returnToQueue(now);
    this.record(now, actor.id, 'released', 'claimed', 'open', reason);
  }

  reassign(actor: Actor, to: string, reason: string, now: number): void {
    const s = this.state;
    const from = s.owner;
    s.owner = to;
    s.ownerSource = 'reassigned';
    this.record(now, actor.id, 'reassigned', from, to, reason);
    this.notify(to, 'reassigned', `reassigned to you by ${actor.id}: ${reason}`, now);
  }

  /** A quantity is recorded only when given, so a resolution without one is recorded as it always was. */
  resolve(actor: Actor, code: string, note: string | null, valueEvent: string | null, now: number, quantity: number | null = null): void {
    const s = this.state;
    const from = s.status;
    const worth = quantity === null ? {} : { quantity };
    s.status = 'resolved';
    s.resolution = { code, note, valueEvent, ...worth, by: actor.id, at: now };
    this.closeClocks();
    this.record(now, actor.id, 'resolved', from, 'resolved', note, { code, valueEvent, ...worth });
  }

  dismiss(actor: Actor, reason: string, now: number): void {
    const s = this.state;
    const from = s.status;
    s.status = 'dismissed';
    s.dismissal = { reason, by: actor.id, at: now };
    this.closeClocks();
    this.record(now, actor.id, 'dismissed', from, 'dismissed', reason);
  }

  /** The text lives in the ledger's timeline only: the workflow counts comments, it does not keep them. */
  comment(actor: Actor, text: string, now: number): void {
    this.state.commentCount += 1;
    if (this.state.claimant === actor.id) this.progress(now);
    this.record(now, actor.id, 'commented', null, null, text);
  }

  snooze(actor: Actor, until: number, reason: string | null, now: number): void {
    const s = this.state;
    if (s.snoozedUntil === null) s.snoozedAt = now;
    s.snoozedUntil = until;
    this.record(now, actor.id, 'snoozed', null, new Date(until).toISOString(), reason);
  }

  escalateByHand(actor: Actor, reason: string, now: number): void {
    this.state.handEscalations += 1;
    this.escalate(now, 'manual', reason, actor.id);
  }

  /**
   * The matrix or the directory changed: follow the matrix's current owner, except that a hand
   * reassignment stands while that person can still act.
   */
  reroute(route: Route, currentOwnerActive: boolean, actor: string, reason: string, now: number): void {
    const s = this.state;
    const before = s.route;
    s.route = route;
    if (isClosed(s.status)) return;
    const keepManualOwner = s.ownerSource === 'reassigned' && currentOwnerActive;
    if (keepManualOwner || s.owner === route.owner) {
      if (!keepManualOwner) s.ownerSource = route.ownerSource;
      // The owner stays, but whom it escalates to (backup, chain, manager) may have changed: recorded, so
      // the ledger's copy of the route never lags the workflow's.
      if (!sameRoute(before, route) && this.recordRouteRefresh()) {
        this.record(now, actor, 'route-refreshed', before ? `matrix v${before.matrixVersion}` : null, `matrix v${route.matrixVersion}`, reason, {
          backup: route.backup,
          escalation: route.escalation,
          managerOfOwner: route.managerOfOwner,
        });
      }
      return;
    }
    const from = s.owner;
    s.owner = route.owner;
    s.ownerSource = route.ownerSource;
    this.record(now, actor, 'owner-changed', from, route.owner, reason);
    if (route.owner) this.notify(route.owner, 'assigned', `now yours: ${reason}`, now);
    else this.escalate(now, 'manual', `no active owner after ${reason}`, actor);
  }

  releaseClaimOf(person: string, actor: string, reason: string, now: number): void {
    if (this.state.claimant !== person || this.state.status !== 'claimed') return;
    this.returnToQueue(now);
    this.record(now, actor, 'released', 'claimed', 'open', reason);
  }

  /** Applies every deadline that has fallen due by `now`. */
  tick(now: number): void {
    const s = this.state;
    if (isClosed(s.status)) return;
    if (s.snoozedUntil !== null) {
      if (now < s.snoozedUntil) return;
      this.endSnooze(s.snoozedUntil);
    }
    if (s.status === 'open' && now >= s.claimBy && !s.breaches.some((b) => b.kind === 'claim')) {
      s.breaches.push({ kind: 'claim', at: s.claimBy, step: 0, repeats: 0 });
    }
    // Waiting on others pauses the resolve clock and the lease until it resumes (by hand, fresh data or its date).
    if (s.waiting && s.waiting.until !== null && now >= s.waiting.until) this.resume(s.waiting.until, SYSTEM, 'the waiting date came');
    const waiting = !!s.waiting;
    if (!waiting && now >= s.resolveBy && !s.breaches.some((b) => b.kind === 'resolve')) {
      s.breaches.push({ kind: 'resolve', at: s.resolveBy, step: 0, repeats: 0 });
    }
    sla.giveWarnings(s, this.recorder, now);
    if (!waiting && s.status === 'claimed' && s.leaseUntil !== null && now >= s.leaseUntil) {
      const due = s.leaseUntil;
      const claimant = s.claimant;
      this.returnToQueue(now);
      this.record(now, SYSTEM, 'lease-expired', 'claimed', 'open', `${claimant} made no progress for ${s.policy.claimLease}`);
      this.escalate(now, 'lease', `claim lease of ${claimant} expired`, SYSTEM, due);
    }
    const steps = s.policy.escalation;
    for (const breach of s.breaches) {
      if (waiting && breach.kind === 'resolve') continue;
      for (let due = this.stepDue(breach); due !== null && now >= due; due = this.stepDue(breach)) {
        if (breach.step < steps.length) {
          const step = steps[breach.step]!;
          breach.step += 1;
          this.escalateTo(escalationTarget(step, s.route ?? emptyRoute), now, due, breach.kind, escalationReason(breach.kind, breach.step, steps.length, now - breach.at), SYSTEM, true);
        } else {
          breach.repeats += 1;
          const last = steps[steps.length - 1]!;
          this.escalateTo(escalationTarget(last, s.route ?? emptyRoute), now, due, breach.kind, `${breach.kind} SLA still lapsed: reminder ${breach.repeats} of ${s.policy.repeat?.times}`, SYSTEM, false);
        }
      }
    }
  }

  /**
   * When the workflow must next look at its clocks; null when nothing is pending. A lapsed SLA only
   * opens a breach, which records nothing until its first escalation step falls due, so with
   * `skipSilentWakes` the workflow sleeps straight to that step: one timer, and its lateness paid once.
   */
  nextWakeAt(skipSilentWakes: boolean): number | null {
    const s = this.state;
    if (isClosed(s.status)) return null;
    if (s.snoozedUntil !== null) return s.snoozedUntil;
    // The first escalation step after a lapse, counted in the calendar (24x7: lapse + after).
    const lapse = (deadline: number) => (skipSilentWakes ? (this.stepDue({ at: deadline, step: 0, repeats: 0 }) ?? deadline) : deadline);
    const waiting = !!s.waiting;
    const times: number[] = [];
    if (s.status === 'open' && !s.breaches.some((b) => b.kind === 'claim')) times.push(lapse(s.claimBy));
    if (!waiting && !s.breaches.some((b) => b.kind === 'resolve')) times.push(lapse(s.resolveBy));
    if (!waiting && s.status === 'claimed' && s.leaseUntil !== null) times.push(s.leaseUntil);
    if (s.waiting && s.waiting.until !== null) times.push(s.waiting.until);
    for (const w of s.warnings ?? []) if (!(waiting && w.kind === 'resolve')) times.push(w.at);
    for (const breach of s.breaches) {
      if (waiting && breach.kind === 'resolve') continue;
      const due = this.stepDue(breach);
      if (due !== null) times.push(due);
    }
    return times.length ? Math.min(...times) : null;
  }

  private stepDue(breach: { at: number; step: number; repeats: number }): number | null {
    const steps = this.state.policy.escalation;
    if (breach.step < steps.length) return addWorkingTime(this.cal, breach.at, durationMs(steps[breach.step]!.after));
    const repeat = this.state.policy.repeat;
    if (!repeat || breach.repeats >= repeat.times) return null;
    return addWorkingTime(this.cal, breach.at, durationMs(steps[steps.length - 1]!.after) + durationMs(repeat.every) * (breach.repeats + 1));
  }

  private escalate(now: number, kind: BreachKind, reason: string, actor: string, dueAt = now): void {
    const steps = this.state.policy.escalation;
    const index = Math.min(this.state.escalationLevel, steps.length - 1);
    const target = escalationTarget(steps[index]!, this.state.route ?? emptyRoute);
    this.escalateTo(target, now, dueAt, kind, `${reason}; ${escalationReason(kind, index + 1, steps.length, now - dueAt)}`, actor, true);
  }

  private escalateTo(target: string | null, now: number, dueAt: number, kind: string, reason: string, actor: string, raise: boolean): void {
    const s = this.state;
    if (raise) s.escalationLevel += 1;
    s.escalations.push({ level: s.escalationLevel, at: now, target, reason, kind, dueAt });
    if (s.escalations.length > RECENT_ESCALATIONS) s.escalations.splice(0, s.escalations.length - RECENT_ESCALATIONS);
    s.escalationCount += 1;
    this.record(now, actor, 'escalated', String(s.escalationLevel - (raise ? 1 : 0)), String(s.escalationLevel), reason, { target, kind, dueAt: new Date(dueAt).toISOString() });
    if (target) this.notify(target, 'escalated', reason, now);
  }

  private returnToQueue(now: number): void {
    const s = this.state;
    s.status = 'open';
    s.claimant = null;
    s.claimedAt = null;
    s.leaseUntil = null;
    // A released exception gets a fresh claim window (and its warnings); the resolve clock keeps running.
    if (s.waiting) this.resume(now, SYSTEM, 'returned to the queue');
    const start = this.clockStart(now);
    s.claimBy = addWorkingTime(this.cal, start, durationMs(s.policy.claimWithin));
    s.breaches = s.breaches.filter((b) => b.kind !== 'claim');
    if (s.warnings) s.warnings = [...sla.warningsFor(s, 'claim', start, s.policy.claimWithin), ...s.warnings.filter((w) => w.kind !== 'claim')];
  }

  private progress(now: number): void {
    this.state.leaseUntil = addWorkingTime(this.cal, this.clockStart(now), durationMs(this.state.policy.claimLease));
  }

  /**
   * Where a clock set now starts. While snoozed, time is paused: the snooze's end shifts every clock
   * by the whole pause, so a clock set during it starts at the snooze's start and ends up running
   * from its end.
   */
  private clockStart(now: number): number {
    const { snoozedAt, snoozedUntil } = this.state;
    if (snoozedUntil === null || snoozedAt === null || now >= snoozedUntil) return now;
    return this.clocksWaitForResume() ? snoozedAt : now;
  }

  private endSnooze(at: number): void {
    const s = this.state;
    const from = s.snoozedAt ?? at;
    const paused = at - from;
    // Each clock keeps the working time it had left (24x7: shifted by the whole pause).
    const cal = this.cal;
    s.claimBy = carryDeadline(cal, cal, s.claimBy, from, at);
    s.resolveBy = carryDeadline(cal, cal, s.resolveBy, from, at);
    if (s.leaseUntil !== null) s.leaseUntil = carryDeadline(cal, cal, s.leaseUntil, from, at);
    for (const w of s.warnings ?? []) w.at = carryDeadline(cal, cal, w.at, from, at);
    for (const breach of s.breaches) breach.at = sla.shiftBreach(cal, breach.at, from, at);
    s.snoozedUntil = null;
    s.snoozedAt = null;
    this.record(at, SYSTEM, 'snooze-ended', null, null, `clocks resumed after ${Math.round(paused / 1000)}s`);
  }

  private closeClocks(): void {
    const s = this.state;
    s.leaseUntil = null;
    s.breaches = [];
    s.snoozedUntil = null;
    s.snoozedAt = null;
    if (s.warnings) s.warnings = [];
    if (s.waiting) s.waiting = null;
  }

  wait(actor: Actor, reason: WaitingReason, note: string | null, until: number | null, now: number): void {
    sla.startWaiting(this.state, this.recorder, actor, reason, note, until, now);
  }

  resume(at: number, actor: string, how: string): void {
    sla.resumeWaiting(this.state, this.recorder, at, actor, how);
  }

  /** A later intake with other data than the one that raised (or last resumed) it: fresh data resumes a wait. */
  freshData(digest: string, now: number): void {
    const s = this.state;
    // Changes nothing unless it resumes, so a duplicate intake records nothing (and older exceptions have no digest).
    if (!s.waiting || s.dataDigest === undefined || s.dataDigest === digest) return;
    s.dataDigest = digest;
    this.resume(now, SYSTEM, 'a new intake brought fresh data');
  }

  changeCalendar(next: WorkCalendar | null, actor: string, reason: string, now: number): void {
    sla.changeCalendar(this.state, this.recorder, next, actor, reason, now);
  }

  private record(at: number, actor: string, action: string, from: string | null, to: string | null, reason: string | null, detail?: Record<string, unknown>): void {
    const s = this.state;
    s.seq += 1;
    s.updatedAt = at;
    const event: ExceptionEvent = { seq: s.seq, at, actor, action, from, to, reason, ...(detail ? { detail } : {}) };
    s.eventDigest = eventDigest(s.eventDigest, event);
    this.events.push(event);
  }

  private notify(person: string, kind: Notification['kind'], reason: string, at: number): void {
    const n: Notification = { seq: this.state.seq, person, kind, level: this.state.escalationLevel, reason, at };
    this.state.noticeDigest = noticeDigest(this.state.noticeDigest, n);
    this.notifications.push(n);
  }
}

/**
 * A run continued from before 'fenced-ledger' carried the payload, every comment and every escalation;
 * keep what the rules need, and digest only what is recorded from here on.
 */
function fromCarried(carried: ExceptionState): ExceptionState {
  const old = carried as ExceptionState & { payload?: unknown; comments?: unknown[] };
  const { payload: _payload, comments, ...rest } = old;
  if (rest.digestFrom !== undefined) return rest;
  return {
    ...rest,
    escalations: rest.escalations.slice(-RECENT_ESCALATIONS),
    escalationCount: rest.escalationCount ?? rest.escalations.length,
    handEscalations: rest.handEscalations ?? rest.escalations.filter((e) => e.kind === 'manual').length,
    commentCount: rest.commentCount ?? comments?.length ?? 0,
    eventDigest: '',
    noticeDigest: '',
    digestFrom: rest.seq,
  };
}

function sameRoute(a: Route | null, b: Route): boolean {
  return (
    a !== null &&
    a.owner === b.owner &&
    a.ownerSource === b.ownerSource &&
    a.backup === b.backup &&
    a.managerOfOwner === b.managerOfOwner &&
    a.matrixVersion === b.matrixVersion &&
    a.escalation.join('\u0000') === b.escalation.join('\u0000')
  );
}

const emptyRoute: Route = { owner: null, ownerSource: 'unowned', backup: null, escalation: [], managerOfOwner: null, matrixVersion: 0 };
