import { z } from 'zod';
import { Person, PersonId, PersonInput } from '../../domain/people.js';
import { AppError } from '../errors.js';
import { decodeCursor, encodeCursor, PageQuery, pageOf } from '../pagination.js';
import type { ApiRoutes } from '../route.js';
import { Reply } from '../route.js';
import { allPeople, findPerson, savePerson } from '../services/people.js';
import type { TemporalDeps } from '../services/temporal.js';

const PersonDoc = Person.meta({ id: 'Person' });
const anyRole = ['operator', 'owner', 'manager', 'admin', 'integration'] as const;

export function peopleRoutes(routes: ApiRoutes, deps: TemporalDeps) {
  routes.route({
    method: 'put',
    path: '/api/v1/people/{personId}',
    summary: 'Create or update a person in the directory',
    description: 'The manager must exist and the management chain must not loop (422).',
    tags: ['people'],
    roles: ['manager', 'admin'],
    params: z.strictObject({ personId: PersonId }),
    body: PersonInput.extend({ reason: z.string().max(1000).optional() }).strict(),
    responses: {
      200: { description: 'Updated', schema: PersonDoc },
      201: { description: 'Created', schema: PersonDoc },
      422: { description: 'Unknown manager or a management cycle' },
    },
    handler: async ({ params, body, principal }) => {
      const { reason, ...person } = body;
      const result = await savePerson(deps, params.personId, person, principal.sub, reason);
      return new Reply(result.created ? 201 : 200, result.person);
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/people',
    summary: 'The people directory',
    tags: ['people'],
    roles: [...anyRole],
    query: z.strictObject({ status: z.enum(['active', 'on-leave', 'departed']).optional(), managerId: PersonId.optional(), ...PageQuery }),
    responses: { 200: { description: 'People, by id', schema: pageOf(PersonDoc) } },
    handler: async ({ query }) => {
      const after = decodeCursor(query.cursor, z.object({ id: z.string() }));
      const people = (await allPeople(deps))
        .filter((p) => (!query.status || p.status === query.status) && (!query.managerId || p.managerId === query.managerId))
        .filter((p) => !after || p.id > after.id)
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const items = people.slice(0, query.limit);
      return { items, nextCursor: people.length > query.limit ? encodeCursor({ id: items.at(-1)!.id }) : null };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/people/{personId}',
    summary: 'One person',
    tags: ['people'],
    roles: [...anyRole],
    params: z.strictObject({ personId: PersonId }),
    responses: { 200: { description: 'The person', schema: PersonDoc }, 404: { description: 'No such person' } },
    handler: async ({ params }) => {
      const person = await findPerson(deps, params.personId);
      if (!person) throw new AppError('NOT_FOUND', `No person ${params.personId}.`);
      return person;
    },
  });
}
