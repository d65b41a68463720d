/**
 * A transition's time (decision 0010). The API stamps each transition update with the time it sends
 * it; the workflow uses the stamp, never its task's clock, because a speculative workflow task's clock
 * is not always the start time history keeps, and a replay must compute the time the answering attempt
 * used. Pure, so both the exception and the decision workflows use this one rule.
 */

/** Carried by every transition update; absent in histories from before decision 0010. */
export interface Stamped {
  at?: number;
}

/** How far a stamp may be from the workflow task's clock before the update is refused. */
export const MAX_STAMP_SKEW_MS = 10 * 60_000;

/**
 * The transition's time: the stamp, never before the last transition (the timeline never runs
 * backwards); without a stamp (older histories), the task's clock, as those histories were written.
 */
export function transitionTime(stamp: number | undefined, lastTransitionAt: number, taskClock: number): number {
  return stamp === undefined ? taskClock : Math.max(stamp, lastTransitionAt);
}

/** Why a stamp is refused, or null. Called by validators only: they run when the update arrives, never on replay. */
export function stampRefusal(stamp: number | undefined, taskClock: number): string | null {
  if (stamp === undefined) return null;
  if (Number.isSafeInteger(stamp) && Math.abs(stamp - taskClock) <= MAX_STAMP_SKEW_MS) return null;
  return `The API's clock and the workflow engine's differ by more than ${MAX_STAMP_SKEW_MS / 60_000} minutes; nothing changed.`;
}
