import { z } from 'zod';
import { inScope } from '../../domain/principal.js';
import { DAY_MS, dayOf, ScorecardView, Stage, StageChange, type Scorecard } from '../../domain/readiness.js';
import { Region } from '../../domain/rollout.js';
import { listSnapshots } from '../../ledger/rollout-stages.js';
import { AppError } from '../errors.js';
import type { ApiRoutes } from '../route.js';
import { capabilityInScope } from '../scope.js';
import { capabilityReadiness, changeStage, regionReadiness, rolloutPlan, scorecardView, type ReadinessDeps } from '../services/readiness.js';
import { iso } from '../views.js';

const CapabilityId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'expected a kebab-case id such as po-assist');
const RegionParams = z.strictObject({ capabilityId: CapabilityId, region: Region });
const readers = ['manager', 'owner', 'admin'] as const;
const place = ({ params }: { params: { capabilityId: string; region: string } }) => ({ capability: params.capabilityId, region: params.region });

const csvCell = (value: unknown) => {
  const text = value === null || value === undefined ? '' : String(value);
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
};
/** Criteria as rows, regions as columns of measured / threshold / pass, as the console shows them. */
export function scorecardsCsv(cards: Scorecard[]): string {
  const header = ['criterion', ...cards.flatMap((c) => [`${c.region} measured`, `${c.region} threshold`, `${c.region} pass`, `${c.region} why`])];
  const ids = cards[0]?.criteria.map((c) => c.id) ?? [];
  const rows = ids.map((id) => [
    id,
    ...cards.flatMap((card) => {
      const c = card.criteria.find((x) => x.id === id)!;
      return [c.measured, c.threshold, c.pass === null ? 'info' : c.pass ? 'pass' : 'fail', c.why];
    }),
  ]);
  const ready = ['ready', ...cards.flatMap((c) => ['', '', c.ready ? 'pass' : 'fail', c.failing.join(' ')])];
  return [header, ...rows, ready].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

const History = z.object({
  items: z.array(
    z.object({
      day: z.string(),
      held: z.boolean(),
      ready: z.boolean(),
      stage: z.string(),
      origin: z.string(),
      criteria: z.array(z.object({ id: z.string(), measured: z.number().nullable(), threshold: z.number().nullable(), pass: z.boolean().nullable() })),
      value: z.array(z.object({ id: z.string(), total: z.number(), perWeek: z.number() })),
    }),
  ),
});

export function readinessRoutes(routes: ApiRoutes, deps: ReadinessDeps) {
  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/readiness',
    summary: 'The readiness scorecard of every region in your scope: is it ready for production, and if not, why not',
    description:
      'Read from the ledger over the template\'s window (cutover.windowDays, 14 by default, today included). Each criterion has its measured value, ' +
      'threshold, pass/fail and an API path to its evidence. CSV (criteria as rows, regions as columns) with Accept: text/csv.',
    tags: ['readiness'],
    roles: [...readers],
    scope: { kind: 'listing', filters: 'the regions in scope; 403 when the scope reaches no region of the capability' },
    params: z.strictObject({ capabilityId: CapabilityId }),
    responses: { 200: { description: 'One scorecard per region', schema: z.object({ capability: z.string(), regions: z.array(ScorecardView) }) } },
    handler: async ({ params, principal, req, res }) => {
      if (!capabilityInScope(principal, params.capabilityId)) throw new AppError('FORBIDDEN', `Your token's scope does not cover ${params.capabilityId}.`);
      const regions = await capabilityReadiness(deps, params.capabilityId, (region) => inScope(principal, params.capabilityId, region));
      if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
        res.type('text/csv').setHeader('content-disposition', `attachment; filename="${params.capabilityId}-readiness.csv"`);
        res.send(scorecardsCsv(regions.map((r) => r.card)));
        return;
      }
      return { capability: params.capabilityId, regions: regions.map((r) => scorecardView(r.card, r.stage)) };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/regions/{region}/readiness',
    summary: "One region's readiness scorecard",
    tags: ['readiness'],
    roles: [...readers],
    scope: { kind: 'resource', of: place },
    params: RegionParams,
    responses: { 200: { description: 'The scorecard', schema: ScorecardView }, 404: { description: 'Not rolled out there' } },
    handler: async ({ params }) => {
      const { card, stage } = await regionReadiness(deps, params.capabilityId, params.region);
      return scorecardView(card, stage);
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/regions/{region}/readiness/history',
    summary: "A region's daily scorecards, oldest first: the trend of each criterion, and the days that made it stable",
    description: 'Written once a day by the readiness schedule (or the backfill command); a day without a snapshot was not evaluated.',
    tags: ['readiness'],
    roles: [...readers],
    scope: { kind: 'resource', of: place },
    params: RegionParams,
    query: z.strictObject({ days: z.coerce.number().int().min(1).max(366).default(30) }),
    responses: { 200: { description: 'Daily snapshots', schema: History } },
    handler: async ({ params, query }) => {
      const today = dayOf(Date.now());
      const snapshots = await listSnapshots(deps.ledger, params.capabilityId, params.region, today - query.days * DAY_MS, today + DAY_MS);
      return {
        items: snapshots.map((s) => ({
          day: iso(s.day)!.slice(0, 10),
          held: s.held,
          ready: s.ready,
          stage: s.stage,
          origin: s.origin,
          criteria: (s.scorecard.criteria ?? []).map((c) => ({ id: c.id, measured: c.measured, threshold: c.threshold, pass: c.pass })),
          value: (s.scorecard.value ?? []).map((v) => ({ id: v.id, total: v.total, perWeek: v.perWeek })),
        })),
      };
    },
  });

  routes.route({
    method: 'put',
    path: '/api/v1/capabilities/{capabilityId}/regions/{region}/stage',
    summary: 'Move a region to pilot, production or paused: promotion only when the scorecard is ready, or by a manager\'s override with a reason',
    description:
      'A promotion of a region that is not ready is 409 listing every failing criterion (`failing`). `override: true` with a reason promotes anyway; ' +
      'the override, the scorecard at that moment and the actor go into the audit log. Leaving production or pausing needs a reason. ' +
      'Nothing demotes a region on its own: a production region below a threshold is flagged by the daily evaluation.',
    tags: ['readiness'],
    roles: ['manager', 'admin'],
    scope: { kind: 'resource', of: place },
    params: RegionParams,
    body: StageChange,
    responses: {
      200: { description: 'The region after the change, with the scorecard it was judged on', schema: z.object({ changed: z.boolean(), stage: Stage, since: z.string().nullable(), updatedBy: z.string().nullable(), scorecard: ScorecardView }) },
      404: { description: 'Not rolled out there' },
      409: { description: 'Not ready: `failing` lists each failing criterion with its measured value, threshold and why' },
      422: { description: 'An override or a demotion without a reason' },
    },
    handler: async ({ params, body, principal }) => {
      const { card, stage, changed } = await changeStage(deps, principal.sub, params.capabilityId, params.region, body);
      return { changed, stage: stage.stage, since: iso(stage.since), updatedBy: stage.updatedBy, scorecard: scorecardView(card, stage) };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/rollout-plan',
    summary: 'Where next, and why: each region of the template\'s rollout plan, in order, with what it waits for',
    description:
      'A region waits for its prerequisites (another region in production, for at least so long), to be rolled out, and for its own scorecard. ' +
      '`next` marks the first region not in production whose prerequisites hold. Without a plan in the template: the rolled-out regions, none waiting on another.',
    tags: ['readiness'],
    roles: [...readers],
    scope: {
      kind: 'listing',
      filters:
        'the regions in scope; of a prerequisite region outside it, only whether the prerequisite is met (never its stage, time in production or scorecard), ' +
        'and `next` only where every earlier step is in scope; 403 when the scope reaches no region of the capability',
    },
    params: z.strictObject({ capabilityId: CapabilityId }),
    responses: {
      200: {
        description: 'The plan',
        schema: z.object({
          capability: z.string(),
          steps: z.array(
            z.object({
              region: z.string(),
              position: z.number().int(),
              rolledOut: z.boolean(),
              stage: Stage.nullable(),
              status: z.enum(['in-production', 'paused', 'ready-to-promote', 'waiting']),
              next: z.boolean(),
              waitsFor: z.array(z.string()),
            }),
          ),
          unplanned: z.array(z.string()).meta({ description: 'Rolled out, but not in the plan' }),
        }),
      },
      404: { description: 'Unknown capability' },
    },
    handler: async ({ params, principal }) => {
      if (!capabilityInScope(principal, params.capabilityId)) throw new AppError('FORBIDDEN', `Your token's scope does not cover ${params.capabilityId}.`);
      const { steps, unplanned } = await rolloutPlan(deps, params.capabilityId, (region) => inScope(principal, params.capabilityId, region));
      return { capability: params.capabilityId, steps, unplanned };
    },
  });
}
