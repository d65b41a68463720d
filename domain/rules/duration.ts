const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
] as const;

// Units in descending order, each at most once, and at least one non-zero digit: `0m` is as useless as `0`.
export const DURATION = /^(?=.*[1-9])(?=\d)(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?$/;

export function durationMs(d: string): number {
  if (!DURATION.test(d)) throw new RangeError(`'${d}' is not a duration such as 15m, 4h or 2s`);
  let ms = 0;
  for (const [, amount, unit] of d.matchAll(/(\d+)([dhms])/g)) {
    ms += Number(amount) * (UNITS.find(([u]) => u === unit)?.[1] ?? 0);
  }
  return ms;
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
