import type { TrainingCompletionsTable } from './training.js';
import type { Generated } from 'kysely';
import type { DecisionTables, ExceptionIntakeFacts } from './decisions-schema.js';
import type { ReadinessClosedTable, ReadinessDailyTable, ReadinessExceptionDailyTable, ReadinessSnapshotsTable, ReportedEventsTable, RolloutStagesTable } from './readiness-schema.js';

/** Append-only audit trail: every state change, with the actor taken from the token. */
export interface AuditLogTable {
  id: Generated<number>;
  /** Deduplicates retried writes: derived from the workflow ID and a sequence number. */
  idempotency_key: string;
  at: string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  reason: string | null;
  detail: string;
}

/** Capability templates as loaded from templates/ or PUT; the newest version wins. */
export interface CapabilitiesTable {
  id: string;
  name: string;
  version: number;
  template: string;
  source: string;
  updated_at: string;
  updated_by: string;
}

/** A region's rollout: its overlay of adaptable keys and the effective template it yields. */
export interface CapabilityRegionsTable {
  capability_id: string;
  region: string;
  overlay: string;
  effective: string;
  updated_at: string;
  updated_by: string;
  /** The core version the region adopted (0014_template_versions); the effective template is built from it. */
  template_version: number | null;
}

/** The directory's projection, for listings and audits. The directory workflow is the source of truth. */
export interface PeopleTable {
  id: string;
  name: string;
  email: string;
  manager_id: string | null;
  status: string;
  roles: string;
  version: number;
  updated_at: string;
  updated_by: string;
  /** E-mail delivery per kind (0013_mail, domain/rules/mail.ts); ledger-only, never in the directory workflow. */
  notify_prefs: Generated<string>;
  /** The last permanent (5xx) refusal of the person's address, until a later mail gets through. */
  unreachable_at: Generated<string | null>;
  unreachable_reason: Generated<string | null>;
}

/** The ownership matrix's change log, kept beyond Temporal's retention. */
export interface OwnershipChangesTable {
  capability: string;
  version: number;
  at: string;
  actor: string;
  region: string;
  area: string;
  before: string;
  after: string;
  reason: string;
}

/** Current owner, backup and chain per cell, projected from the matrix for fast routing reads. */
export interface OwnershipCellsTable {
  capability: string;
  region: string;
  area: string;
  owner: string | null;
  backup: string | null;
  escalation: string;
  version: number;
}

/** Current state of every exception: the queue listings read this, never Temporal visibility. */
export interface ExceptionsTable extends ExceptionIntakeFacts {
  id: string;
  capability: string;
  region: string;
  type: string;
  area: string;
  severity: string;
  title: string;
  status: string;
  owner: string | null;
  claimant: string | null;
  escalation_level: number;
  confidence: number | null;
  claim_by: number;
  resolve_by: number;
  /** The workflow's answer to "when is it overdue" (domain/rules/overdue.ts); null when closed or snoozed. */
  overdue_at: number | null;
  lease_until: number | null;
  snoozed_until: number | null;
  /** Since when it waits on others (the resolve clock paused); null when it does not (0012). */
  waiting_since: number | null;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  resolution_code: string | null;
  value_event: string | null;
  seq: number;
  /** The workflow's state without payload: bounded (domain/rules/exception-model.ts). */
  state: string;
  payload: Generated<string>;
  /** Start time of the workflow task that wrote this row: see ledger/projection.ts. */
  fence: Generated<number>;
  /** Every transition up to this seq is known to be in history. */
  confirmed_seq: Generated<number>;
  /** The event and notification digests as of confirmed_seq (decision 0009); null until first needed. */
  confirmed_event_digest: Generated<string | null>;
  confirmed_notice_digest: Generated<string | null>;
  written_at: Generated<number>;
  /** The core template version the exception was raised under (0014_template_versions); null before versions. */
  template_version: Generated<number | null>;
}

/** Append-only timeline; (exception_id, seq) makes retried writes no-ops. */
export interface ExceptionEventsTable {
  exception_id: string;
  seq: number;
  at: number;
  actor: string;
  action: string;
  from_value: string | null;
  to_value: string | null;
  reason: string | null;
  detail: string;
  fence: number;
}

/**
 * What reached a person: about an exception (exception_id), or, with no exception id, a notice about a
 * capability × region (0008_readiness_notices: a rollout that fell below its cutover thresholds).
 */
export interface InboxTable {
  id: Generated<number>;
  person: string;
  exception_id: string | null;
  seq: number;
  kind: string;
  level: number;
  reason: string;
  at: number;
  fence: number;
  /** A notice's place; null on an exception's rows. */
  capability: Generated<string | null>;
  region: Generated<string | null>;
  /** The decision item a notice is about (0017_decision_notices); null otherwise. */
  decision_id: Generated<string | null>;
}

/** Notifications for outside channels (webhooks), delivered at least once from here. */
export interface OutboxTable {
  id: Generated<number>;
  /** null for a notice about a capability × region (0008_readiness_notices), which needs no confirmation. */
  exception_id: string | null;
  seq: number;
  person: string;
  kind: string;
  channel: string;
  target: string;
  body: string;
  fence: number;
  created_at: number;
  attempts: Generated<number>;
  next_attempt_at: number;
  locked_until: Generated<number>;
  delivered_at: number | null;
  failed_at: number | null;
  last_error: string | null;
  capability: Generated<string | null>;
  region: Generated<string | null>;
  /** A mail row about a decision item (0017_decision_notices); null otherwise. */
  decision_id: Generated<string | null>;
}

/** Intakes refused by an input contract, kept with their reasons so nothing is lost. */
export interface QuarantineTable {
  id: Generated<number>;
  received_at: number;
  actor: string;
  capability: string | null;
  region: string | null;
  type: string | null;
  source_key: string | null;
  reasons: string;
  body: string;
  /** `intake`, or `report` for a refused reported event (0007_readiness). */
  source: Generated<string>;
}

/** The escalation-chain lint's current findings (0015, ledger/chain-lint.ts). */
export interface ChainLintTable {
  capability: string;
  finding_key: string;
  region: string;
  area: string;
  kind: string;
  person: string | null;
  detail: string;
  since: string;
  linted_at: string;
}

/** One attestation campaign, projected from its workflow (0015, ledger/attestation.ts). Times in epoch ms. */
export interface AttestationCampaignsTable {
  id: string;
  capability: string;
  regions: string;
  status: string;
  started_by: string;
  started_at: number;
  remind_at: number;
  deadline: number;
  closed_at: number | null;
  closed_by: string | null;
  close_reason: string | null;
  reminded_at: number | null;
  version: number;
}

/** Each owner and backup asked in a campaign, and their answer. */
export interface AttestationRequestsTable {
  campaign_id: string;
  capability: string;
  region: string;
  area: string;
  person: string;
  role: string;
  state: string;
  reason: string | null;
  answered_at: number | null;
  version: number;
}

export interface LedgerSchema extends DecisionTables {
  ownership_cells: OwnershipCellsTable;
  exceptions: ExceptionsTable;
  exception_events: ExceptionEventsTable;
  inbox: InboxTable;
  outbox: OutboxTable;
  quarantine: QuarantineTable;
  audit_log: AuditLogTable;
  capabilities: CapabilitiesTable;
  capability_regions: CapabilityRegionsTable;
  people: PeopleTable;
  ownership_changes: OwnershipChangesTable;
  reported_events: ReportedEventsTable;
  readiness_daily: ReadinessDailyTable;
  readiness_snapshots: ReadinessSnapshotsTable;
  rollout_stages: RolloutStagesTable;
  readiness_closed: ReadinessClosedTable;
  readiness_exception_daily: ReadinessExceptionDailyTable;
  chain_lint: ChainLintTable;
  attestation_campaigns: AttestationCampaignsTable;
  attestation_requests: AttestationRequestsTable;
  capability_versions: CapabilityVersionsTable;
  rehearsals: RehearsalsTable;
  training_completions: TrainingCompletionsTable;
}

/** Every published core version of a capability template (0014_template_versions). */
export interface CapabilityVersionsTable {
  capability_id: string;
  version: number;
  template: string;
  source: string;
  published_at: string;
  published_by: string;
}

/** The latest rehearsal of a region's scenarios, per template version (0014_template_versions). */
export interface RehearsalsTable {
  capability_id: string;
  region: string;
  template_version: number;
  at: string;
  trigger: string;
  total: number;
  failed: number;
  results: string;
}
