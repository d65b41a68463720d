import type { Kysely } from 'kysely';
import { decisionNotices, type DecisionEvent, type DecisionState } from '../domain/rules/decision.js';
import { deliveryOf, MAIL_KIND_OF_DECISION_NOTICE } from '../domain/rules/mail.js';
import { mailRow, parsePreferences, regionTimeZone, type MailBody, type MailRouting } from './mail.js';
import type { LedgerSchema } from './schema.js';

/** The idempotency key of a decision item's notice, as an exception's is `<exception id>#<seq>#<person>`. */
export const decisionNoticeKey = (n: { decision_id: string | null; seq: number; person: string }) => `${n.decision_id}#${n.seq}#${n.person}`;

/**
 * The inbox entries (and, with e-mail on, the mail rows) of a decision item's routed, rerouted and
 * escalated events, in the transaction that writes those events (ledger/decisions.ts recordDecision).
 * That write is a regular activity's, run only once history holds the transition, so the rows are facts
 * when they commit and the outbox sends them at once, as it does a readiness notice. Keyed by
 * `(decision_id, seq, person, kind)`: a retried activity writes nothing twice. Mail follows the person's
 * choice per kind (domain/rules/mail.ts MAIL_KIND_OF_DECISION_NOTICE); departed people get none.
 */
export async function writeDecisionNotices(tx: Kysely<LedgerSchema>, s: DecisionState, events: DecisionEvent[], now: number, mail: MailRouting | undefined): Promise<void> {
  const notices = decisionNotices(s, events);
  if (!notices.length) return;
  const about = { exception_id: null, decision_id: s.id, capability: s.capability, region: s.region };
  await tx
    .insertInto('inbox')
    .values(notices.map((n) => ({ ...about, person: n.person, seq: n.seq, kind: n.kind, level: n.level, reason: n.reason, at: n.at, fence: 0 })))
    .onConflict((oc) => oc.columns(['decision_id', 'seq', 'person', 'kind']).doNothing())
    .execute();
  if (!mail) return;
  const people = await tx.selectFrom('people').select(['id', 'email', 'status', 'notify_prefs']).where('id', 'in', [...new Set(notices.map((n) => n.person))]).execute();
  const byId = new Map(people.map((p) => [p.id, p]));
  let timeZone: string | undefined;
  const rows = [];
  for (const n of notices) {
    const person = byId.get(n.person);
    if (!person || person.status === 'departed') continue;
    const kind = MAIL_KIND_OF_DECISION_NOTICE[n.kind];
    // A decision has no severity; only a critical exception's escalation overrides a choice.
    const delivery = deliveryOf(parsePreferences(person.notify_prefs), kind, 'decision');
    if (delivery === 'inbox') continue;
    timeZone ??= await regionTimeZone(tx, s.capability, s.region);
    const body: MailBody = {
      kind,
      exceptionId: null,
      decisionId: s.id,
      capability: s.capability,
      region: s.region,
      title: s.summary,
      severity: 'decision',
      reason: n.reason,
      level: n.level,
      deadline: s.status === 'open' ? s.dueAt : null,
      timeZone,
      at: n.at,
      idempotencyKey: decisionNoticeKey({ decision_id: s.id, seq: n.seq, person: n.person }),
    };
    rows.push(mailRow(about, n, kind, delivery, person.email, body, 0, now, timeZone, mail.digestHour));
  }
  if (!rows.length) return;
  await tx
    .insertInto('outbox')
    .values(rows)
    .onConflict((oc) => oc.columns(['decision_id', 'seq', 'person', 'kind']).doNothing())
    .execute();
}
