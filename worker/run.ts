import type { AddressInfo } from 'node:net';
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
import { countedDelivery, countedMail, serveWorkerMetrics } from './metrics.js';
import { collectProcessMetrics } from '../platform/metrics.js';
import { startOutbox } from './outbox.js';
import { smtpSender } from '../platform/mailer.js';
import { timedQueries } from '../platform/query-timing.js';
import { ensureDecisionSchedule } from './decision-schedule.js';
import { ensureAttestationSchedules } from './attestation-schedule.js';
import { ensureReadinessSchedule } from './readiness-schedule.js';
import { createWorker } from './worker.js';

export interface RunningWorker {
  worker: Worker;
  confirmer: Confirmer;
  /** Where WORKER_METRICS_PORT serves this worker's /metrics, when set. */
  metricsUrl?: string;
  /** Settles when the worker stops; rejects if it failed. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorker(options: {
  config: Pick<
    Config,
    'TEMPORAL_TASK_QUEUE' | 'WEBHOOK_SECRET' | 'DATA_DIR' | 'WORKER_MAX_CACHED_WORKFLOWS' | 'WEBHOOK_ALLOWED_HOSTS' | 'HOST' | 'WORKER_METRICS_PORT' | 'METRICS_SCRAPE' | 'METRICS_TOKEN'
  > &
    Partial<Pick<Config, 'GAP_MAX_CELLS_PER_PERSON' | 'GAP_MAX_OPEN_PER_OWNER' | 'METRICS' | 'SMTP_URL' | 'SMTP_FROM' | 'SMTP_DIGEST_HOUR' | 'PUBLIC_URL' | 'PORT' | 'ATTESTATION_SCHEDULE'>>;
  target: TemporalTarget;
  ledger: LedgerDb;
  logger: Logger;
  workflowBundle?: WorkflowBundleOption;
  /** Overrides WORKER_MAX_CACHED_WORKFLOWS (the benchmark measures eviction). */
  maxCachedWorkflows?: number;
  shutdownForceTime?: string;
}): Promise<RunningWorker> {
  // METRICS=off: no query timing, activity interceptor, delivery counts or process metrics (the config refuses WORKER_METRICS_PORT then).
  const metricsOn = options.config.METRICS !== 'off';
  if (metricsOn) collectProcessMetrics();
  const ledger = metricsOn ? timedQueries(options.ledger) : options.ledger;
  const connection = await connectWorker(options.target);
  const client = new Client({ connection, namespace: options.target.namespace });
  const webhookSecret = options.config.WEBHOOK_SECRET ?? localSecret(options.config.DATA_DIR, 'webhook-secret');
  // SMTP_URL turns e-mail on: transitions file mail rows (ledger/mail.ts) and the outbox sends them.
  const { SMTP_URL: smtpUrl, SMTP_FROM: smtpFrom } = options.config;
  const mailRouting = smtpUrl && smtpFrom ? { digestHour: options.config.SMTP_DIGEST_HOUR ?? 7 } : undefined;
  const worker = await createWorker({
    connection,
    namespace: options.target.namespace,
    taskQueue: options.config.TEMPORAL_TASK_QUEUE,
    deps: {
      ledger,
      client,
      webhookSecret,
      webhookAllowedHosts: options.config.WEBHOOK_ALLOWED_HOSTS,
      gapThresholds: { maxCellsPerPerson: options.config.GAP_MAX_CELLS_PER_PERSON ?? 6, maxOpenPerOwner: options.config.GAP_MAX_OPEN_PER_OWNER ?? 25 },
      mail: mailRouting,
    },
    workflowBundle: options.workflowBundle,
    maxCachedWorkflows: options.maxCachedWorkflows ?? options.config.WORKER_MAX_CACHED_WORKFLOWS,
    shutdownForceTime: options.shutdownForceTime,
    identity: `exception-desk-worker/${process.pid}@${os.hostname()}`,
    metrics: metricsOn,
  });
  // A namespace that refuses schedules (permissions) leaves readiness without daily snapshots, not the desk down.
  await ensureReadinessSchedule(client, options.config.TEMPORAL_TASK_QUEUE, options.logger).catch((err: unknown) =>
    options.logger.warn({ err }, 'could not create the readiness-daily schedule; run `npm run readiness:backfill` to snapshot days by hand'),
  );
  await ensureDecisionSchedule(client, options.config.TEMPORAL_TASK_QUEUE, options.logger).catch((err: unknown) =>
    options.logger.warn({ err }, 'could not create the decision-triggers schedule; POST /api/v1/decisions/evaluate grades the triggers by hand'),
  );
  await ensureAttestationSchedules(client, options.config.TEMPORAL_TASK_QUEUE, options.config.ATTESTATION_SCHEDULE ?? [], options.logger).catch((err: unknown) =>
    options.logger.warn({ err }, 'could not put the ATTESTATION_SCHEDULE schedules in place; start campaigns by hand (POST /api/v1/capabilities/{id}/attestations)'),
  );
  // Beside the worker: confirming the ledger against history, and delivering the outbox.
  const confirmer = startConfirmer({ ledger, client, logger: options.logger, mail: mailRouting });
  // Checked against WEBHOOK_ALLOWED_HOSTS on the connection itself; redirects never followed.
  const post = async (url: string, init: { headers: Record<string, string>; body: string; signal: AbortSignal }) =>
    (await deliverSignedPost({ url, ...init, allowedHosts: options.config.WEBHOOK_ALLOWED_HOSTS, timeoutMs: 10_000 })).status;
  const consoleUrl = options.config.PUBLIC_URL ?? `http://${options.config.HOST.includes(':') ? `[${options.config.HOST}]` : options.config.HOST}:${options.config.PORT ?? 3000}`;
  const sender = mailRouting ? smtpSender(smtpUrl!, smtpFrom!) : undefined;
  // The server, never the credentials in the URL.
  if (sender) options.logger.info({ smtp: `${new URL(smtpUrl!).protocol}//${new URL(smtpUrl!).host}`, from: smtpFrom, consoleUrl }, 'e-mail notifications on');
  const mail = sender ? { sender: metricsOn ? countedMail(sender) : sender, from: smtpFrom!, consoleUrl } : undefined;
  const outbox = startOutbox({ ledger, logger: options.logger, webhookSecret, post: metricsOn ? countedDelivery(post) : post, mail });
  const { WORKER_METRICS_PORT: metricsPort, HOST: host } = options.config;
  const metricsServer = metricsPort === undefined
    ? undefined
    : await serveWorkerMetrics({ host, port: metricsPort, access: options.config.METRICS_SCRAPE, token: options.config.METRICS_TOKEN });
  const done = worker
    .run()
    .finally(() => Promise.all([confirmer.stop(), outbox.stop(), new Promise((resolve) => (metricsServer ? metricsServer.close(resolve) : resolve(undefined)))]))
    .finally(() => connection.close());
  const metricsUrl = metricsServer ? `http://${host.includes(':') ? `[${host}]` : host}:${(metricsServer.address() as AddressInfo).port}/metrics` : undefined;
  options.logger.info({ taskQueue: options.config.TEMPORAL_TASK_QUEUE, namespace: options.target.namespace, ...(metricsUrl ? { metrics: metricsUrl } : {}) }, 'worker polling');
  return {
    worker,
    done,
    confirmer,
    metricsUrl,
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
