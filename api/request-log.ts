import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

type Res = ServerResponse & { locals?: Record<string, unknown> };

/** The exception a request was about: its path's id, or the one a raise answered (Location). */
function exceptionOf(res: Res): string | undefined {
  const fromPath = res.locals?.exceptionId;
  if (typeof fromPath === 'string') return fromPath;
  const location = res.getHeader('location');
  const match = typeof location === 'string' ? /^\/api\/v1\/exceptions\/([^/?]+)$/.exec(location) : null;
  return match ? decodeURIComponent(match[1]!) : undefined;
}

/**
 * One line per request: the route template, the status, the duration (responseTime, ms), the
 * exception it was about when there is one, and (through the logger's mixin) its trace id. Probes and
 * scrapes are not logged: they come every few seconds and say nothing.
 */
export function requestLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customProps: (_req: IncomingMessage, res: Res) => {
      const route = res.locals?.route;
      const exceptionId = exceptionOf(res);
      return { ...(typeof route === 'string' ? { route } : {}), ...(exceptionId ? { exceptionId } : {}) };
    },
    customSuccessMessage: (req, res, ms) => `${req.method} ${String((res as Res).locals?.route ?? req.url)} ${res.statusCode} ${Math.round(ms)}ms`,
    customErrorMessage: (req, res) => `${req.method} ${String((res as Res).locals?.route ?? req.url)} ${res.statusCode} failed`,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes((req.url ?? '').split('?')[0]!) },
  }) as RequestHandler;
}
