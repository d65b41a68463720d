import { performance } from 'node:perf_hooks';
import { addWorkingTime, workCalendar, workingTimeBetween, type WorkCalendar } from '../../domain/rules/calendar.js';
import { durationMs } from '../../domain/rules/duration.js';
import { round } from '../stats.js';
import { CALENDAR_CAPABILITY, CALENDAR_OFF_CAPABILITY } from '../world.js';
import { deskLifecycle } from './lifecycle.js';
import { combine, type Ctx, type Throughput } from './shared.js';

// ---------------------------------------------------------------------------------------------
// 9: business calendars: the pure clock computation, and what calendars cost the lifecycle

/** EMEA as the bench's calendar capability has it: Berlin, two spans a day, a year of public holidays. */
export const BENCH_HOLIDAYS = ['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-01', '2026-05-14', '2026-05-25', '2026-10-03', '2026-12-24', '2026-12-25', '2026-12-26', '2026-12-31', '2027-01-01', '2027-03-26', '2027-03-29'];
export const BENCH_CALENDAR = {
  workdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
  hours: [
    { start: '08:00', end: '12:30' },
    { start: '13:30', end: '18:00' },
  ],
  holidays: BENCH_HOLIDAYS,
};

export interface CalendarMicroResult {
  calls: number;
  /** µs per addWorkingTime of a 90-day window (2160 working hours: about ten months of a 45 h week), warm. */
  addUs: number;
  /** µs per workingTimeBetween over the same window. */
  betweenUs: number;
  /** µs per call when the calendar object is new each time (compiled again; the zone's offsets stay cached). */
  freshCalendarUs: number;
  /** The windows crossed at least one DST change and a holiday. */
  crossesDst: boolean;
}

/**
 * Starts spread over a year, each 90-day window crossing both DST changes of Europe/Berlin and the
 * holidays above; what the workflow pays on every clock computation.
 */
export function calendarMicro(calls: number): CalendarMicroResult {
  const cal = workCalendar('Europe/Berlin', BENCH_CALENDAR)!;
  const window = durationMs('90d');
  const starts = Array.from({ length: 97 }, (_, i) => Date.parse('2026-01-05T07:13:00Z') + i * 3.7 * 86_400_000);
  const time = (run: (i: number) => number) => {
    for (let i = 0; i < 2_000; i++) run(i); // warm-up: JIT and the zone's offsets
    let sink = 0;
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) sink += run(i);
    const us = ((performance.now() - t0) * 1000) / calls;
    if (sink === 42) process.stderr.write(''); // keeps the results alive
    return us;
  };
  const ends = starts.map((s) => addWorkingTime(cal, s, window));
  const addUs = time((i) => addWorkingTime(cal, starts[i % starts.length]!, window));
  const betweenUs = time((i) => workingTimeBetween(cal, starts[i % starts.length]!, ends[i % starts.length]!));
  const freshCalendarUs = time((i) => addWorkingTime({ ...cal } as WorkCalendar, starts[i % starts.length]!, window));
  const crossesDst = starts.every((s, i) => ends[i]! - s > window + 150 * 86_400_000);
  return { calls, addUs: round(addUs, 2), betweenUs: round(betweenUs, 2), freshCalendarUs: round(freshCalendarUs, 2), crossesDst };
}

export interface CalendarCostResult {
  on: Throughput;
  off: Throughput;
  /** (off − on) / off in per cent of lifecycle throughput; below zero, calendars on was faster (noise). */
  costPercent: number;
  rounds: { on: number[]; off: number[] };
}

/**
 * The desk lifecycle (intake, claim, resolve, result) on a capability with the EMEA calendar and on
 * one without (24x7), same API, worker and ledger; rounds alternate, and which side goes first alternates.
 */
export async function calendarCost(ctx: Ctx, options: { n: number; concurrency: number; rounds: number }): Promise<CalendarCostResult> {
  const on: Throughput[] = [];
  const off: Throughput[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const size = Math.max(1, Math.floor(options.n / options.rounds));
    const sides: Array<'on' | 'off'> = r % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
    for (const side of sides) {
      const capability = side === 'on' ? CALENDAR_CAPABILITY : CALENDAR_OFF_CAPABILITY;
      const { ids: _ids, ...result } = await deskLifecycle(ctx, `calendar-${side}-${r}`, size, options.concurrency, capability);
      (side === 'on' ? on : off).push(result);
    }
  }
  const a = combine(on);
  const b = combine(off);
  return {
    on: a,
    off: b,
    costPercent: round(((b.perSecond - a.perSecond) / b.perSecond) * 100, 1),
    rounds: { on: on.map((x) => round(x.perSecond)), off: off.map((x) => round(x.perSecond)) },
  };
}
