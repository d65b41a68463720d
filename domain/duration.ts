import { z } from 'zod';
import { DURATION, durationWithin, MAX_DURATION } from './rules/duration.js';

export { durationMs, durationWithin, formatDuration, MAX_DURATION, MAX_DURATION_MS, SLA_LIMITS } from './rules/duration.js';

const HINT = 'expected a duration such as 15m, 4h or 2s';

/** A duration no longer than `limit`; the bound is only reported for something that is a duration. */
export function durationAtMost(limit: string) {
  return z
    .string()
    .regex(DURATION, HINT)
    .refine((d) => !DURATION.test(d) || durationWithin(d, limit), `must be at most ${limit}`);
}

/** A positive span of time written as days, hours, minutes and seconds, e.g. `15m`, `4h`, `1h30m`; at most a century. */
export const Duration = durationAtMost(MAX_DURATION);
export type Duration = z.infer<typeof Duration>;
