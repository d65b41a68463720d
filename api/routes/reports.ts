import { z } from 'zod';
import { REPORT_LIMIT, ReportedEvent } from '../../domain/readiness.js';
import { Region } from '../../domain/rollout.js';
import type { LedgerDb } from '../../ledger/db.js';
import { listReportedEvents } from '../../ledger/reports.js';
import { decodeCursor, encodeCursor, PageQuery, pageOf } from '../pagination.js';
import type { ApiRoutes } from '../route.js';
import { reportEvents } from '../services/reports.js';
import { iso } from '../views.js';

const ReportResult = z.object({
  index: z.number().int(),
  status: z.number().int().meta({ description: '201 stored, 200 the same event again, 403 outside your scope, 409 the key names another event, 422 refused' }),
  key: z.string().optional(),
  problem: z
    .object({
      type: z.string(),
      title: z.string(),
      status: z.number().int(),
      detail: z.string(),
      errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      quarantineId: z.number().int().optional(),
    })
    .optional()
    .meta({ description: 'problem+json of a refused event; field paths are within the event' }),
});

const StoredEvent = z.object({
  key: z.string(),
  capability: z.string(),
  region: z.string(),
  kind: z.enum(['decision', 'value']),
  valueEvent: z.string().nullable(),
  outcome: z.string().nullable(),
  quantity: z.number().nullable(),
  occurredAt: z.string().nullable(),
  origin: z.string().meta({ description: 'report, or resolution for the value event a resolution named' }),
  reportedBy: z.string(),
});

export function reportRoutes(routes: ApiRoutes, deps: { ledger: LedgerDb }) {
  const { ledger } = deps;

  routes.route({
    method: 'post',
    path: '/api/v1/reports',
    summary: `Report up to ${REPORT_LIMIT} decisions the capability made on its own and value events, idempotent by each event's key`,
    description:
      'Each event is answered in order: 201 stored, 200 when its key was stored before with the same content, 409 when the key names another event, ' +
      "422 (problem+json with field paths) for a bad event, an unknown capability or region, or a value event the region's template does not count " +
      '(the known ones are listed). Refused events are kept in the quarantine (source report). Decisions feed the automation rate, value events the value totals.',
    tags: ['readiness'],
    roles: ['integration', 'admin'],
    scope: { kind: 'items', note: 'an event outside the scope gets 403 in its result' },
    body: z.strictObject({ events: z.array(z.unknown()).min(1).max(REPORT_LIMIT) }),
    bodyDoc: z.object({ events: z.array(ReportedEvent).max(REPORT_LIMIT) }),
    responses: {
      200: {
        description: 'Per-event results, in order',
        schema: z.object({ results: z.array(ReportResult), stored: z.number().int(), duplicates: z.number().int(), refused: z.number().int() }),
      },
    },
    handler: async ({ body, principal }) => {
      const results = await reportEvents(ledger, principal, body.events);
      return {
        results,
        stored: results.filter((r) => r.status === 201).length,
        duplicates: results.filter((r) => r.status === 200).length,
        refused: results.filter((r) => r.status >= 400).length,
      };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/reports',
    summary: 'Reported decisions and value events, newest first: the evidence behind the automation rate and the value totals',
    tags: ['readiness'],
    roles: ['integration', 'manager', 'admin'],
    scope: { kind: 'listing', filters: 'events whose capability:region the scope covers' },
    query: z.strictObject({
      capability: z.string().max(64).optional(),
      region: Region.optional(),
      kind: z.enum(['decision', 'value']).optional(),
      valueEvent: z.string().max(64).optional(),
      ...PageQuery,
    }),
    responses: { 200: { description: 'A page of events', schema: pageOf(StoredEvent) } },
    handler: async ({ query, principal }) => {
      const after = decodeCursor(query.cursor, z.object({ at: z.number(), capability: z.string(), key: z.string() }));
      const { rows, more } = await listReportedEvents(ledger, { ...query, scope: principal.scope, after });
      const last = rows.at(-1);
      return {
        items: rows.map((r) => ({
          key: r.event_key,
          capability: r.capability,
          region: r.region,
          kind: r.kind,
          valueEvent: r.value_event,
          outcome: r.outcome,
          quantity: r.quantity === null ? null : Number(r.quantity),
          occurredAt: iso(Number(r.occurred_at)),
          origin: r.origin,
          reportedBy: r.reported_by,
        })),
        nextCursor: more && last ? encodeCursor({ at: Number(last.occurred_at), capability: last.capability, key: last.event_key }) : null,
      };
    },
  });
}
