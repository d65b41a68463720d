import { randomUUID } from 'node:crypto';
import { effectivePreferences, type Delivery, type MailKind, type MailPreferences } from '../domain/rules/mail.js';
import { appendAudit } from './audit.js';
import type { LedgerDb } from './db.js';
import { rowWriteTransaction } from './dialect.js';
import { parsePreferences } from './mail.js';

export interface StoredPreferences {
  personId: string;
  /** Every kind, with the person's choice or the default. */
  preferences: Record<MailKind, Delivery>;
  /** The last permanent refusal of the person's address, until a mail gets through again. */
  unreachable: { since: string; reason: string } | null;
}

/** A person's choices as stored on their ledger row (0013_mail); null when the directory does not know them. */
export async function readPreferences(db: LedgerDb, personId: string): Promise<StoredPreferences | null> {
  const row = await db.selectFrom('people').select(['id', 'notify_prefs', 'unreachable_at', 'unreachable_reason']).where('id', '=', personId).executeTakeFirst();
  if (!row) return null;
  return {
    personId: row.id,
    preferences: effectivePreferences(parsePreferences(row.notify_prefs)),
    unreachable: row.unreachable_at ? { since: row.unreachable_at, reason: row.unreachable_reason ?? 'refused' } : null,
  };
}

/**
 * Replaces a person's choices and audits the change (before, after, the actor) in one transaction.
 * Ledger-only: the directory workflow never holds them, so its state does not grow with them, and
 * the transition writer reads them where it files mail rows (ledger/mail.ts).
 */
export async function savePreferences(db: LedgerDb, personId: string, preferences: MailPreferences, actor: string, now = new Date()): Promise<StoredPreferences | null> {
  return rowWriteTransaction(db, 'people', personId, async (tx) => {
    const before = await readPreferences(tx, personId);
    if (!before) return null;
    const stored = Object.fromEntries(Object.entries(preferences).filter(([, v]) => v !== undefined));
    await tx.updateTable('people').set({ notify_prefs: JSON.stringify(stored) }).where('id', '=', personId).execute();
    const after = effectivePreferences(stored);
    await appendAudit(tx, [
      {
        idempotencyKey: `notification-preferences:${personId}:${randomUUID()}`,
        at: now.toISOString(),
        actor,
        action: 'person.notification-preferences',
        subjectType: 'person',
        subjectId: personId,
        reason: null,
        detail: { before: before.preferences, after },
      },
    ]);
    return { ...before, preferences: after };
  });
}
