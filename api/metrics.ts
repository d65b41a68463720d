import { performance } from 'node:perf_hooks';
import type { Connection } from '@temporalio/client';
import express, { type RequestHandler, type Router } from 'express';
import type { Config } from '../config/index.js';
import { findGaps, GapKind } from '../domain/gaps.js';
import type { LedgerDb } from '../ledger/db.js';
import { gapInputs } from '../ledger/gaps.js';
import { openExceptionGroups, outboxBacklog, slaWindows } from '../ledger/metrics.js';
import { cachedSource, metrics, metricsContentType, metricsText, registered, sourcedGauge } from '../platform/metrics.js';
import { mayScrape, sameSecret } from '../platform/scrape-access.js';
import { AppError } from './errors.js';

/** How long ledger-derived gauges are reused between refreshes: scrapes every few seconds cost one query. */
const LEDGER_TTL_MS = 5_000;
/** The gap audit reads every cell and open exception; it changes slowly, so it is refreshed less often. */
const GAPS_TTL_MS = 30_000;

/**
 * Observes each request's duration under its route template (set by the route builder in
 * res.locals.route), never its URL: the label stays bounded whatever paths clients send.
 */
export function httpMetrics(): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const route = (res.locals.route as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : 'other');
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, (performance.now() - started) / 1000);
    });
    next();
  };
}

/** Who may scrape: METRICS_SCRAPE by address (req.ip, so a proxy on loopback passes the real client on) and METRICS_TOKEN. */
export function metricsRouter(config: Pick<Config, 'METRICS_SCRAPE' | 'METRICS_TOKEN'>): Router {
  const router = express.Router();
  const access = config.METRICS_SCRAPE;
  if (access.kind === 'none') return router;

  router.get('/metrics', (req, res, next) => {
    res.locals.route = '/metrics';
    if (!mayScrape(access, req.ip)) {
      const allowed = access.kind === 'list' ? `loopback and ${access.entries.join(', ')}` : access.kind;
      return next(new AppError('FORBIDDEN', `Scraping /metrics is allowed from ${allowed} (METRICS_SCRAPE); not from ${req.ip ?? 'an unknown address'}.`));
    }
    if (config.METRICS_TOKEN && !sameSecret(req.headers.authorization ?? '', `Bearer ${config.METRICS_TOKEN}`)) {
      return next(new AppError('UNAUTHORIZED', 'Scraping /metrics needs Authorization: Bearer <METRICS_TOKEN>.'));
    }
    metricsText().then((text) => {
      res.type(metricsContentType).send(text);
    }, next);
  });
  return router;
}

let ledgerSource: LedgerDb | undefined;
let gapThresholds = { maxCellsPerPerson: 6, maxOpenPerOwner: 25 };
let temporalSource: { connection: Connection; namespace: string; taskQueue: string } | undefined;

/**
 * The gauges read from the ledger and from Temporal. Defined once per process; the latest API started
 * in it is the one they read (tests start several in one process, one after another).
 */
export function registerGauges(deps: {
  ledger: LedgerDb;
  connection: Connection;
  namespace: string;
  taskQueue: string;
  thresholds: { maxCellsPerPerson: number; maxOpenPerOwner: number };
}): void {
  ledgerSource = deps.ledger;
  gapThresholds = deps.thresholds;
  temporalSource = { connection: deps.connection, namespace: deps.namespace, taskQueue: deps.taskQueue };
  if (registered('exception_desk_open_exceptions')) return;

  const open = cachedSource('open_exceptions', LEDGER_TTL_MS, async () => {
    const now = Date.now();
    return { now, groups: await openExceptionGroups(ledgerSource!, now) };
  });
  sourcedGauge(
    { name: 'exception_desk_open_exceptions', help: 'Open and claimed exceptions, by capability, region, status and severity', labelNames: ['capability', 'region', 'status', 'severity'] },
    open,
    (v) => v.groups.map((g) => ({ labels: { capability: g.capability, region: g.region, status: g.status, severity: g.severity }, value: g.count })),
  );
  sourcedGauge(
    { name: 'exception_desk_overdue_exceptions', help: 'Open and claimed exceptions past their deadline (the queue\'s overdue flag)', labelNames: ['capability', 'region', 'severity'] },
    open,
    (v) => sumBy(v.groups, (g) => `${g.capability}\u0000${g.region}\u0000${g.severity}`, (g) => g.overdue).map(([key, value]) => {
      const [capability, region, severity] = key.split('\u0000') as [string, string, string];
      return { labels: { capability, region, severity }, value };
    }),
  );
  sourcedGauge(
    { name: 'exception_desk_oldest_open_age_seconds', help: 'Age of the oldest open or claimed exception, by capability, region and severity', labelNames: ['capability', 'region', 'severity'] },
    open,
    (v) => {
      const oldest = new Map<string, number>();
      for (const g of v.groups) {
        const key = `${g.capability}\u0000${g.region}\u0000${g.severity}`;
        oldest.set(key, Math.min(oldest.get(key) ?? Infinity, g.oldestCreatedAt));
      }
      return [...oldest].map(([key, at]) => {
        const [capability, region, severity] = key.split('\u0000') as [string, string, string];
        return { labels: { capability, region, severity }, value: Math.max(0, (v.now - at) / 1000) };
      });
    },
  );

  const windows = cachedSource('sla_windows', LEDGER_TTL_MS, () => slaWindows(ledgerSource!));
  sourcedGauge(
    { name: 'exception_desk_sla_window_seconds', help: "Each rolled-out region's SLA windows (claim, resolve) per severity, from its effective template", labelNames: ['capability', 'region', 'severity', 'sla'] },
    windows,
    (rows) => rows.flatMap((w) => [
      { labels: { capability: w.capability, region: w.region, severity: w.severity, sla: 'claim' }, value: w.claimSeconds },
      { labels: { capability: w.capability, region: w.region, severity: w.severity, sla: 'resolve' }, value: w.resolveSeconds },
    ]),
  );

  const outbox = cachedSource('outbox', LEDGER_TTL_MS, async () => ({ now: Date.now(), backlog: await outboxBacklog(ledgerSource!) }));
  sourcedGauge(
    { name: 'exception_desk_outbox_backlog', help: 'Notifications (webhooks, e-mail) waiting in the outbox (pending) or given up (failed)', labelNames: ['state'] },
    outbox,
    (v) => [
      { labels: { state: 'pending' }, value: v.backlog.pending },
      { labels: { state: 'failed' }, value: v.backlog.failed },
    ],
  );
  sourcedGauge(
    { name: 'exception_desk_outbox_oldest_pending_age_seconds', help: 'Age of the oldest undelivered outbox notification (0 when none waits)', labelNames: [] },
    outbox,
    (v) => [{ labels: {}, value: v.backlog.oldestPendingAt === null ? 0 : Math.max(0, (v.now - v.backlog.oldestPendingAt) / 1000) }],
  );

  const gaps = cachedSource('ownership_gaps', GAPS_TTL_MS, async () => findGaps(await gapInputs(ledgerSource!, gapThresholds)));
  sourcedGauge(
    { name: 'exception_desk_ownership_gaps', help: 'Findings of the ownership gap audit, by kind', labelNames: ['kind'] },
    gaps,
    // Every kind, zero included, so a panel or an alert can tell "none" from "not measured".
    (findings) => GapKind.map((kind) => ({ labels: { kind }, value: findings.filter((f) => f.kind === kind).length })),
  );

  const pollers = cachedSource('task_queue_pollers', LEDGER_TTL_MS, async () => {
    const t = temporalSource!;
    const count = async (taskQueueType: number) => {
      const queue = await t.connection.withDeadline(Date.now() + 3_000, () =>
        t.connection.workflowService.describeTaskQueue({ namespace: t.namespace, taskQueue: { name: t.taskQueue }, taskQueueType }),
      );
      const now = Date.now();
      // Long polls last about a minute: a live worker's last poll is never older than two.
      return (queue.pollers ?? []).filter((p) => now - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < 120_000).length;
    };
    try {
      return { workflow: await count(1), activity: await count(2) };
    } catch {
      // Temporal unreachable: no worker can poll it either, so say none rather than keep the last count.
      metrics.gaugeErrors.inc({ source: 'task_queue_pollers' });
      return { workflow: 0, activity: 0 };
    }
  });
  sourcedGauge(
    { name: 'exception_desk_task_queue_pollers', help: 'Workers that polled the task queue in the last two minutes, as Temporal reports them', labelNames: ['task_queue_type'] },
    pollers,
    (v) => [
      { labels: { task_queue_type: 'workflow' }, value: v.workflow },
      { labels: { task_queue_type: 'activity' }, value: v.activity },
    ],
  );
}

function sumBy<T>(items: T[], key: (item: T) => string, value: (item: T) => number): Array<[string, number]> {
  const sums = new Map<string, number>();
  for (const item of items) sums.set(key(item), (sums.get(key(item)) ?? 0) + value(item));
  return [...sums];
}
