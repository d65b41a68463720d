import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { LedgerDb } from '../ledger/db.js';
import { recordReachable, recordUnreachable, type MailBody } from '../ledger/mail.js';
import type { LedgerSchema } from '../ledger/schema.js';
import { MailDeliveryError, messageIdFor, type MailSender } from '../platform/mailer.js';
import { renderDigest, renderMail } from './mail-message.js';

export interface MailOutboxOptions {
  sender: MailSender;
  /** SMTP_FROM: its domain names the Message-IDs. */
  from: string;
  /** Where the console is (PUBLIC_URL, else the API's own address): every mail links to the exception there. */
  consoleUrl: string;
  /**
   * Attempts before a temporarily failing mail is given up: with the 5-minute backoff cap, 60 cover
   * about four and a half hours of a mail server that is down (a webhook gives up after 12).
   */
  maxAttempts?: number;
}

/** Mail channels in the outbox (ledger/mail.ts): `email` at once, `digest` batched per person. */
export const MAIL_CHANNELS = ['email', 'digest'] as const;
/** A mail row's lease: longer than nodemailer's connection, greeting and socket timeouts together. */
export const MAIL_LEASE_MS = 120_000;
/** Items in one digest; more wait for the next. */
export const DIGEST_MAX_ITEMS = 200;

export interface MailRow {
  id: number;
  person: string;
  channel: string;
  target: string;
  body: string;
  attempts: number;
}

const BACKOFF_CAP_MS = 5 * 60_000;

/**
 * Why the digest is the outbox's and not a Temporal Schedule's (like readiness-daily): its rows are
 * already durable, confirmed-only, leased and retried here, and each person's day starts at their own
 * region's hour; a schedule would need per-person state or a scan that re-sends what a crash
 * interrupted. Here a row is due at its hour (`next_attempt_at`), and the batch is recorded sent in one
 * update after the server took the mail: at least once, and once in the normal case.
 *
 * The rest of each claimed digest row's person's pending digest: every confirmed, unleased digest row
 * of theirs, due or not, joins the one that fell due, so a person gets one digest a day, not one per
 * region. Leased in the claim's transaction (PostgreSQL: rows another worker holds are skipped).
 */
export async function claimDigestCompanions(tx: Kysely<LedgerSchema>, people: string[], claimedIds: number[], now: number, postgres: boolean): Promise<MailRow[]> {
  if (!people.length) return [];
  const rows = await tx
    .selectFrom('outbox')
    .leftJoin('exceptions', 'exceptions.id', 'outbox.exception_id')
    .select(['outbox.id', 'outbox.person', 'outbox.channel', 'outbox.target', 'outbox.body', 'outbox.attempts'])
    .where('outbox.channel', '=', 'digest')
    .where('outbox.person', 'in', people)
    .where(sql<boolean>`outbox.delivered_at is null and outbox.failed_at is null`)
    .where('outbox.locked_until', '<=', now)
    // A decision item's mail is a fact once written (ledger/decision-notices.ts); an exception's waits for its confirmation.
    .where(sql<boolean>`(outbox.seq <= exceptions.confirmed_seq or outbox.decision_id is not null)`)
    .$if(claimedIds.length > 0, (q) => q.where('outbox.id', 'not in', claimedIds))
    .orderBy('outbox.id')
    .limit(DIGEST_MAX_ITEMS)
    .$if(postgres, (q) => q.forUpdate('outbox').skipLocked())
    .execute();
  if (rows.length) await tx.updateTable('outbox').set({ locked_until: now + MAIL_LEASE_MS }).where('id', 'in', rows.map((r) => r.id)).execute();
  return rows;
}

/**
 * Sends mail rows at least once. A mail's Message-ID comes from its notification's idempotency key (a
 * digest's from its rows), so a repeat after a crash between sending and recording collapses in the
 * reader's client. A 5xx refusal fails the rows for good and records the person unreachable (the gap
 * audit's `unreachable-owner`); a 4xx, a refused connection or a timeout is retried with backoff; a
 * mail that gets through clears an earlier refusal.
 */
export function mailDelivery(ledger: LedgerDb, logger: Logger, options: MailOutboxOptions) {
  const maxAttempts = options.maxAttempts ?? 60;

  async function settle(rows: MailRow[], error: MailDeliveryError | null): Promise<void> {
    const ids = rows.map((r) => r.id);
    const now = Date.now();
    const attempts = Math.max(...rows.map((r) => r.attempts)) + 1;
    // The rows and the person's reachability change together: a row seen failed for good always comes
    // with its person marked unreachable (the gap audit reads both).
    if (!error) {
      await ledger.transaction().execute(async (tx) => {
        await tx.updateTable('outbox').set({ delivered_at: now, attempts, last_error: null, locked_until: 0 }).where('id', 'in', ids).execute();
        await recordReachable(tx, rows[0]!.person);
      });
      return;
    }
    const failed = error.permanent || attempts >= maxAttempts;
    const backoff = Math.min(1000 * 2 ** (attempts - 1), BACKOFF_CAP_MS);
    await ledger.transaction().execute(async (tx) => {
      await tx
        .updateTable('outbox')
        .set({ attempts, last_error: error.message, locked_until: 0, next_attempt_at: now + backoff, ...(failed ? { failed_at: now } : {}) })
        .where('id', 'in', ids)
        .execute();
      if (error.permanent) await recordUnreachable(tx, rows[0]!.person, error.message);
    });
    if (failed) logger.warn({ person: rows[0]!.person, rows: ids, attempts, error: error.message, permanent: error.permanent }, 'mail delivery given up');
  }

  async function send(rows: MailRow[], mail: { subject: string; text: string }, key: string): Promise<void> {
    let error: MailDeliveryError | null = null;
    try {
      await options.sender.send({
        // A digest goes to the address its newest row was filed for (the person may have changed it since).
        to: rows.reduce((a, b) => (b.id > a.id ? b : a)).target,
        ...mail,
        messageId: messageIdFor(key, options.from),
        headers: { 'X-Exception-Desk-Idempotency-Key': key, 'Auto-Submitted': 'auto-generated' },
      });
    } catch (err) {
      error = err instanceof MailDeliveryError ? err : new MailDeliveryError((err as Error).message.slice(0, 500), false);
    }
    await settle(rows, error);
  }

  return {
    /** One notification, now. */
    async one(row: MailRow): Promise<void> {
      const body = JSON.parse(row.body) as MailBody;
      await send([row], renderMail(body, options.consoleUrl), body.idempotencyKey);
    },
    /** One person's digest: all their rows in one mail, all recorded together. */
    async digest(rows: MailRow[]): Promise<void> {
      const bodies = rows.map((r) => JSON.parse(r.body) as MailBody);
      const key = `digest#${rows[0]!.person}#${rows.map((r) => r.id).sort((a, b) => a - b).join(',')}`;
      await send(rows, renderDigest(bodies, options.consoleUrl), key);
    },
  };
}
