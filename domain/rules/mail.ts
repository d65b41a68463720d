/**
 * Who gets an e-mail about a notification, when, and how it reads its deadline. Pure: the ledger's
 * writer (ledger/mail.ts), the outbox (worker/outbox.ts), the API and the console share these answers.
 */

import { instantOfLocal, localTimeAt } from './calendar.js';

/**
 * The notification kinds a person chooses a delivery for, keyed by the workflow's notification kind.
 * A new kind joins with one line here (early warnings: `warning: 'warning'`); a kind not listed (a
 * readiness notice) stays in the inbox.
 */
export const MAIL_KIND_OF_NOTICE = {
  assigned: 'assignment',
  escalated: 'escalation',
  reassigned: 'reassignment',
  warning: 'warning',
} as const satisfies Record<string, string>;

/** `moved`: work that came to a person because its owner departed, went on leave, or the matrix changed. */
export const MailKind = [...Object.values(MAIL_KIND_OF_NOTICE), 'moved'] as const;
export type MailKind = (typeof MailKind)[number];

/**
 * A decision item's notices (domain/rules/decision.ts decisionNotices) are mailed under the kinds a
 * person already chooses for: routed to you is an assignment, rerouted a move, escalated an escalation.
 */
export const MAIL_KIND_OF_DECISION_NOTICE = {
  'decision-routed': 'assignment',
  'decision-rerouted': 'moved',
  'decision-escalated': 'escalation',
} as const satisfies Record<string, MailKind>;

/** `now`: one e-mail per notification; `digest`: one e-mail a day with all of them; `inbox`: the console only. */
export const Delivery = ['now', 'digest', 'inbox'] as const;
export type Delivery = (typeof Delivery)[number];

export type MailPreferences = Partial<Record<MailKind, Delivery>>;

/** Unset kinds go out at once: owners live in their mailbox. */
export const DEFAULT_DELIVERY: Delivery = 'now';

/** Every kind with the person's choice or the default. */
export function effectivePreferences(prefs: MailPreferences): Record<MailKind, Delivery> {
  return Object.fromEntries(MailKind.map((k) => [k, prefs[k] ?? DEFAULT_DELIVERY])) as Record<MailKind, Delivery>;
}

/** How one notification reaches its person. A critical exception's escalation always goes now. */
export function deliveryOf(prefs: MailPreferences, kind: MailKind, severity: string): Delivery {
  if (kind === 'escalation' && severity === 'critical') return 'now';
  return prefs[kind] ?? DEFAULT_DELIVERY;
}

/**
 * The kind a person chooses for, from the notification and the events of its transition: an
 * assignment that follows an owner change (a reroute: departure, leave, matrix change) is a move.
 */
export function mailKindOf(notice: { kind: string; seq: number }, events: ReadonlyArray<{ seq: number; action: string }>): MailKind | null {
  const kind = (MAIL_KIND_OF_NOTICE as Record<string, MailKind>)[notice.kind];
  if (!kind) return null;
  if (kind === 'assignment' && events.some((e) => e.seq === notice.seq && e.action === 'owner-changed')) return 'moved';
  return kind;
}

/**
 * When a digest row falls due: the next `hour`:00 in the time zone after `now` (the person's
 * day starts with yesterday's digest). DST days have 23 or 25 hours; the hour stays the local one.
 */
export function nextDigestAt(now: number, timeZone: string, hour: number): number {
  const DAY = 86_400_000;
  const today = Math.floor(localTimeAt(timeZone, now) / DAY) * DAY;
  const at = instantOfLocal(timeZone, today + hour * 3_600_000);
  return at > now ? at : instantOfLocal(timeZone, today + DAY + hour * 3_600_000);
}

/** A deadline as its reader's clock shows it: "Mon 7 Dec 2026, 10:00 CET" (built from parts: ICU versions punctuate differently). */
export function formatDeadline(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(ms);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('weekday')} ${get('day')} ${get('month')} ${get('year')}, ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
}

/** True when the runtime knows the IANA zone (a template's `timeZone` that it does not know falls back to UTC). */
export function knownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * An SMTP refusal is permanent when the server answered 5xx: retrying will not help, and the person
 * is recorded unreachable. A 4xx answer, a refused or dropped connection or a timeout is retried.
 */
export function isPermanentRefusal(responseCode: number | undefined): boolean {
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
}
