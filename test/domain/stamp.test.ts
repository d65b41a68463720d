import { describe, expect, it } from 'vitest';
import { MAX_STAMP_SKEW_MS, stampRefusal, transitionTime } from '../../domain/rules/stamp.js';

const clock = 1_796_000_000_000;

describe('transitionTime', () => {
  it.each([
    { name: 'the stamp, when after the last transition', stamp: clock - 40, last: clock - 100, expected: clock - 40 },
    { name: 'the last transition, when the stamp is before it (never backwards)', stamp: clock - 200, last: clock - 100, expected: clock - 100 },
    { name: 'the task clock, for an update from before stamps', stamp: undefined, last: clock - 100, expected: clock },
  ])('$name', ({ stamp, last, expected }) => expect(transitionTime(stamp, last, clock)).toBe(expected));
});

describe('stampRefusal', () => {
  it.each([
    { name: 'no stamp', stamp: undefined, refused: false },
    { name: 'a stamp a few seconds old', stamp: clock - 3_000, refused: false },
    { name: 'a stamp at the edge', stamp: clock + MAX_STAMP_SKEW_MS, refused: false },
    { name: 'a stamp too far behind', stamp: clock - MAX_STAMP_SKEW_MS - 1, refused: true },
    { name: 'a stamp too far ahead', stamp: clock + MAX_STAMP_SKEW_MS + 1, refused: true },
    { name: 'a fractional stamp', stamp: clock + 0.5, refused: true },
    { name: 'NaN', stamp: Number.NaN, refused: true },
  ])('$name', ({ stamp, refused }) => expect(stampRefusal(stamp, clock) !== null).toBe(refused));
});
