import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import { isPermanentRefusal } from '../domain/rules/mail.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** `<hash@domain>`: the same for every attempt at one notification, so mail clients collapse repeats. */
  messageId: string;
  headers: Record<string, string>;
}

/** A refusal or failure to send; `permanent` when the server answered 5xx (retrying will not help). */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MailDeliveryError';
  }
}

export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * Sends through the SMTP server of `url` (`smtp://` upgrades with STARTTLS when offered, `smtps://` is
 * TLS from the start; credentials in the URL). One connection per mail: the outbox sends few at once,
 * and a server restarted between two mails costs nothing. Timeouts keep a hanging server from
 * holding an outbox slot for long; those count as temporary, like a refused connection or a 4xx.
 */
export function smtpSender(url: string, from: string): MailSender {
  const u = new URL(url);
  const transport = nodemailer.createTransport({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : u.protocol === 'smtps:' ? 465 : 587,
    secure: u.protocol === 'smtps:',
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(mail) {
      try {
        await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, messageId: mail.messageId, headers: mail.headers });
      } catch (err) {
        const e = err as Error & { responseCode?: number; response?: string };
        throw new MailDeliveryError((e.response ?? e.message).slice(0, 500), isPermanentRefusal(e.responseCode));
      }
    },
    close: () => transport.close(),
  };
}

/** The bare address of a From such as `Desk <desk@example.com>`. */
export function addressOf(from: string): string {
  return /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from.trim();
}

/** A Message-ID derived from an idempotency key: every attempt at one notification carries the same one. */
export function messageIdFor(key: string, from: string): string {
  const domain = addressOf(from).split('@')[1] ?? 'exception-desk.invalid';
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 40)}@${domain}>`;
}
