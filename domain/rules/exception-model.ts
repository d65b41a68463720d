import type { ResponsibilityArea, Severity, SlaPolicy } from '../capability.js';
import type { WorkCalendar } from './calendar.js';
import type { ExceptionStatus, Route } from './exception.js';

/**
 * The exception's model: what the workflow holds and what the ledger projects. Pure types, so the
 * workflow, the ledger, the activities and the API share them without importing one another.
 */

export interface SourceRefFact {
  system: string;
  record: string;
  field: string;
  value?: unknown;
}
export interface QualityCheckFact {
  name: string;
  passed: boolean;
  detail?: string;
}

/** What an exception is and the rules it runs under, fixed at surfacing: later template changes never alter it. */
export interface ExceptionFacts {
  id: string;
  capability: string;
  region: string;
  type: string;
  area: ResponsibilityArea;
  severity: Severity;
  title: string;
  confidence: number | null;
  sourceRefs: SourceRefFact[];
  qualityChecks: QualityCheckFact[];
  policy: SlaPolicy;
  valueEvents: string[];
  webhook: string | null;
  raisedBy: string;
  /**
   * The region's business calendar its clocks count in (domain/rules/calendar.ts); absent or null:
   * 24x7 (exceptions raised before calendars, or a severity with `calendar: 24x7`). A region's calendar
   * change replaces it (the `calendarChanged` signal).
   */
  calendar?: WorkCalendar | null;
  /** Digest of the intake's payload: a later intake with other data is fresh data (it resumes a waiting exception). */
  dataDigest?: string;
  /** The core template version the region ran at intake; absent for exceptions raised before versions. */
  templateVersion?: number;
}

/** An early warning not yet given: at `at`, `pct` percent of the claim or resolve window is used. */
export interface PendingWarning {
  kind: 'claim' | 'resolve';
  pct: number;
  at: number;
}

export const WAITING_REASONS = ['supplier', 'upstream-data-fix', 'another-team', 'customer', 'other'] as const;
export type WaitingReason = (typeof WAITING_REASONS)[number];

/** Waiting on someone outside the team: the resolve clock (and the claim lease) pause meanwhile. */
export interface Waiting {
  reason: WaitingReason;
  note: string | null;
  /** Resumes by itself at this time, if given. */
  until: number | null;
  since: number;
  by: string;
}

export interface Breach {
  kind: 'claim' | 'resolve';
  at: number;
  /** The next escalation step to take. */
  step: number;
  repeats: number;
}

export interface Escalation {
  level: number;
  at: number;
  target: string | null;
  reason: string;
  kind: string;
  /** The deadline that fell due, for lateness measurements. */
  dueAt: number;
}

/**
 * The workflow's state: bounded whatever users do. The payload, comments and the full escalation
 * list live in the ledger; the workflow keeps counts, the last few escalations and digests of what it
 * recorded, so `ledger:verify` can compare the ledger's timeline and inbox with history.
 */
export interface ExceptionState extends ExceptionFacts {
  status: ExceptionStatus;
  route: Route | null;
  owner: string | null;
  ownerSource: Route['ownerSource'] | 'reassigned';
  claimant: string | null;
  claimedAt: number | null;
  escalationLevel: number;
  /** The most recent escalations (at most RECENT_ESCALATIONS); the ledger's timeline holds them all. */
  escalations: Escalation[];
  escalationCount: number;
  handEscalations: number;
  commentCount: number;
  breaches: Breach[];
  claimBy: number;
  resolveBy: number;
  leaseUntil: number | null;
  snoozedUntil: number | null;
  snoozedAt: number | null;
  /** Warnings still to give (only exceptions raised with warning thresholds have the list). */
  warnings?: PendingWarning[];
  /** Set while waiting on others; absent on exceptions that never waited. */
  waiting?: Waiting | null;
  /** Wall time spent waiting on others, in total. */
  pausedMs?: number;
  /** `quantity`: what the value event was worth, in the template's unit; absent when not given. */
  resolution: { code: string; note: string | null; valueEvent: string | null; quantity?: number; by: string; at: number } | null;
  dismissal: { reason: string; by: string; at: number } | null;
  createdAt: number;
  updatedAt: number;
  /** Rises with every recorded event; the ledger's key is (id, seq). */
  seq: number;
  /** Chained digests of every event and notification recorded (domain/rules/digest.ts). */
  eventDigest: string;
  noticeDigest: string;
  /** Digests cover events after this seq (a run continued from before digests began has earlier ones). */
  digestFrom: number;
}

export interface ExceptionEvent {
  seq: number;
  at: number;
  actor: string;
  action: string;
  from: string | null;
  to: string | null;
  reason: string | null;
  detail?: Record<string, unknown>;
}

export interface Notification {
  seq: number;
  person: string;
  kind: 'assigned' | 'escalated' | 'reassigned' | 'warning';
  level: number;
  reason: string;
  at: number;
}

/** What an update answers: a receipt, never the state (history keeps every update result). */
export interface Receipt {
  id: string;
  seq: number;
  status: ExceptionStatus;
  /**
   * The state's digest after this transition (domain/rules/digest.ts stateDigest): the ledger confirms
   * its row only if it matches. Absent in receipts from before decision 0009.
   */
  digest?: string;
  /** Intake only: true for the intake that created the exception, false for a duplicate. */
  created?: boolean;
}

/** One transition as the workflow recorded it: what its ledger write carried, payload aside. */
export interface RecordedTransition {
  events: ExceptionEvent[];
  notifications: Notification[];
}

export const RECENT_ESCALATIONS = 5;
/** Per-exception limits: what a chatty integration or a stuck operator can make grow, bounded before it reaches history. */
export const LIMITS = { comments: 10_000, handEscalations: 25 } as const;
