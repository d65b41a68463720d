import os from 'node:os';
import { Client } from '@temporalio/client';
import type { Worker, WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { localSecret } from '../config/secrets.js';
import type { LedgerDb } from '../ledger/db.js';
import { connectWorker, type TemporalTarget } from '../platform/temporal-connection.js';
import { startConfirmer, type Confirmer } from './confirmer.js';
import { deliverSignedPost } from '../platform/webhook-target.js';
import { startOutbox } from './outbox.js';
import { createWorker } from './worker.js';

export interface RunningWorker {
  worker: Worker;
  confirmer: Confirmer;
  /** Settles when the worker stops; rejects if it failed. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorker(options: {
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'WEBHOOK_SECRET' | 'DATA_DIR' | 'WORKER_MAX_CACHED_WORKFLOWS' | 'WEBHOOK_ALLOWED_HOSTS'>;
  target: TemporalTarget;
  ledger: LedgerDb;
  logger: Logger;
  workflowBundle?: WorkflowBundleOption;
  /** Overrides WORKER_MAX_CACHED_WORKFLOWS (the benchmark measures eviction). */
  maxCachedWorkflows?: number;
  shutdownForceTime?: string;
}): Promise<RunningWorker> {
  const connection = await connectWorker(options.target);
  const client = new Client({ connection, namespace: options.target.namespace });
  const webhookSecret = options.config.WEBHOOK_SECRET ?? localSecret(options.config.DATA_DIR, 'webhook-secret');
  const worker = await createWorker({
    connection,
    namespace: options.target.namespace,
    taskQueue: options.config.TEMPORAL_TASK_QUEUE,
    deps: { ledger: options.ledger, client, webhookSecret, webhookAllowedHosts: options.config.WEBHOOK_ALLOWED_HOSTS },
    workflowBundle: options.workflowBundle,
    maxCachedWorkflows: options.maxCachedWorkflows ?? options.config.WORKER_MAX_CACHED_WORKFLOWS,
    shutdownForceTime: options.shutdownForceTime,
    identity: `exception-desk-worker/${process.pid}@${os.hostname()}`,
  });
  // Beside the worker: confirming the ledger against history, and delivering the outbox.
  const confirmer = startConfirmer({ ledger: options.ledger, client, logger: options.logger });
  const outbox = startOutbox({
    ledger: options.ledger,
    logger: options.logger,
    webhookSecret,
    // Checked against WEBHOOK_ALLOWED_HOSTS on the connection itself; redirects never followed.
    post: async (url, init) => (await deliverSignedPost({ url, ...init, allowedHosts: options.config.WEBHOOK_ALLOWED_HOSTS, timeoutMs: 10_000 })).status,
  });
  const done = worker
    .run()
    .finally(() => Promise.all([confirmer.stop(), outbox.stop()]))
    .finally(() => connection.close());
  options.logger.info({ taskQueue: options.config.TEMPORAL_TASK_QUEUE, namespace: options.target.namespace }, 'worker polling');
  return {
    worker,
    done,
    confirmer,
    async shutdown() {
      void outbox.stop();
      // The confirmer asks workflows that this worker answers: it stops first, or its check in flight
      // waits on a query nobody serves until the server gives up (about 30 s an attempt).
      await confirmer.stop();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch(() => undefined);
    },
  };
}
