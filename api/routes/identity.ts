import { z } from 'zod';
import { Principal } from '../../domain/principal.js';
import { listAudit } from '../../ledger/audit.js';
import type { LedgerDb } from '../../ledger/db.js';
import { decodeCursor, encodeCursor, PageQuery, pageOf } from '../pagination.js';
import type { ApiRoutes } from '../route.js';

const AuditEntry = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    subjectType: z.string(),
    subjectId: z.string(),
    reason: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEntry' });

export function identityRoutes(routes: ApiRoutes, deps: { ledger: LedgerDb }) {
  routes.route({
    method: 'get',
    path: '/api/v1/me',
    summary: 'Who the token says you are: person id, roles and scope',
    tags: ['identity'],
    roles: ['operator', 'owner', 'manager', 'admin', 'integration'],
    scope: { kind: 'none', why: 'your own token, scope included' },
    responses: { 200: { description: 'The caller', schema: Principal.meta({ id: 'Principal' }) } },
    handler: async ({ principal }) => principal,
  });

  routes.route({
    method: 'get',
    path: '/api/v1/audit-log',
    summary: 'The audit trail of every state change, newest first',
    description: 'The log spans every capability, region and person, so it needs a token whose scope is not restricted.',
    tags: ['audit'],
    roles: ['manager', 'admin'],
    scope: { kind: 'capability', of: () => '*' },
    query: z.strictObject({
      subjectType: z.string().max(100).optional(),
      subjectId: z.string().max(300).optional(),
      actor: z.string().max(200).optional(),
      ...PageQuery,
    }),
    responses: { 200: { description: 'A page of audit entries', schema: pageOf(AuditEntry) } },
    handler: async ({ query }) => {
      const after = decodeCursor(query.cursor, z.object({ id: z.number().int() }));
      const { rows, more } = await listAudit(deps.ledger, { ...query, beforeId: after?.id });
      return { items: rows, nextCursor: more ? encodeCursor({ id: rows.at(-1)!.id }) : null };
    },
  });
}
