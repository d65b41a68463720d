import type { ExceptionStatus } from './exception.js';

/**
 * Overdue, defined once: an open exception past its claim-by, or an open or claimed one past its
 * resolve-by. A snoozed exception is never overdue (its clocks are paused), nor a closed one, nor one
 * waiting on others (its resolve clock is paused). The
 * workflow's ledger write stores `overdueAt` as a column, so the SQL filter, the view and the console
 * all read this one answer.
 */
export interface OverdueClocks {
  status: ExceptionStatus;
  claimBy: number;
  resolveBy: number;
  snoozedUntil: number | null;
  /** Waiting on others: the resolve clock is paused (only a claimed exception waits). */
  waiting?: unknown;
}

/** When the exception becomes overdue, or null when it cannot (closed or snoozed). */
export function overdueAt(s: OverdueClocks): number | null {
  if (s.status !== 'open' && s.status !== 'claimed') return null;
  if (s.snoozedUntil !== null) return null;
  if (s.status === 'claimed' && s.waiting) return null;
  return s.status === 'open' ? Math.min(s.claimBy, s.resolveBy) : s.resolveBy;
}

export function isOverdue(s: OverdueClocks, now: number): boolean {
  const at = overdueAt(s);
  return at !== null && at < now;
}
