import type { Generated } from 'kysely';

/**
 * The decision tables (migration 0016_decisions). Times are epoch milliseconds. The decision workflow is
 * the source of truth; these rows are its projection, written by a regular activity once history holds
 * the transition (workflows/decision/workflow.ts), and the evidence it was raised on.
 */

/** One row per decision item: the decision log. */
export interface DecisionsTable {
  id: string;
  workflow_id: string;
  capability: string;
  region: string;
  area: string;
  trigger_id: string;
  kind: string;
  summary: string;
  status: string;
  owner: string | null;
  /** Whom the last escalation step reached; null before any. */
  escalated_to: string | null;
  escalation_level: number;
  due_at: number;
  /** The workflow's answer to "when is it past due" (domain/rules/decision.ts overdueAt); null unless open. */
  overdue_at: number | null;
  raised_at: number;
  updated_at: number;
  closed_at: number | null;
  /** The last outcome recorded (a deferral included), who and when. */
  outcome: string | null;
  action: string | null;
  decided_by: string | null;
  decided_at: number | null;
  defer_until: number | null;
  /** A retraining decision's expected model version: the item links before/after rates once intake carries it. */
  target_model_version: string | null;
  seq: number;
  state: string;
}

export interface DecisionEventsTable {
  decision_id: string;
  seq: number;
  at: number;
  actor: string;
  action: string;
  detail: string;
}

/** What fired the trigger: written once, with the item's first transition. */
export interface DecisionEvidenceTable {
  decision_id: string;
  measured: number;
  threshold: number;
  window_from: number;
  window_to: number;
  /** The Fired figures, value events and the ids of the exceptions behind them (bounded), as JSON. */
  evidence: string;
}

export interface DecisionTables {
  decisions: DecisionsTable;
  decision_events: DecisionEventsTable;
  decision_evidence: DecisionEvidenceTable;
}

/** Columns the exceptions table gained with 0016: read once from the intake payload when it is written. */
export interface ExceptionIntakeFacts {
  model_version: Generated<string | null>;
  subject: Generated<string | null>;
}
