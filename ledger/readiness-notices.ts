import type { Scorecard } from '../domain/rules/readiness.js';
import { appendAudit } from './audit.js';
import type { LedgerDb } from './db.js';
import { DECISION_NOTICE_PREDICATE } from './decision-notices-migration.js';

/** The inbox and outbox kind of the notice that a production region fell below its cutover thresholds. */
export const FLAG_NOTICE = 'readiness-flagged';

export interface Flag {
  capability: string;
  region: string;
  /** When the flag is raised: the flag's identity (the notices' seq), so a retried run writes none twice. */
  at: number;
  /** The UTC day (YYYY-MM-DD) whose scorecard fell below. */
  day: string;
  scorecard: Scorecard;
  /** The owners and backups of the region's cells who can still act: each gets an inbox entry. */
  notify: string[];
  /** The region's webhook channel, if its template has one: each notice goes there too, through the outbox. */
  webhook: string | null;
}

const place = (f: { capability: string; region: string }) => `${f.capability}:${f.region}`;
export const readinessPath = (f: { capability: string; region: string }) => `/api/v1/capabilities/${encodeURIComponent(f.capability)}/regions/${encodeURIComponent(f.region)}/readiness`;

/**
 * Flags a production region whose scorecard no longer holds, once per flag: the flag, its audit entry,
 * an inbox entry for each person to tell and, with a webhook channel, an outbox row each, in one
 * transaction that only the run which actually raises the flag gets past (the update finds the region
 * unflagged), so concurrent or retried runs notify nobody twice. The flag stands until the region holds
 * again (clearFlag); a later fall is a new flag, told again. Answers whether this call raised it.
 *
 * The notices need no confirmation against history (an exception's do, decision 0009): nothing about
 * them comes from a workflow task that could be superseded, so once this commits they are facts and the
 * outbox may deliver them at once.
 */
export async function raiseFlag(db: LedgerDb, f: Flag): Promise<boolean> {
  const failing = f.scorecard.criteria.filter((c) => c.pass === false && c.id !== 'days-stable');
  const reason = `${f.capability} in ${f.region} is in production and fell below its cutover thresholds on ${f.day}: ${failing.map((c) => `${c.label}: ${c.why}`).join('; ')}`.slice(0, 2000);
  return db.transaction().execute(async (tx) => {
    const raised = await tx
      .updateTable('rollout_stages')
      .set({ flagged_at: f.at })
      .where('capability', '=', f.capability)
      .where('region', '=', f.region)
      .where('stage', '=', 'production')
      .where('flagged_at', 'is', null)
      .executeTakeFirst();
    if (Number(raised.numUpdatedRows) === 0) return false;
    await appendAudit(tx, [
      {
        idempotencyKey: `readiness-flag:${place(f)}:${f.at}`,
        at: new Date(f.at).toISOString(),
        actor: 'system',
        action: 'rollout-flagged',
        subjectType: 'rollout',
        subjectId: place(f),
        reason: `below a cutover threshold in production: ${failing.map((c) => c.id).join(', ')}`,
        detail: { day: f.day, failing: f.scorecard.failing, notify: f.notify, webhook: f.webhook !== null, scorecard: f.scorecard },
      },
    ]);
    if (f.notify.length === 0) return true;
    const notices = f.notify.map((person) => ({ person, capability: f.capability, region: f.region, kind: FLAG_NOTICE, seq: f.at }));
    await tx
      .insertInto('inbox')
      .values(notices.map((n) => ({ ...n, exception_id: null, level: 0, reason, at: f.at, fence: 0 })))
      .onConflict((oc) => oc.columns(['capability', 'region', 'kind', 'seq', 'person']).where(DECISION_NOTICE_PREDICATE).doNothing())
      .execute();
    if (f.webhook === null) return true;
    const webhook = f.webhook;
    await tx
      .insertInto('outbox')
      .values(
        notices.map((n) => ({
          ...n,
          exception_id: null,
          channel: 'webhook',
          target: webhook,
          body: JSON.stringify({
            kind: FLAG_NOTICE,
            person: n.person,
            capability: f.capability,
            region: f.region,
            day: f.day,
            at: new Date(f.at).toISOString(),
            reason,
            failing: failing.map((c) => ({ id: c.id, label: c.label, measured: c.measured, threshold: c.threshold, why: c.why, evidence: c.evidence })),
            scorecard: readinessPath(f),
            idempotencyKey: noticeKey(n),
          }),
          fence: 0,
          created_at: f.at,
          next_attempt_at: f.at,
        })),
      )
      .onConflict((oc) => oc.columns(['capability', 'region', 'kind', 'seq', 'person']).where(DECISION_NOTICE_PREDICATE).doNothing())
      .execute();
    return true;
  });
}

/** A notice's idempotency key, as an exception's is `<exception id>#<seq>#<person>`. */
export const noticeKey = (n: { capability: string | null; region: string | null; seq: number; person: string }) => `rollout:${n.capability}:${n.region}#${n.seq}#${n.person}`;

/** Clears the flag of a region that holds again; answers whether this call cleared it. */
export async function clearFlag(db: LedgerDb, f: { capability: string; region: string; at: number; day: string }): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const cleared = await tx
      .updateTable('rollout_stages')
      .set({ flagged_at: null })
      .where('capability', '=', f.capability)
      .where('region', '=', f.region)
      .where('flagged_at', 'is not', null)
      .executeTakeFirst();
    if (Number(cleared.numUpdatedRows) === 0) return false;
    await appendAudit(tx, [
      { idempotencyKey: `readiness-unflag:${place(f)}:${f.at}`, at: new Date(f.at).toISOString(), actor: 'system', action: 'rollout-flag-cleared', subjectType: 'rollout', subjectId: place(f), detail: { day: f.day } },
    ]);
    return true;
  });
}
