const DAY_MS = 86_400_000;

const UNITS = [
  ['d', DAY_MS],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
] as const;

// Units in descending order, each at most once, and at least one non-zero digit: `0m` is as useless as `0`.
export const DURATION = /^(?=.*[1-9])(?=\d)(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?$/;

/**
 * No duration anywhere is longer than a century. Date.now() plus even a thousand such spans stays
 * inside the range of a JS Date (±8.64e15 ms), so a deadline computed from durations is always a
 * valid date, however the durations are combined.
 */
export const MAX_DURATION = '36500d';
export const MAX_DURATION_MS = 36_500 * DAY_MS;

/**
 * Upper bounds for the durations of an SLA policy, checked when a template or an overlay is saved.
 * With these, the last repeat of an escalation lands at most 90d + 30d + 100 × 30d after intake.
 */
export const SLA_LIMITS = {
  /** claimWithin and resolveWithin */
  window: '90d',
  claimLease: '30d',
  /** an escalation step's `after` */
  escalationDelay: '30d',
  repeatEvery: '30d',
  repeatTimes: 100,
} as const;

/** The span a duration names, without the century cap; null when it is not a duration. */
function spanMs(d: string): number | null {
  if (!DURATION.test(d)) return null;
  let ms = 0;
  for (const [, amount, unit] of d.matchAll(/(\d+)([dhms])/g)) {
    ms += Number(amount) * (UNITS.find(([u]) => u === unit)?.[1] ?? 0);
  }
  return ms;
}

/** Milliseconds of a duration; throws on anything that is not one, or is longer than MAX_DURATION. */
export function durationMs(d: string): number {
  const ms = spanMs(d);
  if (ms === null) throw new RangeError(`'${d}' is not a duration such as 15m, 4h or 2s`);
  if (!(ms <= MAX_DURATION_MS)) throw new RangeError(`'${d}' is longer than ${MAX_DURATION}, the longest duration allowed`);
  return ms;
}

/** True when `d` is a duration no longer than `limit`; false for anything else. Never throws. */
export function durationWithin(d: string, limit: string): boolean {
  const ms = spanMs(d);
  const max = spanMs(limit);
  return ms !== null && max !== null && ms <= max;
}

/** Whole seconds, largest units first; sub-second remainders are dropped. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format ${ms} ms as a duration`);
  let rest = Math.floor(ms / 1000) * 1000;
  let out = '';
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out || '0s';
}
