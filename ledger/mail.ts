import type { Kysely } from 'kysely';
import type { CapabilityTemplate } from '../domain/capability.js';
import type { ExceptionEvent, ExceptionState, Notification } from '../domain/rules/exception-model.js';
import { deliveryOf, knownTimeZone, mailKindOf, nextDigestAt, type MailKind, type MailPreferences } from '../domain/rules/mail.js';
import { overdueAt } from '../domain/rules/overdue.js';
import type { LedgerDb } from './db.js';
import type { LedgerSchema } from './schema.js';

/** E-mail is on (SMTP_URL set): how the writer files a mail row. */
export interface MailRouting {
  /** The local hour (in the region's time zone) a person's daily digest goes out. */
  digestHour: number;
}

/** What a mail row carries: everything the message needs, fixed when its transition was written. */
export interface MailBody {
  kind: MailKind;
  /** null on a decision item's mail, which names its decision instead (ledger/decision-notices.ts). */
  exceptionId: string | null;
  decisionId?: string;
  capability: string;
  region: string;
  title: string;
  severity: string;
  reason: string;
  level: number;
  /** The next deadline (claim-by while open, resolve-by once claimed), or null when none runs. */
  deadline: number | null;
  timeZone: string;
  at: number;
  idempotencyKey: string;
}

/**
 * Files a mail row in the outbox for each notification its person wants by e-mail, in the transition's
 * own transaction (so a superseded attempt's rows go with its tail, ledger/projection.ts dropTail, and
 * nothing leaves before the transition is confirmed). `email` rows go at once; `digest` rows wait until
 * the next digest hour in the region's time zone; an `inbox` choice files nothing (the inbox row is
 * the notification). The person's address and choice are read now: a later change applies to later mail.
 */
export async function writeMail(
  tx: Kysely<LedgerSchema>,
  state: ExceptionState,
  events: ExceptionEvent[],
  notifications: Notification[],
  fence: number,
  now: number,
  routing: MailRouting,
): Promise<void> {
  const wanted = notifications.flatMap((n) => {
    const kind = mailKindOf(n, events);
    return kind ? [{ n, kind }] : [];
  });
  if (!wanted.length) return;
  const people = await tx
    .selectFrom('people')
    .select(['id', 'email', 'status', 'notify_prefs'])
    .where('id', 'in', [...new Set(wanted.map((w) => w.n.person))])
    .execute();
  const byId = new Map(people.map((p) => [p.id, p]));
  let timeZone: string | undefined;
  const rows = [];
  for (const { n, kind } of wanted) {
    const person = byId.get(n.person);
    if (!person || person.status === 'departed') continue;
    const delivery = deliveryOf(parsePreferences(person.notify_prefs), kind, state.severity);
    if (delivery === 'inbox') continue;
    timeZone ??= await regionTimeZone(tx, state.capability, state.region);
    const idempotencyKey = `${state.id}#${n.seq}#${n.person}`;
    const body: MailBody = {
      kind,
      exceptionId: state.id,
      capability: state.capability,
      region: state.region,
      title: state.title,
      severity: state.severity,
      reason: n.reason,
      level: n.level,
      deadline: overdueAt(state) ?? (state.status === 'open' || state.status === 'claimed' ? state.resolveBy : null),
      timeZone,
      at: n.at,
      idempotencyKey,
    };
    rows.push(mailRow({ exception_id: state.id, decision_id: null }, n, kind, delivery, person.email, body, fence, now, timeZone, routing.digestHour));
  }
  if (!rows.length) return;
  await tx
    .insertInto('outbox')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['exception_id', 'seq', 'person', 'kind'])
        .doUpdateSet((eb) => ({ body: eb.ref('excluded.body'), target: eb.ref('excluded.target'), channel: eb.ref('excluded.channel'), fence: eb.ref('excluded.fence'), next_attempt_at: eb.ref('excluded.next_attempt_at') }))
        .where('outbox.delivered_at', 'is', null),
    )
    .execute();
}

/**
 * One mail's outbox row, for an exception's notification or a decision item's notice (`about`): sent
 * at once (`email`), or held until the person's next digest hour in the region's time zone (`digest`).
 */
export function mailRow(
  /** What it is about: an exception, or a decision item with its capability and region (the outbox's `outbox_about` check). */
  about: { exception_id: string | null; decision_id: string | null; capability?: string; region?: string },
  n: { seq: number; person: string },
  kind: MailKind,
  delivery: 'now' | 'digest',
  target: string,
  body: MailBody,
  fence: number,
  now: number,
  timeZone: string,
  digestHour: number,
) {
  return {
    ...about,
    seq: n.seq,
    person: n.person,
    // `email:`: never a notification kind, so the webhook row of the same notification keeps its own key.
    kind: mailRowKind(kind),
    channel: delivery === 'now' ? 'email' : 'digest',
    target,
    body: JSON.stringify(body),
    fence,
    created_at: now,
    next_attempt_at: delivery === 'now' ? now : nextDigestAt(now, timeZone, digestHour),
  };
}

/** An outbox mail row's kind: `email:assignment`, … (the unique key `(exception_id, seq, person, kind)` spans channels). */
export const mailRowKind = (kind: MailKind) => `email:${kind}`;

export function parsePreferences(text: string | null | undefined): MailPreferences {
  try {
    const parsed = JSON.parse(text ?? '{}') as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as MailPreferences) : {};
  } catch {
    return {};
  }
}

const zoneCache = new Map<string, { zone: string; until: number }>();

/**
 * The region's time zone from its effective template (the core template's where the region has no
 * rollout yet; UTC when neither names one the runtime knows). Cached a minute: templates change rarely,
 * and a transition with notifications should not parse one every time.
 */
export async function regionTimeZone(db: Kysely<LedgerSchema> | LedgerDb, capability: string, region: string): Promise<string> {
  const key = `${capability}/${region}`;
  const cached = zoneCache.get(key);
  if (cached && cached.until > Date.now()) return cached.zone;
  const effective = await db.selectFrom('capability_regions').select('effective').where('capability_id', '=', capability).where('region', '=', region).executeTakeFirst();
  const core = effective ? undefined : await db.selectFrom('capabilities').select('template').where('id', '=', capability).executeTakeFirst();
  const text = effective?.effective ?? core?.template;
  let zone = 'UTC';
  try {
    const candidate = text ? (JSON.parse(text) as Partial<CapabilityTemplate>).timeZone : undefined;
    if (candidate && knownTimeZone(candidate)) zone = candidate;
  } catch {
    // an unreadable template reads as UTC
  }
  zoneCache.set(key, { zone, until: Date.now() + 60_000 });
  return zone;
}

/** A permanent refusal (5xx) of the person's address: the gap audit shows them unreachable from now on. */
export async function recordUnreachable(db: LedgerDb, person: string, reason: string, at = new Date()): Promise<void> {
  await db.updateTable('people').set({ unreachable_at: at.toISOString(), unreachable_reason: reason.slice(0, 500) }).where('id', '=', person).execute();
}

/** A mail got through: the person is reachable again (a no-op write for the usual reachable person). */
export async function recordReachable(db: LedgerDb, person: string): Promise<void> {
  await db.updateTable('people').set({ unreachable_at: null, unreachable_reason: null }).where('id', '=', person).where('unreachable_at', 'is not', null).execute();
}
