import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { confirmFromWorkflow, readProjectionHead, rebuildTail, trimToWorkflow } from '../ledger/confirmation.js';
import type { LedgerDb } from '../ledger/db.js';
import type { MailRouting } from '../ledger/mail.js';
import { getRecentTransitions, type RecentTransitionsAnswer } from '../workflows/exception/messages.js';
import { queryWithRetry } from './ledger-verify.js';

export interface ConfirmerOptions {
  ledger: LedgerDb;
  client: Client;
  logger: Logger;
  /** How long after a write its workflow task is given to settle before the workflow is asked. */
  settleMs?: number;
  /** How often unconfirmed rows are looked for (also those another process wrote, or a crash left). */
  sweepEveryMs?: number;
  /** E-mail is on: a rebuilt tail files its mail rows again, as the original write did. */
  mail?: MailRouting;
}

export interface ConfirmStats {
  confirmed: number;
  /** Tails rebuilt from the transitions the workflow remembers, or trimmed to its seq. */
  repaired: number;
  /** Rows that differ from the workflow but that it remembers too little to rebuild (ledger:verify reports them). */
  unrepairable: number;
  checked: number;
}

/**
 * Confirms the ledger's transitions against history (ledger/confirmation.ts, decision 0009). An update
 * that returned confirms its own row when the receipt's digest matches (the API does that); a transition
 * made by a timer or a signal, one whose update never returned, and one whose row differs from its
 * receipt are checked here once the workflow task had time to settle: the workflow is asked for its
 * state and the transitions it remembers, and rows that another attempt wrote (or that never came) are
 * rebuilt from them. The outbox delivers confirmed transitions only.
 */
export function startConfirmer(options: ConfirmerOptions) {
  const settleMs = options.settleMs ?? 1500;
  const sweepEveryMs = options.sweepEveryMs ?? 1000;
  const stats: ConfirmStats = { confirmed: 0, repaired: 0, unrepairable: 0, checked: 0 };
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  async function check(id: string): Promise<void> {
    const head = await readProjectionHead(options.ledger, id);
    if (!head || head.confirmed_seq >= head.seq) return;
    stats.checked += 1;
    let answer: RecentTransitionsAnswer;
    try {
      answer = await queryWithRetry(() => options.client.workflow.getHandle(id).query(getRecentTransitions, head.confirmed_seq), 3);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) options.logger.warn({ exceptionId: id }, 'ledger row without a workflow; ledger:verify reports it');
      else options.logger.debug({ err, exceptionId: id }, 'confirmer could not ask the workflow; trying again later');
      return;
    }
    const observed = { fence: head.fence, seq: head.seq };
    const truth = answer.state;
    if (await confirmFromWorkflow(options.ledger, id, observed, truth)) {
      stats.confirmed += 1;
      return;
    }
    const outcome = await rebuildTail(options.ledger, id, observed, truth, answer.transitions, Date.now(), options.mail);
    if (outcome === 'rebuilt') {
      stats.repaired += 1;
      options.logger.warn({ exceptionId: id, ledgerSeq: head.seq, historySeq: truth.seq }, 'rebuilt a ledger tail that history does not hold');
    } else if (outcome === 'uncovered') {
      if (truth.seq < head.seq && (await trimToWorkflow(options.ledger, id, observed, truth))) {
        stats.repaired += 1;
        options.logger.warn({ exceptionId: id, ledgerSeq: head.seq, historySeq: truth.seq }, 'dropped a ledger tail that history does not hold');
      } else {
        stats.unrepairable += 1;
        options.logger.error({ exceptionId: id, ledgerSeq: head.seq, historySeq: truth.seq, confirmedSeq: head.confirmed_seq }, 'the ledger differs from history and the workflow remembers too little to rebuild it; ledger:verify reports it');
      }
    }
    // 'moved': written since it was read; the next round looks again.
  }

  async function sweep(): Promise<void> {
    const due = Date.now() - settleMs;
    const rows = await sql<{ id: string }>`select id from exceptions where seq > confirmed_seq and written_at <= ${due} order by written_at limit 200`.execute(options.ledger);
    for (const row of rows.rows) {
      if (stopped) return;
      await check(row.id).catch((err: unknown) => options.logger.warn({ err, exceptionId: row.id }, 'confirmer check failed'));
    }
  }

  const timer = setInterval(() => {
    running = running.then(sweep).catch((err: unknown) => options.logger.warn({ err }, 'confirmer sweep failed'));
  }, sweepEveryMs);
  timer.unref();

  return {
    stats,
    /** One pass now, whatever the settle time (ledger:verify and tests use it). */
    async settle(): Promise<void> {
      await running;
      const rows = await sql<{ id: string }>`select id from exceptions where seq > confirmed_seq`.execute(options.ledger);
      for (const row of rows.rows) await check(row.id);
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}

export type Confirmer = ReturnType<typeof startConfirmer>;
