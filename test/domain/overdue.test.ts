import { describe, expect, it } from 'vitest';
import type { ExceptionStatus } from '../../domain/rules/exception.js';
import { isOverdue, overdueAt } from '../../domain/rules/overdue.js';

/** Claim by 1000, resolve by 2000; the moments a user could look at the queue. */
const claimBy = 1000;
const resolveBy = 2000;
const moments = { beforeBoth: 500, atClaimBy: 1000, betweenDeadlines: 1500, atResolveBy: 2000, afterBoth: 2500 } as const;
type Moment = keyof typeof moments;

const clocks = (status: ExceptionStatus, snoozed: boolean) => ({ status, claimBy, resolveBy, snoozedUntil: snoozed ? 9_999 : null });

describe('overdue, defined once', () => {
  // [status, snoozed, overdueAt, the moments at which it is overdue]
  it.each([
    ['open', false, claimBy, ['betweenDeadlines', 'atResolveBy', 'afterBoth']],
    ['claimed', false, resolveBy, ['afterBoth']],
    ['resolved', false, null, []],
    ['dismissed', false, null, []],
    ['open', true, null, []],
    ['claimed', true, null, []],
    ['resolved', true, null, []],
    ['dismissed', true, null, []],
  ] as Array<[ExceptionStatus, boolean, number | null, Moment[]]>)('%s, snoozed %s: overdue from %s, overdue at %j', (status, snoozed, at, overdueMoments) => {
    const s = clocks(status, snoozed);
    expect(overdueAt(s)).toBe(at);
    for (const [moment, now] of Object.entries(moments) as Array<[Moment, number]>) {
      expect(isOverdue(s, now), `${moment} (${now})`).toBe(overdueMoments.includes(moment));
    }
  });

  it.each([
    ['open, resolve-by before claim-by: the earlier one', 'open', 3000, 2000, 2000],
    ['claimed: claim-by no longer counts', 'claimed', 500, 2000, 2000],
  ] as Array<[string, ExceptionStatus, number, number, number]>)('%s', (_what, status, claim, resolve, expected) => {
    const s = { status, claimBy: claim, resolveBy: resolve, snoozedUntil: null };
    expect(overdueAt(s)).toBe(expected);
    expect(isOverdue(s, expected)).toBe(false);
    expect(isOverdue(s, expected + 1)).toBe(true);
  });

  it('waiting on others: a claimed exception is never overdue while it waits (its resolve clock is paused)', () => {
    const waiting = { reason: 'supplier', since: 100 };
    expect(overdueAt({ status: 'claimed', claimBy, resolveBy, snoozedUntil: null, waiting })).toBeNull();
    expect(isOverdue({ status: 'claimed', claimBy, resolveBy, snoozedUntil: null, waiting }, moments.afterBoth)).toBe(false);
    expect(isOverdue({ status: 'claimed', claimBy, resolveBy, snoozedUntil: null, waiting: null }, moments.afterBoth)).toBe(true);
  });

  it('a snooze that has ended but is still recorded keeps it not overdue (the workflow ends it on its next tick)', () => {
    const s = { status: 'open' as const, claimBy, resolveBy, snoozedUntil: 1200 };
    expect(isOverdue(s, moments.afterBoth)).toBe(false);
    expect(isOverdue({ ...s, snoozedUntil: null }, moments.afterBoth)).toBe(true);
  });
});
