import { describe, expect, it } from 'vitest';
import type { SlaPolicy } from '../../domain/capability.js';
import { workCalendar } from '../../domain/rules/calendar.js';
import { ExceptionCase } from '../../workflows/exception/case.js';
import { exceptionInput, testRoute } from '../exception-input.js';

/** The exception's clocks on a business calendar, warnings and waiting, without Temporal (fixed clock). */
const emea = workCalendar('Europe/Berlin', { workdays: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: { start: '08:00', end: '18:00' } });
// templates/po-assist.yaml's high severity.
const high: SlaPolicy = {
  claimWithin: '1h',
  resolveWithin: '1d',
  claimLease: '2h',
  escalation: [
    { after: '15m', notify: 'backup' },
    { after: '1h', notify: 'escalation[0]' },
    { after: '4h', notify: 'manager-of-owner' },
  ],
  repeat: { every: '2h', times: 6 },
  warnAt: [50, 75],
};
const t = (s: string) => Date.parse(s);
const olivia = { id: 'olivia', roles: ['operator' as const] };

function raised(at: string, policy: SlaPolicy = high, calendar = emea): ExceptionCase {
  const c = new ExceptionCase({ ...exceptionInput(policy), calendar }, t(at));
  c.surface(testRoute, t(at));
  c.drain();
  return c;
}

/** Runs the workflow's loop by hand: wake at each next time until `until`, collecting what was recorded. */
function runUntil(c: ExceptionCase, until: number) {
  const events = [];
  const notifications = [];
  for (let at = c.nextWakeAt(true); at !== null && at <= until; at = c.nextWakeAt(true)) {
    c.tick(at);
    const drained = c.drain();
    events.push(...drained.events);
    notifications.push(...drained.notifications);
  }
  return { events, notifications };
}

describe('the Friday 17:55 EMEA case (high: claim within 1h, resolve within 1d, 08:00–18:00)', () => {
  it('warns and escalates on Monday morning, not over the weekend', () => {
    const c = raised('2026-11-27T17:55:00+01:00');
    expect(c.state.claimBy).toBe(t('2026-11-30T08:55:00+01:00'));
    expect(c.state.resolveBy).toBe(t('2026-12-02T11:55:00+01:00'));
    const { events, notifications } = runUntil(c, t('2026-11-30T12:00:00+01:00'));
    const escalated = events.filter((e) => e.action === 'escalated');
    expect(escalated.map((e) => new Date(e.at).toISOString())).toEqual([
      new Date(t('2026-11-30T09:10:00+01:00')).toISOString(),
      new Date(t('2026-11-30T09:55:00+01:00')).toISOString(),
    ]);
    // 50 % of the 1h claim window: 5 min on Friday + 25 min on Monday; 75 %: Monday 08:40. Each once, to the owner.
    const warnings = events.filter((e) => e.action === 'warning');
    expect(warnings.map((e) => [e.to, new Date(e.at).toISOString()])).toEqual([
      ['claim 50%', new Date(t('2026-11-30T08:25:00+01:00')).toISOString()],
      ['claim 75%', new Date(t('2026-11-30T08:40:00+01:00')).toISOString()],
    ]);
    expect(notifications.filter((n) => n.kind === 'warning').map((n) => n.person)).toEqual(['priya', 'priya']);
  });

  it('a severity on 24x7 keeps wall time', () => {
    const c = raised('2026-11-27T17:55:00+01:00', { ...high, calendar: '24x7' }, workCalendar('Europe/Berlin', { workdays: ['mon'] }, '24x7'));
    expect(c.state.claimBy).toBe(t('2026-11-27T18:55:00+01:00'));
  });
});

describe('waiting on others', () => {
  it('pauses the resolve clock and resumes by itself at its date, keeping the working time left', () => {
    const c = raised('2026-12-01T09:00:00+01:00');
    c.claim(olivia, t('2026-12-01T09:05:00+01:00'));
    c.wait(olivia, 'supplier', 'new price list', t('2026-12-03T12:00:00+01:00'), t('2026-12-01T10:00:00+01:00'));
    c.drain();
    // resolve-by was Wednesday 13:00 (24 working hours from Tuesday 09:00): 23 h were left when it started waiting.
    expect(c.state.resolveBy).toBe(t('2026-12-03T13:00:00+01:00'));
    const { events } = runUntil(c, t('2026-12-03T12:00:00+01:00'));
    expect(events.filter((e) => e.action === 'escalated' || e.to?.startsWith('resolve'))).toEqual([]);
    expect(events.find((e) => e.action === 'resumed')).toMatchObject({ actor: 'system', reason: 'the waiting date came' });
    // 23 working hours from Thursday 12:00: 6 h Thu, 10 h Fri, 7 h Mon → Monday 15:00.
    expect(c.state.resolveBy).toBe(t('2026-12-07T15:00:00+01:00'));
    expect(c.state.pausedMs).toBe(t('2026-12-03T12:00:00+01:00') - t('2026-12-01T10:00:00+01:00'));
  });
});

describe('a calendar change', () => {
  it('moves open clocks into the new calendar, keeping their working time left, and records it', () => {
    const c = raised('2026-12-01T09:00:00+01:00');
    const later = workCalendar('Europe/Berlin', { workdays: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: { start: '08:00', end: '18:00' }, holidays: ['2026-12-01'] });
    c.changeCalendar(later, 'root', 'holiday added', t('2026-12-01T09:30:00+01:00'));
    // 30 min of the claim window were left: they count from Wednesday 08:00 now that Tuesday is a holiday.
    expect(c.state.claimBy).toBe(t('2026-12-02T08:30:00+01:00'));
    expect(c.drain().events.map((e) => e.action)).toEqual(['calendar-changed']);
    c.changeCalendar(later, 'root', 'same again', t('2026-12-01T09:31:00+01:00'));
    expect(c.drain().events).toEqual([]);
  });
});
