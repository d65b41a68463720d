import { createHmac } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { deliverSignedPost, deliveryVerdict, WebhookDeliveryError, type AllowedHosts } from '../platform/webhook-target.js';
import type { LedgerDb } from '../ledger/db.js';
import type { Notification } from '../domain/rules/exception-model.js';
import { readRoute } from '../ledger/route.js';
import type { MailRouting } from '../ledger/mail.js';
import { recordTransition, type TransitionWrite, type WriteOutcome } from '../ledger/projection.js';

export interface ExceptionActivityDeps {
  ledger: LedgerDb;
  /** Signs webhook bodies (HMAC-SHA256) so receivers can check they came from us. */
  webhookSecret: string;
  webhookAllowedHosts?: AllowedHosts;
  /** Test-only: the ledger fence off, to show what it prevents. Never set in production. */
  unfencedLedger?: boolean;
  /** E-mail is on (SMTP_URL): transitions file mail rows in the outbox. */
  mail?: MailRouting;
}

export function createExceptionActivities(deps: ExceptionActivityDeps) {
  return {
    async resolveRoute(input: { capability: string; region: string; area: string; currentOwner: string | null }) {
      return readRoute(deps.ledger, input.capability, input.region, input.area, input.currentOwner);
    },

    /**
     * Writes one transition under its fence (ledger/projection.ts). Answers the outcome ('stale': a
     * later workflow task had already written) and the fence, which history keeps in the local
     * activity's marker: which attempt's write a committed transition stands on.
     */
    async recordTransition(input: TransitionWrite): Promise<{ outcome: WriteOutcome; fence: number }> {
      return { outcome: await recordTransition(deps.ledger, input, { fenced: !deps.unfencedLedger, mail: deps.mail }), fence: input.fence };
    },

    /**
     * Histories from before the outbox ('outbox' patch) schedule this from the workflow; new ones
     * deliver from the ledger's outbox (worker/outbox.ts). At least once: each notification carries an
     * idempotency key (exception id + event seq + person), so a receiver can drop the repeats our retries may send.
     */
    async deliverWebhook(input: { url: string; exceptionId: string; notifications: Notification[] }) {
      const body = JSON.stringify({
        exceptionId: input.exceptionId,
        notifications: input.notifications.map((n) => ({ ...n, at: new Date(n.at).toISOString(), idempotencyKey: `${input.exceptionId}#${n.seq}#${n.person}` })),
      });
      const timestamp = Math.floor(Date.now() / 1000).toString();
      const signature = createHmac('sha256', deps.webhookSecret).update(`${timestamp}.${body}`).digest('hex');
      const first = input.notifications[0]!;
      let status: number;
      try {
        ({ status } = await deliverSignedPost({
          url: input.url,
          headers: {
            'content-type': 'application/json',
            'x-exception-desk-timestamp': timestamp,
            'x-exception-desk-signature': `sha256=${signature}`,
            'idempotency-key': `${input.exceptionId}#${first.seq}`,
          },
          body,
          // The activity's cancellation (a worker shutting down) stops the delivery at once.
          signal: Context.current().cancellationSignal,
          allowedHosts: deps.webhookAllowedHosts ?? [],
          timeoutMs: 10_000,
        }));
      } catch (err) {
        if (err instanceof WebhookDeliveryError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, 'WebhookRefused');
        throw err;
      }
      const verdict = deliveryVerdict(status);
      if (verdict === 'refused') throw ApplicationFailure.nonRetryable(`webhook refused with ${status}`, 'WebhookRefused');
      if (verdict === 'retry') throw new Error(`webhook answered ${status}`);
    },
  };
}
