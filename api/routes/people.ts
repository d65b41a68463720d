import { z } from 'zod';
import { Person, PersonId, PersonInput } from '../../domain/people.js';
import { checkPersonChange } from '../../domain/rules/grants.js';
import type { LedgerDb } from '../../ledger/db.js';
import { AppError } from '../errors.js';
import { decodeCursor, encodeCursor, PageQuery, pageOf } from '../pagination.js';
import type { ApiRoutes } from '../route.js';
import { Reply } from '../route.js';
import { readDeparture, startDeparture, sweepFootprint } from '../services/departures.js';
import { allPeople, findPerson, footprintOf, savePerson } from '../services/people.js';
import type { TemporalDeps } from '../services/temporal.js';

const PersonDoc = Person.meta({ id: 'Person' });
const anyRole = ['operator', 'owner', 'manager', 'admin', 'integration'] as const;

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
const directoryWide = 'the directory is shared by every capability and region';

export function peopleRoutes(routes: ApiRoutes, deps: TemporalDeps & { ledger: LedgerDb }) {
  routes.route({
    method: 'put',
    path: '/api/v1/people/{personId}',
    summary: 'Create or update a person in the directory',
    description:
      'The manager must exist and the management chain must not loop (422). A caller grants or takes away only roles it holds, ' +
      "and only an admin grants admin or changes an admin (403). A change to status, manager or roles reaches the person's cells and open work, " +
      'so each of those must be in the token scope (403 naming what is not).',
    tags: ['people'],
    roles: ['manager', 'admin'],
    scope: {
      kind: 'person',
      touches: async ({ params, body }) => {
        const before = await findPerson(deps, params.personId);
        const contactOnly = before && before.status === body.status && before.managerId === body.managerId && sameSet(before.roles, body.roles);
        return !before || contactOnly ? [] : footprintOf(deps.ledger, params.personId);
      },
    },
    params: z.strictObject({ personId: PersonId }),
    body: PersonInput.extend({ reason: z.string().max(1000).optional() }).strict(),
    responses: {
      200: { description: 'Updated', schema: PersonDoc },
      201: { description: 'Created', schema: PersonDoc },
      422: { description: 'Unknown manager or a management cycle' },
    },
    handler: async ({ params, body, principal }) => {
      const { reason, ...person } = body;
      const refused = checkPersonChange(principal, await findPerson(deps, params.personId), person);
      if (refused) throw new AppError('FORBIDDEN', refused);
      const result = await savePerson(deps, params.personId, person, principal.sub, reason);
      routes.actors.forget(params.personId);
      return new Reply(result.created ? 201 : 200, result.person);
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/people',
    summary: 'The people directory',
    tags: ['people'],
    roles: [...anyRole],
    scope: { kind: 'none', why: directoryWide },
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

  const Sweep = z
    .object({ sweepId: z.string(), done: z.boolean(), result: z.record(z.string(), z.unknown()) })
    .meta({ id: 'DepartureSweep', description: 'The sweep: every matrix change, every moved exception, every gap it left' });

  routes.route({
    method: 'post',
    path: '/api/v1/people/{personId}/departure',
    summary: 'Mark a person departed and sweep: their cells pass to backups, their open work moves, their claims are released',
    description: 'Idempotent per person: a second call returns the same sweep. 200 with the outcome when it finishes within 30 s, else 202 with its progress.',
    tags: ['people'],
    roles: ['manager', 'admin'],
    scope: { kind: 'person', touches: ({ params }) => footprintOf(deps.ledger, params.personId) },
    params: z.strictObject({ personId: PersonId }),
    body: z.strictObject({ reason: z.string().trim().min(1, 'say why').max(1000), effectiveAt: z.iso.datetime({ offset: true }).optional() }),
    responses: { 200: { description: 'The finished sweep', schema: Sweep }, 202: { description: 'Still sweeping (or scheduled)', schema: Sweep }, 404: { description: 'Unknown person' } },
    handler: async ({ params, body, principal }) => {
      const person = await findPerson(deps, params.personId);
      if (!person) throw new AppError('NOT_FOUND', `No person ${params.personId}.`);
      const refused = checkPersonChange(principal, person, null);
      if (refused) throw new AppError('FORBIDDEN', refused);
      const sweep = await startDeparture(deps, { person: params.personId, actor: principal.sub, reason: body.reason, effectiveAt: body.effectiveAt });
      routes.actors.forget(params.personId);
      return new Reply(sweep.done ? 200 : 202, sweep);
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/people/{personId}/departure',
    summary: "A person's departure sweep and its outcome",
    tags: ['people'],
    roles: ['manager', 'admin'],
    scope: { kind: 'person', touches: ({ params }) => sweepFootprint(deps, deps.ledger, params.personId) },
    params: z.strictObject({ personId: PersonId }),
    responses: { 200: { description: 'The sweep', schema: Sweep }, 404: { description: 'No sweep for this person' } },
    handler: async ({ params }) => readDeparture(deps, params.personId),
  });

  routes.route({
    method: 'get',
    path: '/api/v1/people/{personId}',
    summary: 'One person',
    tags: ['people'],
    roles: [...anyRole],
    scope: { kind: 'none', why: directoryWide },
    params: z.strictObject({ personId: PersonId }),
    responses: { 200: { description: 'The person', schema: PersonDoc }, 404: { description: 'No such person' } },
    handler: async ({ params }) => {
      const person = await findPerson(deps, params.personId);
      if (!person) throw new AppError('NOT_FOUND', `No person ${params.personId}.`);
      return person;
    },
  });
}
