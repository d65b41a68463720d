import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { ResponsibilityArea, Severity } from '../../domain/capability.js';
import { ExceptionIntake, ResolutionCode, type ExceptionStatus } from '../../domain/exception.js';
import { PersonId } from '../../domain/people.js';
import { MAX_QUANTITY } from '../../domain/rules/exception.js';
import { WAITING_REASONS } from '../../domain/rules/exception-model.js';
import type { Role } from '../../domain/principal.js';
import { Region } from '../../domain/rollout.js';
import { storedJson, storedObject } from '../../ledger/bounded-json.js';
import { getExceptionState, listExceptions, listQuarantine, timeline } from '../../ledger/exceptions.js';
import * as msg from '../../workflows/exception/messages.js';
import { AppError } from '../errors.js';
import { observeIntake } from '../intake-metrics.js';
import { decodeCursor, encodeCursor, PageQuery, pageOf } from '../pagination.js';
import { Reply, type ApiRoutes } from '../route.js';
import { exceptionTarget, intakeTarget, scopedInbox } from '../scope.js';
import { recordResolutionValue } from '../services/reports.js';
import { actorOf, exceptionDetailView, raiseException, requireException, transition, type ExceptionDeps } from '../services/exceptions.js';
import { exceptionView, ExceptionView, inboxEntryView, iso } from '../views.js';

const BATCH_LIMIT = 1000;
const BATCH_CONCURRENCY = 32;
const anyRole: Role[] = ['operator', 'owner', 'manager', 'admin', 'integration'];
const workers: Role[] = ['operator', 'owner', 'manager'];
const IdParams = z.strictObject({ id: z.string().min(1).max(300) });
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

const BatchResult = z.object({
  index: z.number().int(),
  status: z.number().int(),
  id: z.string().optional(),
  exception: ExceptionView.optional(),
  problem: z.object({ title: z.string(), detail: z.string(), errors: z.array(z.object({ path: z.string(), message: z.string() })).optional() }).optional(),
});

/** `metrics: false` (METRICS=off) raises without counting intake outcomes. */
export function exceptionRoutes(routes: ApiRoutes, deps: ExceptionDeps, options: { metrics?: boolean } = {}) {
  const { ledger } = deps;
  const observe: typeof observeIntake = options.metrics === false ? (_body, intake) => intake : observeIntake;

  routes.route({
    method: 'post',
    path: '/api/v1/exceptions',
    summary: 'Raise an exception (idempotent on capability + sourceKey)',
    description:
      '201 with the new exception, or 200 with the existing one for a duplicate sourceKey. The payload is checked against the ' +
      "type's input contract in the region's effective template; a violation is 422 listing every field, and the intake is kept in the quarantine.",
    tags: ['exceptions'],
    roles: ['integration', 'operator', 'admin'],
    scope: { kind: 'resource', of: ({ body }) => intakeTarget(body) },
    body: z.unknown(),
    bodyDoc: ExceptionIntake,
    checksNesting: true,
    responses: {
      200: { description: 'A duplicate: the existing exception', schema: ExceptionView },
      201: { description: 'Raised', schema: ExceptionView },
      422: { description: 'Unknown capability, region or type, or an input contract violation (kept in the quarantine)' },
    },
    handler: async ({ body, principal }) => {
      const { created, state } = await observe(body, raiseException(deps, principal, body));
      return new Reply(created ? 201 : 200, await exceptionDetailView(deps, principal, state.id), { location: `/api/v1/exceptions/${encodeURIComponent(state.id)}` });
    },
  });

  routes.route({
    method: 'post',
    path: '/api/v1/exceptions:batch',
    summary: `Raise up to ${BATCH_LIMIT} exceptions; one result per item, in order`,
    tags: ['exceptions'],
    roles: ['integration', 'operator', 'admin'],
    scope: { kind: 'items', note: 'an item outside the scope gets 403 in its result' },
    body: z.strictObject({ items: z.array(z.unknown()).min(1).max(BATCH_LIMIT) }),
    bodyDoc: z.object({ items: z.array(ExceptionIntake).max(BATCH_LIMIT) }),
    responses: { 200: { description: 'Per-item results', schema: z.object({ results: z.array(BatchResult), created: z.number(), duplicates: z.number(), refused: z.number() }) } },
    handler: async ({ body, principal }) => {
      const results: Array<z.infer<typeof BatchResult>> = new Array(body.items.length);
      let next = 0;
      const work = async () => {
        for (let index = next++; index < body.items.length; index = next++) {
          try {
            const { created, state } = await observe(body.items[index], raiseException(deps, principal, body.items[index]));
            results[index] = { index, status: created ? 201 : 200, id: state.id, exception: exceptionView(state) };
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500) throw err;
            results[index] = { index, status: err.status, problem: { title: err.code, detail: err.message, errors: err.extra.errors } };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, body.items.length) }, work));
      return {
        results,
        created: results.filter((r) => r.status === 201).length,
        duplicates: results.filter((r) => r.status === 200).length,
        refused: results.filter((r) => r.status >= 400).length,
      };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/exceptions',
    summary: 'The queue: filter, sort by creation or deadline, cursor pagination',
    tags: ['exceptions'],
    roles: anyRole,
    scope: { kind: 'listing', filters: 'exceptions whose capability:region the scope covers' },
    query: z.strictObject({
      status: z.string().regex(/^(open|claimed|resolved|dismissed)(,(open|claimed|resolved|dismissed))*$/, 'comma-separated statuses').optional(),
      owner: PersonId.optional(),
      claimant: PersonId.optional(),
      capability: z.string().max(64).optional(),
      region: Region.optional(),
      area: ResponsibilityArea.optional(),
      type: z.string().max(64).optional(),
      severity: Severity.optional(),
      escalated: bool.optional(),
      overdue: bool.optional(),
      sort: z.enum(['created', 'deadline']).default('created'),
      ...PageQuery,
    }),
    responses: { 200: { description: 'A page of exceptions', schema: pageOf(ExceptionView) } },
    handler: async ({ query, principal }) => {
      const after = decodeCursor(query.cursor, z.object({ key: z.number(), id: z.string() }));
      const now = Date.now();
      const page = await listExceptions(ledger, {
        ...query,
        status: query.status?.split(',') as ExceptionStatus[] | undefined,
        scope: principal.scope,
        after,
        now,
      });
      return { items: page.items.map((s) => exceptionView(s, now)), nextCursor: page.next ? encodeCursor(page.next) : null };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/exceptions/{id}',
    summary: 'One exception: trust fields first, then payload, deadlines, owner and claimant',
    tags: ['exceptions'],
    roles: anyRole,
    scope: { kind: 'resource', of: ({ params }) => exceptionTarget(ledger, params.id) },
    params: IdParams,
    responses: { 200: { description: 'The exception', schema: ExceptionView }, 404: { description: 'Unknown id' } },
    handler: async ({ params, principal }) => exceptionDetailView(deps, principal, params.id),
  });

  routes.route({
    method: 'get',
    path: '/api/v1/exceptions/{id}/timeline',
    summary: 'The audit trail of one exception, oldest first',
    tags: ['exceptions'],
    roles: anyRole,
    scope: { kind: 'resource', of: ({ params }) => exceptionTarget(ledger, params.id) },
    params: IdParams,
    query: z.strictObject({
      afterSeq: z.coerce.number().int().min(0).optional().meta({ description: 'Continue after this seq (the previous page\'s nextAfterSeq)' }),
      limit: z.coerce.number().int().min(1).max(1000).default(1000),
    }),
    responses: {
      200: {
        description: 'Transitions in order, a page at a time',
        schema: z.object({
          items: z.array(z.object({ seq: z.number(), at: z.string().nullable(), actor: z.string(), action: z.string(), from: z.string().nullable(), to: z.string().nullable(), reason: z.string().nullable(), detail: z.record(z.string(), z.unknown()) })),
          nextAfterSeq: z.number().int().nullable(),
        }),
      },
      404: { description: 'Unknown id' },
    },
    handler: async ({ params, query, principal }) => {
      await requireException(deps, principal, params.id);
      const { rows, more } = await timeline(ledger, params.id, query.afterSeq ?? 0, query.limit);
      return {
        items: rows.map((r) => ({ seq: r.seq, at: iso(r.at), actor: r.actor, action: r.action, from: r.from_value, to: r.to_value, reason: r.reason, detail: storedObject(r.detail) })),
        nextAfterSeq: more ? rows.at(-1)!.seq : null,
      };
    },
  });

  const act = <B extends z.ZodType, A>(
    name: string,
    summary: string,
    roles: Role[],
    body: B,
    update: UpdateDefinition<msg.Receipt, [A]>,
    toArgs: (body: z.infer<B>, actor: ReturnType<typeof actorOf>) => A | Promise<A>,
    options: {
      /** The values this transition refuses (422), when it refuses any. */
      invalid?: string;
      /** Runs once the transition is confirmed, with the exception as the ledger has it. */
      after?: (state: msg.ExceptionState) => Promise<void>;
    } = {},
  ) =>
    routes.route({
      method: 'post',
      path: `/api/v1/exceptions/{id}/${name}`,
      summary,
      tags: ['transitions'],
      roles,
      scope: { kind: 'resource', of: ({ params }) => exceptionTarget(ledger, params.id) },
      params: IdParams,
      body,
      responses: {
        200: { description: 'The exception after the transition', schema: ExceptionView },
        403: { description: 'Not yours to do' },
        404: { description: 'Unknown id' },
        409: { description: 'Conflicting state, e.g. claimed by someone else or already resolved' },
        ...(options.invalid ? { 422: { description: options.invalid } } : ({} as Record<number, never>)),
      },
      handler: async ({ params, body: parsed, principal }) => {
        const args = await toArgs(parsed, actorOf(principal));
        await transition(deps, principal, params.id, update, args);
        if (options.after) {
          const state = await getExceptionState(ledger, params.id);
          if (state) await options.after(state);
        }
        return exceptionDetailView(deps, principal, params.id);
      },
    });

  const reason = z.string().trim().min(1, 'say why').max(2000);
  const optionalBody = z.strictObject({ reason: reason.optional() }).default({});
  act('claim', 'Claim it: one claimant at a time (409 if someone else holds it)', workers, z.strictObject({}).default({}), msg.claimException, (_b, actor) => ({ actor }));
  act('release', 'Release a claim back to the queue', workers, optionalBody, msg.releaseException, (b, actor) => ({ actor, reason: b.reason }));
  act('reassign', 'Give it to another active person (owner or manager)', ['owner', 'manager'], z.strictObject({ to: PersonId, reason }), msg.reassignException, async (b, actor) => {
    const person = await ledger.selectFrom('people').select('status').where('id', '=', b.to).executeTakeFirst();
    return { actor, to: b.to, toStatus: person?.status, reason: b.reason };
  }, { invalid: 'An unknown or inactive person' });
  act(
    'resolve',
    'Resolve it with a code, a note and optionally a value event from the template and what it was worth',
    workers,
    z.strictObject({
      code: ResolutionCode,
      note: z.string().max(5000).optional(),
      valueEvent: z.string().max(64).optional(),
      quantity: z.number().min(0).max(MAX_QUANTITY).optional().meta({ description: "What the value event was worth, in its unit (e.g. 12 for 12 minutes); needs valueEvent" }),
    }),
    msg.resolveException,
    (b, actor) => ({ actor, ...b }),
    {
      invalid: 'A value event the template does not count, or a quantity without one',
      // The value event counts in the readiness scorecard beside the reported ones.
      after: (state) => recordResolutionValue(ledger, state),
    },
  );
  act('dismiss', 'Dismiss it with a reason (owner or manager)', ['owner', 'manager'], z.strictObject({ reason }), msg.dismissException, (b, actor) => ({ actor, reason: b.reason }));
  act('comments', 'Add a comment (a claimant comment renews the claim lease)', [...workers, 'integration'], z.strictObject({ text: z.string().trim().min(1).max(5000) }), msg.commentOnException, (b, actor) => ({ actor, text: b.text }), { invalid: 'The exception already has 10 000 comments, the most one keeps' });
  act('escalate', 'Escalate by hand to the next step of the chain', workers, z.strictObject({ reason }), msg.escalateException, (b, actor) => ({ actor, reason: b.reason }), { invalid: 'Escalated by hand 25 times already, the most one exception takes' });
  act(
    'snooze',
    'Snooze until a time; the SLA clocks pause meanwhile (owner or manager)',
    ['owner', 'manager'],
    z.strictObject({ until: z.iso.datetime({ offset: true }), reason: reason.optional() }),
    msg.snoozeException,
    (b, actor) => ({ actor, until: Date.parse(b.until), reason: b.reason }),
    { invalid: 'A time in the past, or more than 30 days ahead' },
  );
  act(
    'waiting',
    'Wait on others (a supplier, an upstream data fix, another team): the resolve clock and the claim lease pause until it resumes by hand, by a new intake with fresh data for the same sourceKey, or at `until`',
    workers,
    z.strictObject({
      reason: z.enum(WAITING_REASONS).meta({ description: 'Whom it waits on' }),
      note: z.string().trim().min(1).max(2000).optional(),
      until: z.iso.datetime({ offset: true }).optional().meta({ description: 'Resume by itself at this time (at most 30 days ahead)' }),
    }),
    msg.waitOnOthers,
    (b, actor) => ({ actor, reason: b.reason, ...(b.note ? { note: b.note } : {}), ...(b.until ? { until: Date.parse(b.until) } : {}) }),
    { invalid: 'A time in the past, or more than 30 days ahead' },
  );
  act(
    'resume',
    'Resume a waiting exception: its resolve clock runs again with the working time it had left',
    workers,
    z.strictObject({ note: z.string().trim().min(1).max(2000).optional() }).default({}),
    msg.resumeException,
    (b, actor) => ({ actor, ...(b.note ? { note: b.note } : {}) }),
  );

  routes.route({
    method: 'get',
    path: '/api/v1/me/inbox',
    summary: 'Assignments, escalations, decision items and readiness notices that reached you, newest first, with why',
    description:
      'An entry about an exception names it (exceptionId) with its title, status and severity. A notice about a rollout has no exceptionId: ' +
      'kind readiness-flagged says a region in production fell below its cutover thresholds; `link` is its scorecard. ' +
      'attestation-requested and attestation-reminder ask you to confirm your cells (`link`: GET /api/v1/me/attestations); attestation-declined asks the manager who started a campaign to reassign a cell. ' +
      'decision-routed, decision-rerouted and decision-escalated say a decision item (decisionId) was routed, moved or escalated to you; `link` is the item.',
    tags: ['exceptions'],
    roles: anyRole,
    scope: { kind: 'listing', filters: 'entries about exceptions, or notices about capability:region pairs, the scope covers' },
    query: z.strictObject({ ...PageQuery }),
    responses: {
      200: {
        description: 'Inbox entries',
        schema: pageOf(
          z.object({
            exceptionId: z.string().nullable().meta({ description: 'null for a notice about a rollout or a decision item' }),
            decisionId: z.string().nullable().meta({ description: 'the decision item a decision-routed, decision-rerouted or decision-escalated notice is about; `link` is the item' }),
            capability: z.string().nullable(),
            region: z.string().nullable(),
            kind: z.string(),
            level: z.number(),
            reason: z.string(),
            at: z.string().nullable(),
            title: z.string(),
            status: z.string().nullable(),
            severity: z.string().nullable(),
            owner: z.string().nullable(),
            claimant: z.string().nullable(),
            link: z.string().meta({ description: 'API path of what the entry is about' }),
          }),
        ),
      },
    },
    handler: async ({ query, principal }) => {
      const after = decodeCursor(query.cursor, z.object({ id: z.number().int() }));
      const { rows, more } = await scopedInbox(ledger, principal, after?.id, query.limit);
      return {
        items: rows.map(inboxEntryView),
        nextCursor: more ? encodeCursor({ id: rows.at(-1)!.id }) : null,
      };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/quarantine',
    summary: 'Intakes and reported events refused at the door, with their reasons: nothing rejected is lost',
    tags: ['exceptions'],
    roles: ['integration', 'operator', 'manager', 'admin'],
    scope: { kind: 'listing', filters: 'intakes whose capability:region the scope covers; one refused before either could be read shows only to an unscoped token' },
    query: z.strictObject({
      capability: z.string().max(64).optional(),
      region: Region.optional(),
      source: z.enum(['intake', 'report']).optional().meta({ description: 'intake: refused exceptions; report: refused reported events' }),
      sourceKey: z.string().max(200).optional(),
      ...PageQuery,
    }),
    responses: {
      200: {
        description: 'Quarantined intakes',
        schema: pageOf(z.object({ id: z.number(), source: z.string(), receivedAt: z.string().nullable(), actor: z.string(), capability: z.string().nullable(), region: z.string().nullable(), type: z.string().nullable(), sourceKey: z.string().nullable(), reasons: z.unknown(), body: z.unknown() })),
      },
    },
    handler: async ({ query, principal }) => {
      const after = decodeCursor(query.cursor, z.object({ id: z.number().int() }));
      const { rows, more } = await listQuarantine(ledger, { capability: query.capability, region: query.region, source: query.source, sourceKey: query.sourceKey, beforeId: after?.id, limit: query.limit, scope: principal.scope });
      return {
        items: rows.map((r) => ({ id: r.id, source: r.source, receivedAt: iso(r.received_at), actor: r.actor, capability: r.capability, region: r.region, type: r.type, sourceKey: r.source_key, reasons: storedJson(r.reasons), body: storedJson(r.body) })),
        nextCursor: more ? encodeCursor({ id: rows.at(-1)!.id }) : null,
      };
    },
  });
}
