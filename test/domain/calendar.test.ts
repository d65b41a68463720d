import { describe, expect, it } from 'vitest';
import { validateTemplate } from '../../domain/capability.js';
import { addWorkingTime, carryDeadline, workCalendar, workingTimeBetween, type WorkCalendar } from '../../domain/rules/calendar.js';
import { durationMs } from '../../domain/rules/duration.js';
import { parseTemplate } from '../../domain/capability.js';
import { readFileSync } from 'node:fs';

const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'];
/** EMEA: Europe/Berlin, Monday to Friday 08:00–18:00 (CET in winter, CEST in summer). */
const emea = workCalendar('Europe/Berlin', { workdays: weekdays, hours: { start: '08:00', end: '18:00' } })!;
const withHolidays = (cal: WorkCalendar, holidays: string[]): WorkCalendar => ({ ...cal, holidays });
const at = (s: string) => Date.parse(s);
const h = (n: number) => n * 3_600_000;
const m = (n: number) => n * 60_000;

describe('addWorkingTime (fixed clock)', () => {
  it.each<[string, WorkCalendar | null, string, number, string]>([
    // The case: high severity raised Friday 17:55 CET; claim within 1h lands Monday 08:55 CET.
    ['Friday 17:55 + 1h claim window → Monday 08:55', emea, '2026-11-27T17:55:00+01:00', h(1), '2026-11-30T08:55:00+01:00'],
    // Its first escalation step (15m after the lapse) is Monday morning, not Friday 19:10.
    ['claim lapse Monday 08:55 + 15m step → Monday 09:10', emea, '2026-11-30T08:55:00+01:00', m(15), '2026-11-30T09:10:00+01:00'],
    // resolve within 1d = 24 working hours: 5m Fri + 10h Mon + 10h Tue + 3h55m Wed.
    ['Friday 17:55 + 1d resolve window → Wednesday 11:55', emea, '2026-11-27T17:55:00+01:00', h(24), '2026-12-02T11:55:00+01:00'],
    ['a Monday holiday moves it to Tuesday', withHolidays(emea, ['2026-11-30']), '2026-11-27T17:55:00+01:00', h(1), '2026-12-01T08:55:00+01:00'],
    // DST: Sunday 29 March 2026 Berlin goes from CET (+1) to CEST (+2); the deadline is 08:55 local either way.
    ['across the spring DST change', emea, '2026-03-27T17:55:00+01:00', h(1), '2026-03-30T08:55:00+02:00'],
    ['across the autumn DST change', emea, '2026-10-23T17:55:00+02:00', h(1), '2026-10-26T08:55:00+01:00'],
    ['raised on Saturday: starts Monday 08:00', emea, '2026-11-28T10:00:00+01:00', h(1), '2026-11-30T09:00:00+01:00'],
    ['raised before opening: starts at 08:00', emea, '2026-12-01T06:30:00+01:00', h(2), '2026-12-01T10:00:00+01:00'],
    ['a deadline at closing time stays there', emea, '2026-12-01T17:30:00+01:00', m(30), '2026-12-01T18:00:00+01:00'],
    ['raised after closing: next morning', emea, '2026-12-01T19:00:00+01:00', m(30), '2026-12-02T08:30:00+01:00'],
    [
      'several spans a day: the lunch break is skipped',
      workCalendar('Europe/Berlin', { workdays: weekdays, hours: [{ start: '08:00', end: '12:00' }, { start: '13:00', end: '17:00' }] }),
      '2026-12-01T11:30:00+01:00',
      h(1),
      '2026-12-01T13:30:00+01:00',
    ],
    ['24x7 (no calendar) is wall time', null, '2026-11-27T17:55:00+01:00', h(1), '2026-11-27T18:55:00+01:00'],
    [
      'an all-day calendar counts real hours across a 23-hour day',
      workCalendar('Europe/Berlin', { workdays: ['sat', 'sun'] }),
      '2026-03-28T12:00:00+01:00',
      h(24),
      '2026-03-29T13:00:00+02:00',
    ],
    [
      'America/New_York, with its own DST date (8 March 2026)',
      workCalendar('America/New_York', { workdays: weekdays, hours: { start: '09:00', end: '17:00' } }),
      '2026-03-06T16:30:00-05:00',
      h(1),
      '2026-03-09T09:30:00-04:00',
    ],
  ])('%s', (_name, cal, from, ms, expected) => {
    expect(new Date(addWorkingTime(cal, at(from), ms)).toISOString()).toBe(new Date(at(expected)).toISOString());
  });
});

describe('workingTimeBetween', () => {
  it.each<[string, WorkCalendar | null, string, string, number]>([
    ['Friday 17:55 → Monday 10:00', emea, '2026-11-27T17:55:00+01:00', '2026-11-30T10:00:00+01:00', m(125)],
    ['a weekend has none', emea, '2026-11-28T00:00:00+01:00', '2026-11-30T00:00:00+01:00', 0],
    ['a holiday has none', withHolidays(emea, ['2026-12-25']), '2026-12-25T00:00:00+01:00', '2026-12-26T00:00:00+01:00', 0],
    ['four weeks with a DST change', emea, '2026-03-16T00:00:00+01:00', '2026-04-13T00:00:00+02:00', h(200)],
    ['backwards is 0', emea, '2026-12-02T00:00:00+01:00', '2026-12-01T00:00:00+01:00', 0],
    ['24x7 is wall time', null, '2026-11-27T17:55:00+01:00', '2026-11-27T18:55:00+01:00', h(1)],
  ])('%s', (_name, cal, from, to, expected) => {
    expect(workingTimeBetween(cal, at(from), at(to))).toBe(expected);
  });

  it('inverts addWorkingTime over a 90-day window across holidays and both DST changes', () => {
    const cal = withHolidays(emea, ['2026-04-03', '2026-04-06', '2026-05-01', '2026-05-14', '2026-05-25', '2026-10-03', '2026-12-25', '2026-12-26']);
    for (const from of ['2026-03-20T17:55:00+01:00', '2026-06-13T03:00:00+02:00', '2026-10-20T12:34:56+02:00']) {
      for (const span of [m(1), h(10), durationMs('3d'), durationMs('90d')]) {
        const due = addWorkingTime(cal, at(from), span);
        expect(workingTimeBetween(cal, at(from), due)).toBe(span);
      }
    }
  });
});

describe('carryDeadline', () => {
  it('keeps the working time left across a pause, and is the wall-time shift without a calendar', () => {
    // Paused Friday 17:00 with 1h15m of working time left (due Monday 08:15); resumed Monday 10:00 → due 11:15.
    expect(carryDeadline(emea, emea, at('2026-11-30T08:15:00+01:00'), at('2026-11-27T17:00:00+01:00'), at('2026-11-30T10:00:00+01:00'))).toBe(at('2026-11-30T11:15:00+01:00'));
    expect(carryDeadline(null, null, 5_000, 1_000, 3_000)).toBe(7_000);
  });

  it('moves a deadline into a new calendar, keeping the working time left', () => {
    const later = workCalendar('Europe/Berlin', { workdays: weekdays, hours: { start: '10:00', end: '18:00' } })!;
    // Tuesday 09:00: 2h left under 08–18 (due 11:00); under 10–18 the 2h start at 10:00 → 12:00.
    expect(carryDeadline(emea, later, at('2026-12-01T11:00:00+01:00'), at('2026-12-01T09:00:00+01:00'))).toBe(at('2026-12-01T12:00:00+01:00'));
  });
});

describe('calendars in templates', () => {
  const base = () => parseTemplate(readFileSync('templates/po-assist.yaml', 'utf8'), 'yaml');
  const withCalendar = (businessCalendar: unknown) => {
    const parsed = base();
    if (!parsed.ok) throw new Error('template');
    return validateTemplate({ ...parsed.template, businessCalendar });
  };

  it('refuses a calendar with no working time, naming the path', () => {
    const result = withCalendar({ workdays: weekdays, hours: [] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toContainEqual({ path: 'businessCalendar.hours', message: expect.stringMatching(/no working time/) });
  });

  it('refuses overlapping spans and a bad holiday date', () => {
    const result = withCalendar({ workdays: weekdays, hours: [{ start: '08:00', end: '12:00' }, { start: '11:00', end: '15:00' }], holidays: ['2026-13-01'] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.path).sort()).toEqual(['businessCalendar.holidays.0', 'businessCalendar.hours']);
  });

  it('accepts several spans, seconds and holidays, and a 24x7 opt-out per severity', () => {
    const result = withCalendar({ workdays: weekdays, hours: [{ start: '08:00', end: '12:00' }, { start: '13:00:30', end: '17:00' }], holidays: ['2026-12-25'] });
    expect(result.ok).toBe(true);
    const parsed = base();
    expect(parsed.ok && parsed.template.slaPolicies.critical.calendar).toBe('24x7');
    if (parsed.ok) {
      expect(workCalendar(parsed.template.timeZone, parsed.template.businessCalendar, parsed.template.slaPolicies.critical.calendar)).toBeNull();
      expect(workCalendar(parsed.template.timeZone, parsed.template.businessCalendar, parsed.template.slaPolicies.high.calendar)).toMatchObject({ workdays: [1, 2, 3, 4, 5] });
    }
  });
});
