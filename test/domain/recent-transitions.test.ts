import { describe, expect, it } from 'vitest';
import { RecentTransitions } from '../../domain/rules/recent-transitions.js';
import type { RecordedTransition } from '../../domain/rules/exception-model.js';

const transition = (seq: number, text = ''): RecordedTransition => ({
  events: [{ seq, at: seq, actor: 'olivia', action: 'commented', from: null, to: null, reason: null, detail: { text } }],
  notifications: [],
});

describe('what the exception workflow remembers of its recent transitions', () => {
  it.each([
    { name: 'within bounds: everything after the seq asked', bounds: { count: 5, chars: 10_000 }, added: [1, 2, 3], since: 1, expected: [2, 3] },
    { name: 'over the count: the oldest are forgotten', bounds: { count: 2, chars: 10_000 }, added: [1, 2, 3, 4], since: 0, expected: [3, 4] },
    { name: 'nothing after the seq asked', bounds: { count: 5, chars: 10_000 }, added: [1, 2], since: 2, expected: [] },
  ])('$name', ({ bounds, added, since, expected }) => {
    const recent = new RecentTransitions(bounds);
    for (const seq of added) recent.add(transition(seq));
    expect(recent.since(since).map((t) => t.events[0]!.seq)).toEqual(expected);
  });

  it('forgets the oldest when a comment storm passes the size bound, but always keeps the last one', () => {
    const recent = new RecentTransitions({ count: 100, chars: 12_000 });
    for (let seq = 1; seq <= 10; seq++) recent.add(transition(seq, 'x'.repeat(5_000)));
    expect(recent.since(0).map((t) => t.events[0]!.seq)).toEqual([9, 10]);
    recent.add(transition(11, 'y'.repeat(50_000)));
    expect(recent.since(0).map((t) => t.events[0]!.seq)).toEqual([11]);
  });
});
