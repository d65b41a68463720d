/**
 * The readiness tables (migration 0007_readiness). Times are epoch milliseconds (bigint); a `day` is
 * midnight UTC of the day it stands for.
 */

/** Decisions and value events reported by the capability, and value events named by resolutions; one row per event key. */
export interface ReportedEventsTable {
  capability: string;
  /** The reporter's idempotency key (a resolution's is `resolution:<exception id>`). */
  event_key: string;
  region: string;
  kind: 'decision' | 'value';
  value_event: string | null;
  outcome: string | null;
  /** Decisions: how many; value events: what it was worth in the template's unit (null: not stated). */
  quantity: number | null;
  occurred_at: number;
  day: number;
  /** `report` (the report endpoint) or `resolution`. */
  origin: string;
  reported_by: string;
  received_at: number;
}

/** Per day totals of reported_events, kept in the same transaction as each insert, so a scorecard reads days, not events. */
export interface ReadinessDailyTable {
  capability: string;
  region: string;
  /**
   * `decision` (key: the outcome, or '') or `value` (key: the value event id), kept with each reported
   * event; `refused` (key '') and `refused-field` (key: a contract path), kept with each refused intake
   * (0009_readiness_facts, ledger/refusals.ts; `quantity` 0).
   */
  metric: string;
  key: string;
  day: number;
  events: number;
  quantity: number;
}

/** One scorecard per capability × region × day, written by the daily schedule or the backfill; the first one of a day stands. */
export interface ReadinessSnapshotsTable {
  capability: string;
  region: string;
  day: number;
  /** 1 when every criterion but days stable held (a stable day), 0 otherwise. */
  held: number;
  ready: number;
  stage: string;
  scorecard: string;
  computed_at: number;
  /** `schedule` or `backfill`. */
  origin: string;
}

/** Each rolled-out region's stage; a region with no row is a pilot. */
export interface RolloutStagesTable {
  capability: string;
  region: string;
  stage: string;
  since: number;
  updated_by: string;
  reason: string | null;
  /** A region in production whose scorecard fell below a threshold: when it was first seen so, until it holds again. */
  flagged_at: number | null;
}

/**
 * Each closed exception's outcome as the readiness rule counts it (ledger/readiness-outcomes.ts), kept
 * by triggers (0009_readiness_facts); what readiness_exception_daily adds up, and what a change takes back.
 */
export interface ReadinessClosedTable {
  exception_id: string;
  capability: string;
  region: string;
  /** Midnight UTC of the day it was raised, and of the day it closed. */
  day: number;
  closed_day: number;
  /** Its claimant, or '' for none. */
  claimant: string;
  breached: number;
  claimed_in_sla: number;
  claim_missed: number;
  override: number;
}

/** Sums of readiness_closed per raised day × closed day × claimant: the closed part of a scorecard's exception facts. */
export interface ReadinessExceptionDailyTable {
  capability: string;
  region: string;
  day: number;
  closed_day: number;
  claimant: string;
  raised: number;
  breached: number;
  claimed_in_sla: number;
  claim_missed: number;
  overrides: number;
}
