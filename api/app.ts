import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { TokenVerifier } from './auth.js';
import { consoleRouter, importMapHash } from './console.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { createRegistry, docsRouter, openApiDocument } from './openapi.js';
import type { ReadinessDeps } from './readiness.js';
import { ApiRoutes } from './route.js';
import { auditRoutes } from './routes/audit.js';
import { capabilityRoutes } from './routes/capabilities.js';
import { demoRoutes, type DemoUsers } from './routes/demo.js';
import { exceptionRoutes } from './routes/exceptions.js';
import { identityRoutes } from './routes/identity.js';
import { peopleRoutes } from './routes/people.js';
import { systemRoutes } from './routes/system.js';

export interface AppDeps extends ReadinessDeps {
  config: Pick<Config, 'BODY_LIMIT' | 'CONTINUE_AS_NEW_AFTER' | 'DEPARTURE_WAIT_MAX_MS' | 'GAP_MAX_CELLS_PER_PERSON' | 'GAP_MAX_OPEN_PER_OWNER'>;
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
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'script-src': ["'self'", importMapHash], 'img-src': ["'self'", 'data:'] } },
    }),
  );
  app.use(
    pinoHttp({
      logger: deps.logger,
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(express.json({ limit: deps.config.BODY_LIMIT, type: ['application/json', 'application/*+json'], strict: true }));
  app.use(express.text({ limit: deps.config.BODY_LIMIT, type: ['application/yaml', 'application/x-yaml', 'text/yaml'] }));

  const routes = new ApiRoutes(createRegistry(), deps.verifier);
  systemRoutes(routes, deps);
  identityRoutes(routes, deps);
  const temporal = { client: deps.client, taskQueue: deps.taskQueue, continueAsNewAfter: deps.config.CONTINUE_AS_NEW_AFTER, departureWaitMaxMs: deps.config.DEPARTURE_WAIT_MAX_MS };
  peopleRoutes(routes, temporal);
  capabilityRoutes(routes, { ...temporal, ledger: deps.ledger });
  exceptionRoutes(routes, { ...temporal, ledger: deps.ledger });
  if (deps.demoUsers && deps.verifier.mode === 'hs256') demoRoutes(routes, { ...temporal, demo: deps.demoUsers });
  auditRoutes(routes, {
    ledger: deps.ledger,
    thresholds: { maxCellsPerPerson: deps.config.GAP_MAX_CELLS_PER_PERSON, maxOpenPerOwner: deps.config.GAP_MAX_OPEN_PER_OWNER },
  });

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
