import type { RecordedTransition } from './exception-model.js';

/** How much of its recent past an exception workflow remembers: transitions and characters of JSON. */
export const RECENT_TRANSITIONS = { count: 32, chars: 128_000 } as const;

/**
 * The exception workflow's memory of its last transitions, so the confirmer can rebuild a ledger tail
 * that another attempt of a workflow task wrote (decision 0009). Held in memory only: not in the state,
 * not in history, not across continue-as-new. A replay rebuilds it from history exactly as the run first
 * built it, so what it answers is what history holds. Bounded by count and size, so a comment storm
 * costs a cached workflow at most about 128 KB.
 */
export class RecentTransitions {
  private items: { transition: RecordedTransition; chars: number }[] = [];
  private chars = 0;

  constructor(private readonly bounds: { count: number; chars: number } = RECENT_TRANSITIONS) {}

  add(transition: RecordedTransition): void {
    const chars = JSON.stringify(transition).length;
    this.items.push({ transition, chars });
    this.chars += chars;
    while (this.items.length > this.bounds.count || (this.chars > this.bounds.chars && this.items.length > 1)) {
      this.chars -= this.items.shift()!.chars;
    }
  }

  /** The remembered transitions with an event after `seq`, oldest first. */
  since(seq: number): RecordedTransition[] {
    return this.items.map((i) => i.transition).filter((t) => t.events.some((e) => e.seq > seq));
  }
}
