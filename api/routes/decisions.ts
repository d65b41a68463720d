import { z } from 'zod';
import { DecisionDetailView, DecisionOutcomeInput, DecisionQuery, DecisionView, EvaluateBody, EvaluationView } from '../../domain/decisions.js';
import { pageOf } from '../pagination.js';
import type { ApiRoutes } from '../route.js';
import { decisionDetail, decisionLog, decisionsCsv, decisionTarget, evaluateNow, settleDecision, type DecisionDeps } from '../services/decisions.js';

const readers = ['owner', 'manager', 'admin'] as const;
const IdParams = z.strictObject({ id: z.string().min(1).max(300) });

/** Decision items (workflows/decision): the log, one item with its evidence, recording an outcome, and grading triggers on demand. */
export function decisionRoutes(routes: ApiRoutes, deps: DecisionDeps) {
  routes.route({
    method: 'get',
    path: '/api/v1/decisions',
    summary: 'The decision log: every item a trigger raised, per capability × area × region, newest first; searchable, JSON or CSV',
    description:
      'Filter by capability, region, area, trigger, status, owner, mine (owned by or escalated to you) and overdue; q searches the summary, trigger, outcome and decider. ' +
      'CSV with format=csv or Accept: text/csv (one page; follow nextCursor for more).',
    tags: ['decisions'],
    roles: [...readers],
    scope: { kind: 'listing', filters: 'items in the capability:region pairs of the scope' },
    query: DecisionQuery,
    responses: { 200: { description: 'A page of the log', schema: pageOf(DecisionView) } },
    handler: async ({ query, principal, req, res }) => {
      const page = await decisionLog(deps, principal, query);
      if (query.format === 'csv' || (query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv')) {
        res.type('text/csv').setHeader('content-disposition', 'attachment; filename="decisions.csv"');
        if (page.nextCursor) res.setHeader('x-next-cursor', page.nextCursor);
        res.send(decisionsCsv(page.items));
        return;
      }
      return page;
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/decisions/{id}',
    summary: 'One decision item: the figures that fired it, the exceptions behind them, a per-day series, value events, its timeline and, for a retraining decision, before/after exception rates',
    tags: ['decisions'],
    roles: [...readers],
    scope: { kind: 'resource', of: ({ params }) => decisionTarget(deps.ledger, params.id) },
    params: IdParams,
    responses: { 200: { description: 'The item', schema: DecisionDetailView }, 404: { description: 'Unknown id' } },
    handler: ({ params }) => decisionDetail(deps, params.id),
  });

  routes.route({
    method: 'post',
    path: '/api/v1/decisions/{id}/outcome',
    summary: 'Record the outcome: decided (retrain, change-rule, schedule-training, add-capacity, with what), declined (why) or deferred (until when; raised again then)',
    description: 'Its owner, the backup, the escalation chain or a manager. Who and when come from the token and the clock; audited.',
    tags: ['decisions'],
    roles: [...readers],
    scope: { kind: 'resource', of: ({ params }) => decisionTarget(deps.ledger, params.id) },
    params: IdParams,
    body: DecisionOutcomeInput,
    responses: {
      200: { description: 'The item as recorded', schema: DecisionDetailView },
      404: { description: 'Unknown id' },
      409: { description: 'Already decided or declined, or deferred too often' },
      422: { description: 'The outcome does not say enough (e.g. a retrain without data, a deferral into the past)' },
    },
    handler: ({ params, body, principal }) => settleDecision(deps, principal, params.id, body),
  });

  routes.route({
    method: 'post',
    path: '/api/v1/decisions/evaluate',
    summary: "Grade every decision trigger now (what the daily schedule does) and raise an item for each that fired; an open item for the same trigger × region is kept",
    tags: ['decisions'],
    roles: ['manager', 'admin'],
    scope: { kind: 'capability', of: ({ body }) => body.capability ?? '*' },
    body: EvaluateBody,
    responses: { 200: { description: 'What was graded, what fired, raised and kept', schema: EvaluationView } },
    handler: ({ body, principal }) => evaluateNow(deps, principal, body),
  });
}
