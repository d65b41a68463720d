import { z } from 'zod';
import { DURATION } from './rules/duration.js';

export { durationMs, formatDuration } from './rules/duration.js';

/** A positive span of time written as days, hours, minutes and seconds, e.g. `15m`, `4h`, `1h30m`. */
export const Duration = z.string().regex(DURATION, 'expected a duration such as 15m, 4h or 2s');
export type Duration = z.infer<typeof Duration>;
