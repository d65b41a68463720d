import { addWorkingTime, carryDeadline, workingTimeBetween, type WorkCalendar } from '../../domain/rules/calendar.js';
import { durationMs } from '../../domain/rules/duration.js';
import { isClosed, type Actor } from '../../domain/rules/exception.js';
import type { ExceptionState, Notification, PendingWarning, WaitingReason } from '../../domain/rules/exception-model.js';

/**
 * The SLA clock's warnings and pauses, on ExceptionCase's state: early warnings, waiting on others, and a
 * region's calendar change. Pure like the case itself; it records through the case's own recorder.
 */
export interface Recorder {
  record(at: number, actor: string, action: string, from: string | null, to: string | null, reason: string | null, detail?: Record<string, unknown>): void;
  notify(person: string, kind: Notification['kind'], reason: string, at: number): void;
}

const SYSTEM = 'system';
const calendarOf = (s: ExceptionState): WorkCalendar | null => s.calendar ?? null;

/**
 * A lapsed SLA's escalation steps after a pause: 24x7 shifts the lapse by the pause, as snoozes always
 * did; with a calendar the steps count again from the pause's end.
 */
export function shiftBreach(cal: WorkCalendar | null, lapse: number, from: number, to: number): number {
  return cal ? Math.max(lapse, to) : lapse + (to - from);
}

/** The policy's warning thresholds for a window that starts at `from`, in working time. */
export function warningsFor(s: ExceptionState, kind: PendingWarning['kind'], from: number, window: string): PendingWarning[] {
  const ms = durationMs(window);
  return (s.policy.warnAt ?? []).map((pct) => ({ kind, pct, at: addWorkingTime(calendarOf(s), from, Math.round((ms * pct) / 100)) }));
}

/** Each threshold once: recorded in the timeline, and a notice to the claimant, or the owner when unclaimed. */
export function giveWarnings(s: ExceptionState, r: Recorder, now: number): void {
  if (!s.warnings?.length) return;
  const waiting = !!s.waiting;
  const due = s.warnings.filter((w) => now >= w.at && !(waiting && w.kind === 'resolve') && !(w.kind === 'claim' && s.status !== 'open'));
  if (!due.length) return;
  s.warnings = s.warnings.filter((w) => !due.includes(w));
  for (const w of due) {
    const deadline = w.kind === 'claim' ? s.claimBy : s.resolveBy;
    const left = workingTimeBetween(calendarOf(s), now, deadline);
    const reason = `${w.pct}% of the ${w.kind} window used; ${Math.max(0, Math.round(left / 60_000))} working minutes left`;
    r.record(now, SYSTEM, 'warning', null, `${w.kind} ${w.pct}%`, reason, { kind: w.kind, pct: w.pct, dueAt: new Date(deadline).toISOString() });
    const person = s.claimant ?? s.owner;
    if (person) r.notify(person, 'warning', reason, now);
  }
}

/** Waiting on others (a supplier, an upstream data fix, another team): the resolve clock and the lease pause. */
export function startWaiting(s: ExceptionState, r: Recorder, actor: Actor, reason: WaitingReason, note: string | null, until: number | null, now: number): void {
  s.waiting = { reason, note, until, since: now, by: actor.id };
  r.record(now, actor.id, 'waiting', null, reason, note, { until: until === null ? null : new Date(until).toISOString() });
}

/** Ends a wait: the paused clocks keep the working time they had left, counted again from `at`. */
export function resumeWaiting(s: ExceptionState, r: Recorder, at: number, actor: string, how: string): void {
  const w = s.waiting;
  if (!w) return;
  const cal = calendarOf(s);
  s.resolveBy = carryDeadline(cal, cal, s.resolveBy, w.since, at);
  if (s.leaseUntil !== null) s.leaseUntil = carryDeadline(cal, cal, s.leaseUntil, w.since, at);
  for (const warning of s.warnings ?? []) if (warning.kind === 'resolve') warning.at = carryDeadline(cal, cal, warning.at, w.since, at);
  for (const breach of s.breaches) if (breach.kind === 'resolve') breach.at = shiftBreach(cal, breach.at, w.since, at);
  s.pausedMs = (s.pausedMs ?? 0) + (at - w.since);
  s.waiting = null;
  r.record(at, actor, 'resumed', w.reason, null, how, {
    pausedMs: at - w.since,
    workingPausedMs: workingTimeBetween(cal, w.since, at),
    resolveBy: new Date(s.resolveBy).toISOString(),
  });
}

/**
 * The region's calendar changed: from now on every clock counts in the new one, each keeping the
 * working time it had left (a paused clock, from where it paused). A severity on 24x7 keeps wall time.
 */
export function changeCalendar(s: ExceptionState, r: Recorder, next: WorkCalendar | null, actor: string, reason: string, now: number): void {
  if (isClosed(s.status)) return;
  const before = calendarOf(s);
  const after = s.policy.calendar === '24x7' ? null : next;
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  const at = s.snoozedAt ?? now;
  const resolveAt = s.waiting ? Math.min(s.waiting.since, at) : at;
  const carry = (deadline: number, from: number) => carryDeadline(before, after, deadline, from);
  s.claimBy = carry(s.claimBy, at);
  s.resolveBy = carry(s.resolveBy, resolveAt);
  if (s.leaseUntil !== null) s.leaseUntil = carry(s.leaseUntil, resolveAt);
  for (const w of s.warnings ?? []) w.at = carry(w.at, w.kind === 'resolve' ? resolveAt : at);
  s.calendar = after;
  const name = (c: WorkCalendar | null) => (c ? `business hours (${c.timeZone})` : '24x7');
  r.record(now, actor, 'calendar-changed', name(before), name(after), reason, {
    claimBy: new Date(s.claimBy).toISOString(),
    resolveBy: new Date(s.resolveBy).toISOString(),
  });
}
