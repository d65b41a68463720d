import { z } from 'zod';
import { PersonId } from '../../domain/people.js';
import { Role } from '../../domain/principal.js';
import { mintToken } from '../auth.js';
import { AppError } from '../errors.js';
import type { ApiRoutes } from '../route.js';
import { allPeople, findPerson } from '../services/people.js';
import type { TemporalDeps } from '../services/temporal.js';

export interface DemoUsers {
  secret: Uint8Array;
  audience?: string;
}

const DemoUser = z.object({ id: z.string(), name: z.string(), roles: z.array(Role) }).meta({ id: 'DemoUser' });
const development = 'Development only: registered when DEMO_USERS is on and tokens are not from an OIDC issuer. No token needed.';

/** The console's picker: sign in as anyone active in the directory, with the roles the directory gives them. */
export function demoRoutes(routes: ApiRoutes, deps: TemporalDeps & { demo: DemoUsers }) {
  routes.route({
    method: 'get',
    path: '/api/v1/demo/users',
    summary: 'Active people the console offers as demo users',
    description: development,
    tags: ['demo'],
    scope: { kind: 'none', why: 'public, development only' },
    responses: { 200: { description: 'Demo users, by id', schema: z.object({ items: z.array(DemoUser) }) } },
    handler: async () => {
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
    },
    handler: async ({ body }) => {
      const person = await findPerson(deps, body.person);
      if (!person) throw new AppError('NOT_FOUND', `No person ${body.person}.`);
      if (person.status !== 'active' || person.roles.length === 0) {
        throw new AppError('UNPROCESSABLE', `${body.person} cannot sign in: ${person.status !== 'active' ? person.status : 'no roles'}.`, {
          errors: [{ path: 'person', message: person.status !== 'active' ? `${body.person} is ${person.status}` : `${body.person} has no roles` }],
        });
      }
      const token = await mintToken(deps.demo.secret, { sub: person.id, roles: person.roles, name: person.name, audience: deps.demo.audience });
      return { token, user: { id: person.id, name: person.name, roles: person.roles } };
    },
  });
}
