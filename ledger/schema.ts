import type { Generated } from 'kysely';

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

export interface LedgerSchema {
  audit_log: AuditLogTable;
  capabilities: CapabilitiesTable;
  capability_regions: CapabilityRegionsTable;
  people: PeopleTable;
  ownership_changes: OwnershipChangesTable;
}
