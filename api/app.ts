import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { ActorDirectory } from './actors.js';
import type { TokenVerifier } from './auth.js';
import { consoleRouter, importMapHash } from './console.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { httpMetrics, metricsRouter, registerGauges } from './metrics.js';
import { collectProcessMetrics } from '../platform/metrics.js';
import { createRegistry, docsRouter, openApiDocument } from './openapi.js';
import type { ReadinessDeps } from './readiness.js';
import { requestLog } from './request-log.js';
import { ApiRoutes } from './route.js';
import { attestationRoutes } from './routes/attestations.js';
import { trainingRoutes } from './routes/training.js';
import { auditRoutes } from './routes/audit.js';
import { capabilityRoutes } from './routes/capabilities.js';
import { decisionRoutes } from './routes/decisions.js';
import { templateVersionRoutes } from './routes/template-versions.js';
import { demoRoutes, type DemoUsers } from './routes/demo.js';
import { exceptionRoutes } from './routes/exceptions.js';
import { identityRoutes } from './routes/identity.js';
import { notificationRoutes } from './routes/notifications.js';
import { peopleRoutes } from './routes/people.js';
import { readinessRoutes } from './routes/readiness.js';
import { reportRoutes } from './routes/reports.js';
import { systemRoutes } from './routes/system.js';

export interface AppDeps extends ReadinessDeps {
  config: Pick<
    Config,
    'BODY_LIMIT' | 'CONTINUE_AS_NEW_AFTER' | 'DEPARTURE_WAIT_MAX_MS' | 'GAP_MAX_CELLS_PER_PERSON' | 'GAP_MAX_OPEN_PER_OWNER' | 'PUBLIC_URL' | 'WEBHOOK_ALLOWED_HOSTS' | 'METRICS_SCRAPE' | 'METRICS_TOKEN'
  > &
    Partial<Pick<Config, 'METRICS' | 'SMTP_URL'>>;
  logger: Logger;
  verifier: TokenVerifier;
  version: string;
  /** The console's demo-user picker; leave unset outside local development. */
  demoUsers?: DemoUsers;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');
  // METRICS=off: no request timing, no gauges, and /metrics is not served (404).
  const metricsOn = deps.config.METRICS !== 'off';
  app.use(securityHeaders(deps.config.PUBLIC_URL));
  if (metricsOn) app.use(httpMetrics());
  app.use(requestLog(deps.logger));
  const thresholds = { maxCellsPerPerson: deps.config.GAP_MAX_CELLS_PER_PERSON, maxOpenPerOwner: deps.config.GAP_MAX_OPEN_PER_OWNER };
  if (metricsOn) {
    collectProcessMetrics();
    app.use(metricsRouter(deps.config));
    registerGauges({ ledger: deps.ledger, connection: deps.connection, namespace: deps.namespace, taskQueue: deps.taskQueue, thresholds });
  }
  app.use(express.json({ limit: deps.config.BODY_LIMIT, type: ['application/json', 'application/*+json'], strict: true }));
  app.use(express.text({ limit: deps.config.BODY_LIMIT, type: ['application/yaml', 'application/x-yaml', 'text/yaml'] }));

  const routes = new ApiRoutes(createRegistry(), deps.verifier, new ActorDirectory(deps.ledger));
  systemRoutes(routes, deps);
  identityRoutes(routes, deps);
  const temporal = { client: deps.client, taskQueue: deps.taskQueue, continueAsNewAfter: deps.config.CONTINUE_AS_NEW_AFTER, departureWaitMaxMs: deps.config.DEPARTURE_WAIT_MAX_MS };
  peopleRoutes(routes, { ...temporal, ledger: deps.ledger });
  capabilityRoutes(routes, { ...temporal, ledger: deps.ledger, webhookAllowedHosts: deps.config.WEBHOOK_ALLOWED_HOSTS });
  templateVersionRoutes(routes, { ledger: deps.ledger, webhookAllowedHosts: deps.config.WEBHOOK_ALLOWED_HOSTS });
  exceptionRoutes(routes, { ...temporal, ledger: deps.ledger }, { metrics: metricsOn });
  reportRoutes(routes, { ledger: deps.ledger });
  if (deps.demoUsers && deps.verifier.mode === 'hs256') demoRoutes(routes, { ...temporal, demo: deps.demoUsers });
  auditRoutes(routes, { ledger: deps.ledger, thresholds });
  readinessRoutes(routes, { ledger: deps.ledger, gapThresholds: thresholds });
  notificationRoutes(routes, { ledger: deps.ledger, emailEnabled: Boolean(deps.config.SMTP_URL) });
  decisionRoutes(routes, { ledger: deps.ledger, client: deps.client, taskQueue: deps.taskQueue });
  attestationRoutes(routes, { ...temporal, ledger: deps.ledger });
  trainingRoutes(routes, { ledger: deps.ledger });

  const document = openApiDocument(routes.registry, deps.version);
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use(docsRouter());
  app.use(consoleRouter());
  app.locals.routes = routes.declared;
  app.use(routes.router);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}

/**
 * helmet's headers, with the HTTPS-only ones (HSTS, CSP upgrade-insecure-requests) only where HTTPS is
 * how people arrive: the request came over TLS (or through a trusted proxy saying X-Forwarded-Proto
 * https), or PUBLIC_URL is https. Sent over plain HTTP on a LAN hostname they would make the browser
 * upgrade every request to an https:// that nothing answers, and the console would not load.
 */
function securityHeaders(publicUrl: string | undefined): RequestHandler {
  const directives = { 'script-src': ["'self'", importMapHash], 'img-src': ["'self'", 'data:'] };
  const overHttps = helmet({ contentSecurityPolicy: { directives } });
  const overHttp = helmet({ contentSecurityPolicy: { directives: { ...directives, 'upgrade-insecure-requests': null } }, strictTransportSecurity: false });
  const alwaysHttps = publicUrl?.startsWith('https:') ?? false;
  return (req, res, next) => (alwaysHttps || req.secure ? overHttps : overHttp)(req, res, next);
}
