import { MailDeliveryError, type MailSender } from '../platform/mailer.js';
import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { ExceptionEvent, ExceptionState } from '../domain/rules/exception-model.js';
import type { TransitionWrite } from '../ledger/projection.js';
import { boundedLabel, metrics, metricsContentType, metricsText } from '../platform/metrics.js';
import { mayScrape, sameSecret, type ScrapeAccess } from '../platform/scrape-access.js';

/**
 * The worker's counters, read off the activities that write the ledger, so no workflow or activity
 * code changes for them: what an exception's transition recorded (breaches, escalations,
 * resolutions, value events, every timeline action) and what a departure sweep moved. A transition
 * counts when its write lands ('written'); a write refused as stale, or a failed one, counts nothing
 * (its retry does).
 */
export const metricsInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const type = ctx.info.activityType;
      if (type !== 'recordTransition' && type !== 'recordMoves') return next(input);
      const started = performance.now();
      let result: unknown;
      try {
        result = await next(input);
      } catch (err) {
        if (type === 'recordTransition') metrics.transitionWrite.observe({ outcome: 'failed' }, (performance.now() - started) / 1000);
        throw err;
      }
      if (type === 'recordTransition') {
        const outcome = (result as { outcome?: string } | undefined)?.outcome ?? 'written';
        metrics.transitionWrite.observe({ outcome }, (performance.now() - started) / 1000);
        if (outcome === 'written') countTransition(input.args[0] as TransitionWrite);
      } else {
        for (const move of (result as Array<{ toOwner: string | null }> | undefined) ?? []) {
          const person = (input.args[0] as { person: string }).person;
          metrics.departureMoves.inc({ outcome: move.toOwner !== null && move.toOwner !== person ? 'moved' : 'stayed' });
        }
      }
      return result;
    },
  },
});

/** Escalation levels past this share one label value, so a long chain cannot grow the series. */
const MAX_LEVEL_LABEL = 10;

export function countTransition(write: TransitionWrite): void {
  const { state, events } = write;
  const where = { capability: state.capability, region: state.region };
  for (const event of events) {
    metrics.timelineEvents.inc({ capability: state.capability, action: event.action });
    if (event.action === 'escalated') {
      const level = Number(event.to);
      const kind = String(event.detail?.kind ?? 'unknown');
      metrics.escalations.inc({ ...where, kind, level: level >= MAX_LEVEL_LABEL ? `${MAX_LEVEL_LABEL}+` : String(level) });
    } else if (event.action === 'resolved') {
      metrics.resolutions.inc({ capability: state.capability, code: boundedLabel('resolution_code', String(event.detail?.code ?? 'unknown')) });
      const valueEvent = event.detail?.valueEvent;
      if (typeof valueEvent === 'string') metrics.valueEvents.inc({ capability: state.capability, value_event: valueEvent }, quantityOf(event));
    } else if (/warn/.test(event.action)) {
      metrics.slaWarnings.inc(where);
    }
  }
  for (const sla of breachesStarted(state, events)) metrics.slaBreaches.inc({ ...where, sla });
}

/** A resolution's quantity for its value event (1 unless it names a positive number). */
function quantityOf(event: ExceptionEvent): number {
  const quantity = event.detail?.quantity;
  return typeof quantity === 'number' && Number.isFinite(quantity) && quantity > 0 ? quantity : 1;
}

/**
 * The SLAs whose breach began in this write. A lapse records nothing until its breach's first
 * escalation step, and each step records one raising 'escalated' event of its kind; so a breach began
 * here when this write holds as many steps of its kind as the breach has taken in all (or the breach
 * is already gone again, e.g. a claim breach ended by a release in the same write).
 */
export function breachesStarted(state: ExceptionState, events: ExceptionEvent[]): Array<'claim' | 'resolve'> {
  const started: Array<'claim' | 'resolve'> = [];
  for (const sla of ['claim', 'resolve'] as const) {
    const steps = events.filter((e) => e.action === 'escalated' && e.detail?.kind === sla && e.from !== e.to).length;
    if (steps === 0) continue;
    const breach = state.breaches.find((b) => b.kind === sla);
    if (!breach || breach.step <= steps) started.push(sla);
  }
  return started;
}

/** Wraps the outbox's POST so each delivery attempt counts: delivered (2xx), refused (another status) or error. */
export function countedDelivery<A extends unknown[]>(post: (...args: A) => Promise<number>): (...args: A) => Promise<number> {
  return async (...args) => {
    try {
      const status = await post(...args);
      metrics.outboxDeliveries.inc({ outcome: status >= 200 && status < 300 ? 'delivered' : 'refused' });
      return status;
    } catch (err) {
      metrics.outboxDeliveries.inc({ outcome: 'error' });
      throw err;
    }
  };
}

/** The same counts for mail (worker/outbox-mail.ts): delivered, refused (5xx, for good) or error (retried). */
export function countedMail(sender: MailSender): MailSender {
  return {
    async send(mail) {
      try {
        await sender.send(mail);
        metrics.outboxDeliveries.inc({ outcome: 'delivered' });
      } catch (err) {
        metrics.outboxDeliveries.inc({ outcome: err instanceof MailDeliveryError && err.permanent ? 'refused' : 'error' });
        throw err;
      }
    },
    close: () => sender.close(),
  };
}

/**
 * The worker's own /metrics (WORKER_METRICS_PORT), for `npm run worker` on its own: its counters, the
 * Temporal SDK's worker metrics and Node's. Under `npm start` the API's /metrics has the same.
 */
export async function serveWorkerMetrics(options: { host: string; port: number; access: ScrapeAccess; token?: string }): Promise<Server> {
  const { host, port, access } = options;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics' || access.kind === 'none') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here.\n');
      return;
    }
    // The same rules as the API's /metrics (METRICS_SCRAPE, METRICS_TOKEN); no proxy is trusted here.
    if (!mayScrape(access, req.socket.remoteAddress)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Scraping is not allowed from this address (METRICS_SCRAPE).\n');
      return;
    }
    if (options.token && !sameSecret(req.headers.authorization ?? '', `Bearer ${options.token}`)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Send Authorization: Bearer <METRICS_TOKEN>.\n');
      return;
    }
    metricsText().then(
      (text) => res.writeHead(200, { 'content-type': metricsContentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'EADDRINUSE' ? new Error(`WORKER_METRICS_PORT ${port} is already in use; set another one.`) : err;
  });
  return server;
}
