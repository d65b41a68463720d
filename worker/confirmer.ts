import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { ExceptionState } from '../domain/rules/exception-model.js';
import type { LedgerDb } from '../ledger/db.js';
import { confirmThrough, readProjectionHead, repairFromWorkflow } from '../ledger/projection.js';
import { getException } from '../workflows/exception/messages.js';
import { queryWithRetry } from './ledger-verify.js';

export interface ConfirmerOptions {
  ledger: LedgerDb;
  client: Client;
  logger: Logger;
  /** How long after a write its workflow task is given to settle before the workflow is asked. */
  settleMs?: number;
  /** How often unconfirmed rows are looked for (also those another process wrote, or a crash left). */
  sweepEveryMs?: number;
}

export interface ConfirmStats {
  confirmed: number;
  repaired: number;
  checked: number;
}

/**
 * Confirms the ledger's transitions against history. An update that returned confirms its own seq
 * (the API does that); a transition made by a timer or a signal, or one whose update never returned,
 * is confirmed here once its workflow task had time to settle: the workflow is asked for its state,
 * and a tail that a failed workflow task wrote and no later task replaced is dropped
 * (ledger/projection.ts). The outbox delivers confirmed transitions only.
 */
export function startConfirmer(options: ConfirmerOptions) {
  const settleMs = options.settleMs ?? 1500;
  const sweepEveryMs = options.sweepEveryMs ?? 1000;
  const stats: ConfirmStats = { confirmed: 0, repaired: 0, checked: 0 };
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  async function check(id: string): Promise<void> {
    const head = await readProjectionHead(options.ledger, id);
    if (!head || head.confirmed_seq >= head.seq) return;
    stats.checked += 1;
    let truth: ExceptionState;
    try {
      truth = await queryWithRetry(() => options.client.workflow.getHandle(id).query(getException), 3);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) options.logger.warn({ exceptionId: id }, 'ledger row without a workflow; ledger:verify reports it');
      else options.logger.debug({ err, exceptionId: id }, 'confirmer could not ask the workflow; trying again later');
      return;
    }
    if (truth.seq === head.seq) {
      await confirmThrough(options.ledger, id, truth.seq);
      stats.confirmed += 1;
    } else if (truth.seq < head.seq) {
      if (await repairFromWorkflow(options.ledger, id, { fence: head.fence, seq: head.seq }, truth)) {
        stats.repaired += 1;
        options.logger.warn({ exceptionId: id, ledgerSeq: head.seq, historySeq: truth.seq }, 'dropped a ledger tail that history does not hold');
      }
    }
    // truth.seq > head.seq: a later transition is being written right now; the next round sees it.
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
