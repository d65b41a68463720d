import type { LedgerDb } from './db.js';

export interface AuditEntry {
  idempotencyKey: string;
  at: string;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  reason?: string | null;
  detail?: Record<string, unknown>;
}

/** Appends entries; a retried write with the same idempotency key is a no-op. */
export async function appendAudit(db: LedgerDb, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('audit_log')
    .values(
      entries.map((e) => ({
        idempotency_key: e.idempotencyKey,
        at: e.at,
        actor: e.actor,
        action: e.action,
        subject_type: e.subjectType,
        subject_id: e.subjectId,
        reason: e.reason ?? null,
        detail: JSON.stringify(e.detail ?? {}),
      })),
    )
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .execute();
}

export interface AuditFilter {
  subjectType?: string;
  subjectId?: string;
  actor?: string;
  beforeId?: number;
  limit: number;
}

export async function listAudit(db: LedgerDb, filter: AuditFilter) {
  let query = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(filter.limit + 1);
  if (filter.subjectType) query = query.where('subject_type', '=', filter.subjectType);
  if (filter.subjectId) query = query.where('subject_id', '=', filter.subjectId);
  if (filter.actor) query = query.where('actor', '=', filter.actor);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  const rows = await query.execute();
  return {
    rows: rows.slice(0, filter.limit).map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      reason: r.reason,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    })),
    more: rows.length > filter.limit,
  };
}
