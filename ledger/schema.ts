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

export interface LedgerSchema {
  audit_log: AuditLogTable;
}
