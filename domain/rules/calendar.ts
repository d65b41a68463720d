/**
 * Business calendars: SLA clocks that count working time in a region's time zone. Pure and
 * replay-safe: the only outside input is `Intl.DateTimeFormat` with an explicit IANA zone (never the
 * host's zone), which the workflow sandbox provides and which answers the same offsets for the same
 * tz data. A null calendar is 24x7: every function then is plain arithmetic, so exceptions raised
 * before calendars (or a severity that opts out) keep their wall-time clocks exactly.
 *
 * Durations count working time literally: `1d` is 24 working hours (2.4 working days at 10 h a day),
 * as service desks count schedule time.
 */

/** A calendar as the workflow carries it (compiled from the template by `workCalendar`). */
export interface WorkCalendar {
  timeZone: string;
  /** 0 = Sunday … 6 = Saturday. */
  workdays: number[];
  /** Working spans of each workday: [start, end) in ms after local midnight, sorted, not overlapping. */
  spans: Array<[number, number]>;
  /** Local dates (YYYY-MM-DD) that are not worked. */
  holidays: string[];
}

/** The most holidays one calendar may list (a workflow carries them). */
export const MAX_HOLIDAYS = 400;
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** How far a walk looks for working time before it gives up (a calendar with none is refused when saved). */
const MAX_SCAN_DAYS = 20 * 366;

/** The template's form: `hours` is one span or several. */
export interface CalendarSource {
  workdays: readonly string[];
  hours?: { start: string; end: string } | ReadonlyArray<{ start: string; end: string }> | undefined;
  holidays?: readonly string[] | undefined;
}

/** `08:00` or `08:00:30` → ms after midnight. */
export function clockMs(time: string): number {
  const [h = 0, m = 0, s = 0] = time.split(':').map(Number);
  return ((h * 60 + m) * 60 + s) * 1000;
}

/** The calendar an exception of a severity runs on: null (24x7) without a business calendar or when the policy opts out. */
export function workCalendar(timeZone: string, source: CalendarSource | undefined, policyCalendar?: string): WorkCalendar | null {
  if (!source || policyCalendar === '24x7') return null;
  const hours = source.hours === undefined ? [{ start: '00:00', end: '24:00' }] : Array.isArray(source.hours) ? source.hours : [source.hours as { start: string; end: string }];
  const spans = hours.map((h): [number, number] => [clockMs(h.start), clockMs(h.end)]).sort((a, b) => a[0] - b[0]);
  return {
    timeZone,
    workdays: WEEKDAYS.flatMap((d, i) => (source.workdays.includes(d) ? [i] : [])),
    spans,
    holidays: [...(source.holidays ?? [])].sort(),
  };
}

/** True when the calendar has working time in a week; one without is refused when a template is saved. */
export function hasWorkingTime(cal: WorkCalendar): boolean {
  return cal.workdays.length > 0 && cal.spans.some(([a, b]) => b > a);
}

/** The instant `ms` of working time after `from`. */
export function addWorkingTime(cal: WorkCalendar | null | undefined, from: number, ms: number): number {
  if (!cal || ms <= 0) return from + ms;
  const c = compiled(cal);
  if (!c) return from + ms;
  let remaining = ms;
  let day = c.zone.localDay(from);
  let tryWeeksFrom = day + 1;
  for (let scanned = 0; scanned < MAX_SCAN_DAYS; ) {
    // Whole weeks at once when nothing in them differs: no holiday, one UTC offset.
    if (remaining > c.weekMs && day >= tryWeeksFrom) {
      const next = c.plainWeekFrom(day);
      if (next === day) {
        remaining -= c.weekMs;
        day += 7;
        scanned += 7;
        continue;
      }
      tryWeeksFrom = next;
    }
    if (c.works(day)) {
      for (const [s, e] of c.spans) {
        const b = c.zone.toUtc(day * DAY + e);
        if (b <= from) continue;
        const a = Math.max(c.zone.toUtc(day * DAY + s), from);
        if (remaining <= b - a) return a + remaining;
        remaining -= b - a;
      }
    }
    day += 1;
    scanned += 1;
  }
  return from + ms;
}

/** Working time between two instants (0 when `to` is not after `from`). */
export function workingTimeBetween(cal: WorkCalendar | null | undefined, from: number, to: number): number {
  if (to <= from) return 0;
  if (!cal) return to - from;
  const c = compiled(cal);
  if (!c) return to - from;
  let total = 0;
  let day = c.zone.localDay(from);
  const last = c.zone.localDay(to);
  let tryWeeksFrom = day + 1;
  while (day <= last) {
    if (day + 7 <= last && day >= tryWeeksFrom) {
      const next = c.plainWeekFrom(day);
      if (next === day) {
        total += c.weekMs;
        day += 7;
        continue;
      }
      tryWeeksFrom = next;
    }
    if (c.works(day)) {
      for (const [s, e] of c.spans) {
        const a = Math.max(c.zone.toUtc(day * DAY + s), from);
        const b = Math.min(c.zone.toUtc(day * DAY + e), to);
        if (b > a) total += b - a;
      }
    }
    day += 1;
  }
  return total;
}

/**
 * Moves a deadline across a change of calendar or a pause: the working time it had left at `at`
 * under `before` is counted again from `resumeAt` under `after`. With both calendars null this is
 * `deadline + (resumeAt - at)`, the wall-time shift a snooze always made.
 */
export function carryDeadline(before: WorkCalendar | null | undefined, after: WorkCalendar | null | undefined, deadline: number, at: number, resumeAt = at): number {
  if (!before && !after) return deadline + (resumeAt - at);
  if (deadline <= at) return deadline;
  return addWorkingTime(after, resumeAt, workingTimeBetween(before, at, deadline));
}

// ---------------------------------------------------------------------------------------------------

interface Compiled {
  zone: Zone;
  spans: Array<[number, number]>;
  workMask: number;
  holidays: Set<number>;
  /** Holiday day numbers, sorted, for "any holiday in this week?". */
  holidayList: number[];
  weekMs: number;
  works(day: number): boolean;
  /** `day` when the 7 days from it hold no holiday and one UTC offset; else the first day worth trying again. */
  plainWeekFrom(day: number): number;
}

const compiledCache = new WeakMap<WorkCalendar, Compiled | null>();
const bySignature = new Map<string, Compiled | null>();

/**
 * The calendar's lookup form, made once per calendar: by object (the workflow keeps the same one), else
 * by content (a listing reads a fresh copy from every row; a replay rebuilds the state).
 */
function compiled(cal: WorkCalendar): Compiled | null {
  let c = compiledCache.get(cal);
  if (c !== undefined) return c;
  const signature = JSON.stringify([cal.timeZone, cal.workdays, cal.spans, cal.holidays]);
  c = bySignature.get(signature);
  if (c === undefined) {
    c = compile(cal);
    if (bySignature.size >= 64) bySignature.clear();
    bySignature.set(signature, c);
  }
  compiledCache.set(cal, c);
  return c;
}

function compile(cal: WorkCalendar): Compiled | null {
  if (!hasWorkingTime(cal)) return null;
  const zone = zoneOf(cal.timeZone);
  const spans = cal.spans.filter(([a, b]) => b > a);
  const workMask = cal.workdays.reduce((m, d) => m | (1 << d), 0);
  const holidayList = cal.holidays.map((d) => Math.floor(Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10))) / DAY)).sort((a, b) => a - b);
  const holidays = new Set(holidayList);
  const dayMs = spans.reduce((sum, [a, b]) => sum + (b - a), 0);
  const weekMs = dayMs * cal.workdays.length;
  const works = (day: number) => (workMask & (1 << weekday(day))) !== 0 && !holidays.has(day);
  const plainWeekFrom = (day: number) => {
    const holiday = firstAtOrAfter(holidayList, day);
    if (holiday !== undefined && holiday < day + 7) return holiday + 1;
    // One offset from the week's first midnight to the next week's: no DST change inside it.
    const start = day * DAY;
    const offset = zone.offsetAt(start - zone.offsetAt(start));
    if (offset === zone.offsetAt(start + WEEK - offset)) return day;
    return day + 1;
  };
  return { zone, spans, workMask, holidays, holidayList, weekMs, works, plainWeekFrom };
}

/** Days since 1970-01-01 → 0 = Sunday (that day was a Thursday). */
function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

function firstAtOrAfter(sorted: number[], from: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo];
}

/**
 * A time zone's UTC offsets, looked up through Intl once per UTC week and kept (bounded): a week
 * holds at most one change, found to the minute by bisection.
 */
class Zone {
  private weeks = new Map<number, { before: number; after: number; change: number }>();
  private lastWeek = NaN;
  private last = { before: 0, after: 0, change: Infinity };
  private readonly format: Intl.DateTimeFormat | null;

  constructor(timeZone: string) {
    this.format = timeZone === 'UTC' || timeZone === 'Etc/UTC' ? null : new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Local time minus UTC, in ms, at an instant. */
  offsetAt(utc: number): number {
    if (!this.format) return 0;
    const w = Math.floor(utc / WEEK);
    if (w !== this.lastWeek) {
      let info = this.weeks.get(w);
      if (!info) {
        if (this.weeks.size > 4096) this.weeks.clear();
        info = this.scanWeek(w);
        this.weeks.set(w, info);
      }
      this.lastWeek = w;
      this.last = info;
    }
    return utc < this.last.change ? this.last.before : this.last.after;
  }

  /** The local wall time (as if UTC) → the instant; a time skipped by a DST change maps past it. */
  toUtc(local: number): number {
    const guess = local - this.offsetAt(local);
    const offset = this.offsetAt(guess);
    return local - offset;
  }

  localDay(utc: number): number {
    return Math.floor((utc + this.offsetAt(utc)) / DAY);
  }

  private scanWeek(w: number): { before: number; after: number; change: number } {
    const start = w * WEEK;
    const before = this.intlOffset(start);
    const after = this.intlOffset(start + WEEK);
    if (before === after) return { before, after, change: Infinity };
    let lo = start;
    let hi = start + WEEK;
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (this.intlOffset(mid) === before) lo = mid;
      else hi = mid;
    }
    return { before, after, change: hi };
  }

  private intlOffset(utc: number): number {
    const at = Math.floor(utc / 1000) * 1000;
    const p: Record<string, number> = {};
    for (const part of this.format!.formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - at;
  }
}

const zones = new Map<string, Zone>();
function zoneOf(timeZone: string): Zone {
  let z = zones.get(timeZone);
  if (!z) {
    if (zones.size > 64) zones.clear();
    z = new Zone(timeZone);
    zones.set(timeZone, z);
  }
  return z;
}

/** The wall-clock time in a zone at an instant, as epoch ms read as UTC (the one zone lookup, for mail too). */
export function localTimeAt(timeZone: string, utc: number): number {
  return utc + zoneOf(timeZone).offsetAt(utc);
}

/** The instant of a wall-clock time in a zone (epoch ms read as UTC); a time a DST change skips maps past it. */
export function instantOfLocal(timeZone: string, local: number): number {
  return zoneOf(timeZone).toUtc(local);
}
