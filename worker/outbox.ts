import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { LedgerDb } from '../ledger/db.js';
import { isPostgres } from '../ledger/dialect.js';
import { noticeKey } from '../ledger/readiness-notices.js';
import { claimDigestCompanions, MAIL_CHANNELS, MAIL_LEASE_MS, mailDelivery, type MailOutboxOptions, type MailRow } from './outbox-mail.js';

export interface OutboxOptions {
  ledger: LedgerDb;
  logger: Logger;
  /** Signs bodies (HMAC-SHA256 over `timestamp.body`) so receivers can check they came from us. */
  webhookSecret: string;
  /** Sends one signed POST; answers the HTTP status. Must honour the signal. */
  post: (url: string, init: { headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<number>;
  /** Deliveries in flight at once: a hanging receiver can hold no more than these. */
  concurrency?: number;
  pollEveryMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  /** E-mail is on (SMTP_URL): mail rows (worker/outbox-mail.ts) leave too. Off: they stay where they are. */
  mail?: MailOutboxOptions;
}

const BACKOFF_CAP_MS = 5 * 60_000;

/**
 * Delivers notifications from the ledger's outbox, at least once, each with its idempotency key.
 * Rows are written in the same transaction as their transition, and sent only once that transition is
 * confirmed in history, so a continue-as-new, a worker kill -9 or a closed exception loses none and a
 * superseded workflow task's notification is never sent. A notice about a rollout (a production region
 * below its cutover thresholds, ledger/readiness-notices.ts) has no exception and no history to wait
 * for: it leaves as soon as its transaction commits, with the same signing, retries and leases. A row is
 * leased while in flight, so several workers share the outbox without sending a row twice at once.
 */
export function startOutbox(options: OutboxOptions) {
  const concurrency = options.concurrency ?? 8;
  const maxAttempts = options.maxAttempts ?? 12;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let polling: Promise<void> = Promise.resolve();
  const postgres = isPostgres(options.ledger);
  const mail = options.mail ? mailDelivery(options.ledger, options.logger, options.mail) : undefined;

  async function claimBatch(limit: number) {
    const now = Date.now();
    return options.ledger.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('outbox')
        .leftJoin('exceptions', 'exceptions.id', 'outbox.exception_id')
        .select(['outbox.id', 'outbox.exception_id', 'outbox.capability', 'outbox.region', 'outbox.seq', 'outbox.person', 'outbox.channel', 'outbox.target', 'outbox.body', 'outbox.attempts'])
        .where(sql<boolean>`delivered_at is null and failed_at is null`)
        // Without SMTP_URL, mail rows filed while it was set wait for it to come back.
        .$if(!mail, (q) => q.where('outbox.channel', 'not in', MAIL_CHANNELS))
        .where('outbox.next_attempt_at', '<=', now)
        .where('outbox.locked_until', '<=', now)
        // An exception's notification leaves once its transition is confirmed in history (never while
        // its exception row is missing); a notice about a rollout or a decision item's mail (no exception
        // id; ledger/decision-notices.ts) is a committed fact.
        .where(sql<boolean>`(outbox.seq <= exceptions.confirmed_seq or (outbox.exception_id is null and outbox.capability is not null))`)
        .orderBy('outbox.next_attempt_at')
        .limit(limit)
        // PostgreSQL: several workers claim at once on their own connections; each takes rows no other
        // claim holds. (SQLite has one writer: the lease update below is never raced there.)
        .$if(postgres, (q) => q.forUpdate('outbox').skipLocked())
        .execute();
      const isMail = (r: (typeof rows)[number]) => (MAIL_CHANNELS as readonly string[]).includes(r.channel);
      const posts = rows.filter((r) => !isMail(r)).map((r) => r.id);
      const mails = rows.filter(isMail).map((r) => r.id);
      if (posts.length) await tx.updateTable('outbox').set({ locked_until: now + timeoutMs * 2 }).where('id', 'in', posts).execute();
      if (mails.length) await tx.updateTable('outbox').set({ locked_until: now + MAIL_LEASE_MS }).where('id', 'in', mails).execute();
      const digests = rows.filter((r) => r.channel === 'digest');
      const companions = await claimDigestCompanions(tx, [...new Set(digests.map((r) => r.person))], digests.map((r) => r.id), now, postgres);
      return { posts: rows.filter((r) => !isMail(r)), mails: rows.filter((r) => r.channel === 'email'), digests: groupByPerson([...digests, ...companions]) };
    });
  }

  async function deliver(row: Awaited<ReturnType<typeof claimBatch>>['posts'][number]): Promise<void> {
    const notice = row.exception_id === null;
    const about = notice ? { rollout: { capability: row.capability, region: row.region } } : { exceptionId: row.exception_id };
    const body = JSON.stringify({ ...about, notifications: [JSON.parse(row.body) as unknown] });
    const timestamp = Math.floor(Date.now() / 1000).toString();
    const signature = createHmac('sha256', options.webhookSecret).update(`${timestamp}.${body}`).digest('hex');
    const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]);
    const attempts = row.attempts + 1;
    let error: string | null = null;
    let retry = true;
    try {
      const status = await options.post(row.target, {
        headers: {
          'content-type': 'application/json',
          'x-exception-desk-timestamp': timestamp,
          'x-exception-desk-signature': `sha256=${signature}`,
          'idempotency-key': notice ? noticeKey(row) : `${row.exception_id}#${row.seq}#${row.person}`,
        },
        body,
        signal,
      });
      if (status >= 200 && status < 300) {
        await options.ledger.updateTable('outbox').set({ delivered_at: Date.now(), attempts, last_error: null }).where('id', '=', row.id).execute();
        return;
      }
      error = `answered ${status}`;
      // A 4xx other than 408/429 will not get better by retrying; nor will a redirect we never follow.
      retry = !(status >= 300 && status < 500 && status !== 408 && status !== 429);
    } catch (err) {
      if (stopping.signal.aborted) {
        await options.ledger.updateTable('outbox').set({ locked_until: 0 }).where('id', '=', row.id).execute();
        return;
      }
      error = (err as Error).message.slice(0, 500);
      retry = (err as { retryable?: boolean }).retryable !== false;
    }
    const failed = !retry || attempts >= maxAttempts;
    const backoff = Math.min(1000 * 2 ** (attempts - 1), BACKOFF_CAP_MS);
    await options.ledger
      .updateTable('outbox')
      .set({ attempts, last_error: error, locked_until: 0, next_attempt_at: Date.now() + backoff, ...(failed ? { failed_at: Date.now() } : {}) })
      .where('id', '=', row.id)
      .execute();
    if (failed) options.logger.warn({ exceptionId: row.exception_id, rollout: notice ? `${row.capability}:${row.region}` : undefined, seq: row.seq, attempts, error }, 'webhook delivery given up');
  }

  async function poll(): Promise<void> {
    const free = concurrency - inFlight.size;
    if (free <= 0 || stopping.signal.aborted) return;
    const batch = await claimBatch(free);
    const work = [...batch.posts.map((row) => () => deliver(row)), ...batch.mails.map((row) => () => mail!.one(row)), ...batch.digests.map((rows) => () => mail!.digest(rows))];
    for (const run of work) {
      const p: Promise<void> = run()
        .catch((err: unknown) => options.logger.warn({ err }, 'outbox delivery bookkeeping failed'))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }

  const timer = setInterval(() => {
    polling = polling.then(poll).catch((err: unknown) => options.logger.warn({ err }, 'outbox poll failed'));
  }, options.pollEveryMs ?? 250);
  timer.unref();

  return {
    /** Stops polling and aborts deliveries in flight (their rows are sent again later). */
    async stop(): Promise<void> {
      clearInterval(timer);
      stopping.abort();
      await polling.catch(() => undefined);
      await Promise.allSettled([...inFlight]);
      options.mail?.sender.close();
    },
  };
}

function groupByPerson(rows: MailRow[]): MailRow[][] {
  const groups = new Map<string, MailRow[]>();
  for (const row of rows) groups.set(row.person, [...(groups.get(row.person) ?? []), row]);
  return [...groups.values()];
}
