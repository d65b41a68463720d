import { formatDeadline, type MailKind } from '../domain/rules/mail.js';
import type { MailBody } from '../ledger/mail.js';

/** What the subject says came to the reader; a kind without a line here reads as its name. */
const HEADLINE: Partial<Record<MailKind, (b: MailBody) => string>> = {
  assignment: () => 'Assigned to you',
  escalation: (b) => `Escalated to you (level ${b.level})`,
  reassignment: () => 'Reassigned to you',
  moved: () => 'Moved to you',
  warning: () => 'SLA warning',
};

const headline = (b: MailBody) => HEADLINE[b.kind]?.(b) ?? `${b.kind[0]!.toUpperCase()}${b.kind.slice(1)}`;

export const exceptionLink = (consoleUrl: string, id: string) => `${consoleUrl.replace(/\/+$/, '')}/#/exception/${encodeURIComponent(id)}`;
export const decisionLink = (consoleUrl: string, id: string) => `${consoleUrl.replace(/\/+$/, '')}/#/decision/${encodeURIComponent(id)}`;
const preferencesLink = (consoleUrl: string) => `${consoleUrl.replace(/\/+$/, '')}/#/notifications`;

function item(b: MailBody, consoleUrl: string): string[] {
  return [
    `Why it came to you: ${b.reason}`,
    b.decisionId ? `A decision item, ${b.capability} in ${b.region}` : `Severity ${b.severity}, ${b.capability} in ${b.region}`,
    b.deadline === null ? 'No deadline runs now.' : `Due: ${formatDeadline(b.deadline, b.timeZone)}`,
    // A decision's mail opens the decision, never an exception.
    `Open it: ${b.decisionId ? decisionLink(consoleUrl, b.decisionId) : exceptionLink(consoleUrl, b.exceptionId ?? '')}`,
  ];
}

/** One notification's mail: the exception's title, why it came, the deadline in the reader's zone, a link. */
export function renderMail(b: MailBody, consoleUrl: string): { subject: string; text: string } {
  return {
    subject: `${headline(b)}: ${b.title}`,
    text: [
      b.title,
      '',
      ...item(b, consoleUrl),
      '',
      `Choose per kind whether these come at once, in a daily digest or only in your inbox: ${preferencesLink(consoleUrl)}`,
      '',
    ].join('\n'),
  };
}

/** A person's daily digest: every notification they chose to batch, oldest first. */
export function renderDigest(items: MailBody[], consoleUrl: string): { subject: string; text: string } {
  const sorted = [...items].sort((a, b) => a.at - b.at);
  const lines = sorted.flatMap((b, i) => [`${i + 1}. ${headline(b)}: ${b.title}`, ...item(b, consoleUrl).map((l) => `   ${l}`), '']);
  return {
    subject: `Your exception-desk digest: ${items.length} notification${items.length === 1 ? '' : 's'}`,
    text: [...lines, `Choose per kind whether these come at once, in a daily digest or only in your inbox: ${preferencesLink(consoleUrl)}`, ''].join('\n'),
  };
}
