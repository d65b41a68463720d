import type { Request } from 'express';
import { z } from 'zod';
import { PersonId } from '../../domain/people.js';
import { Role } from '../../domain/principal.js';
import { mintToken } from '../auth.js';
import { AppError } from '../errors.js';
import { Problem, type ApiRoutes } from '../route.js';
import { allPeople, findPerson } from '../services/people.js';
import type { TemporalDeps } from '../services/temporal.js';

export interface DemoUsers {
  secret: Uint8Array;
  audience?: string;
  /** AUTH_MAX_TOKEN_LIFETIME in seconds: a demo token never lives longer than the API accepts. */
  maxLifetimeSeconds?: number;
}

const DemoUser = z.object({ id: z.string(), name: z.string(), roles: z.array(Role) }).meta({ id: 'DemoUser' });
const development =
  'Development only: registered when DEMO_USERS is on and tokens are not from an OIDC issuer. No token needed, ' +
  'and answered only when the request names this machine as localhost, 127.0.0.1 or [::1].';
const notLoopback = {
  description: 'The request came to a name other than localhost, 127.0.0.1 or [::1]',
  schema: Problem,
  contentType: 'application/problem+json',
};

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The name in a Host header, without its port: `[::1]:3000` → `[::1]`, `Desk.test:3000` → `desk.test`. */
export function hostName(header: string | undefined): string {
  const host = (header ?? '').trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.replace(/:\d*$/, '');
}

/**
 * Anyone who can reach the API could otherwise sign in as anyone: the picker answers only a browser on
 * this machine. The raw Host header, not req.hostname, which believes X-Forwarded-Host from a loopback
 * peer; a proxy's X-Forwarded-Host, when sent, must be a loopback name too.
 */
function requireLoopbackHost(req: Request): void {
  const forwarded = req.headers['x-forwarded-host'];
  const names = [hostName(req.headers.host), ...(forwarded === undefined ? [] : [hostName(String(forwarded))])];
  if (!names.every((name) => LOOPBACK_NAMES.has(name))) {
    throw new AppError('FORBIDDEN', 'Demo users are offered only on this machine: open the console at localhost, 127.0.0.1 or [::1].');
  }
}

/** The console's picker: sign in as anyone active in the directory, with the roles the directory gives them. */
export function demoRoutes(routes: ApiRoutes, deps: TemporalDeps & { demo: DemoUsers }) {
  routes.route({
    method: 'get',
    path: '/api/v1/demo/users',
    summary: 'Active people the console offers as demo users',
    description: development,
    tags: ['demo'],
    scope: { kind: 'none', why: 'public, development only' },
    responses: { 200: { description: 'Demo users, by id', schema: z.object({ items: z.array(DemoUser) }) }, 403: notLoopback },
    handler: async ({ req }) => {
      requireLoopbackHost(req);
      const people = await allPeople(deps);
      const items = people
        .filter((p) => p.status === 'active' && p.roles.length > 0)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((p) => ({ id: p.id, name: p.name, roles: p.roles }));
      return { items };
    },
  });

  routes.route({
    method: 'post',
    path: '/api/v1/demo/tokens',
    summary: 'A token for a demo user, with their directory roles, valid 8 hours',
    description: development,
    tags: ['demo'],
    scope: { kind: 'none', why: 'public, development only' },
    body: z.strictObject({ person: PersonId }),
    responses: {
      201: { description: 'The token', schema: z.object({ token: z.string(), user: DemoUser }) },
      404: { description: 'No such person' },
      422: { description: 'The person is not active or has no roles' },
      403: notLoopback,
    },
    handler: async ({ body, req }) => {
      requireLoopbackHost(req);
      const person = await findPerson(deps, body.person);
      if (!person) throw new AppError('NOT_FOUND', `No person ${body.person}.`);
      if (person.status !== 'active' || person.roles.length === 0) {
        throw new AppError('UNPROCESSABLE', `${body.person} cannot sign in: ${person.status !== 'active' ? person.status : 'no roles'}.`, {
          errors: [{ path: 'person', message: person.status !== 'active' ? `${body.person} is ${person.status}` : `${body.person} has no roles` }],
        });
      }
      const ttl = `${Math.min(8 * 3600, deps.demo.maxLifetimeSeconds ?? 8 * 3600)}s`;
      const token = await mintToken(deps.demo.secret, { sub: person.id, roles: person.roles, name: person.name, audience: deps.demo.audience, ttl });
      return { token, user: { id: person.id, name: person.name, roles: person.roles } };
    },
  });
}
