import { z } from 'zod';
import { ResponsibilityArea } from '../../domain/capability.js';
import { durationAtMost } from '../../domain/duration.js';
import { inScope } from '../../domain/principal.js';
import { MAX_CAMPAIGN_REGIONS } from '../../domain/rules/attestation.js';
import { Region } from '../../domain/rollout.js';
import { listCampaigns, pendingRequestsOf } from '../../ledger/attestation.js';
import type { LedgerDb } from '../../ledger/db.js';
import type { ApiRoutes } from '../route.js';
import { answerCampaign, campaignFootprint, campaignRegions, cancelCampaign, requireCampaign, startCampaign } from '../services/attestations.js';
import { requireCapability } from '../services/catalog.js';
import type { TemporalDeps } from '../services/temporal.js';

const CapabilityId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'expected a kebab-case id such as po-assist');
const CampaignId = z.string().min(1).max(200).meta({ description: 'attestation:<capability>:<short id>, as the start answered' });
const managers = ['manager', 'admin'] as const;
const State = z.enum(['pending', 'confirmed', 'declined', 'expired', 'cancelled']);
const Counts = z.object({ asked: z.number().int(), pending: z.number().int(), confirmed: z.number().int(), declined: z.number().int(), expired: z.number().int(), cancelled: z.number().int() });
const Campaign = z
  .object({
    campaignId: z.string(),
    capability: z.string(),
    regions: z.array(z.string()),
    status: z.enum(['running', 'completed', 'cancelled']),
    startedBy: z.string(),
    startedAt: z.string(),
    remindAt: z.string(),
    deadline: z.string(),
    remindedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    closedBy: z.string().nullable(),
    closeReason: z.string().nullable(),
    counts: Counts,
  })
  .meta({ id: 'AttestationCampaign' });
const Request = z.object({ region: z.string(), area: z.string(), person: z.string(), role: z.enum(['owner', 'backup']), state: State, reason: z.string().nullable(), answeredAt: z.string().nullable() });
const CampaignDetail = Campaign.extend({ requests: z.array(Request) }).meta({ id: 'AttestationCampaignDetail', description: 'The campaign, with every owner and backup asked and their answer' });
const CampaignParams = z.strictObject({ capabilityId: CapabilityId, campaignId: CampaignId });

export function attestationRoutes(routes: ApiRoutes, deps: TemporalDeps & { ledger: LedgerDb }) {
  const { ledger } = deps;

  routes.route({
    method: 'post',
    path: '/api/v1/capabilities/{capabilityId}/attestations',
    summary: 'Start an ownership attestation campaign: every owner and backup of the cells confirms them within a deadline',
    description:
      'Each active owner and backup of the regions\' cells (every rolled-out region when `regions` is left out) gets an inbox notice, and a webhook notice ' +
      'where the region has a channel; whoever has not answered is reminded `remindBefore` the deadline. At the deadline what is unanswered expires and ' +
      'shows in the gap audit as `unattested`, as does a declined cell, until it is confirmed in a later campaign or reassigned. ' +
      '409 while another campaign runs over one of the regions; 422 for a region not rolled out or a reminder not before the deadline.',
    tags: ['ownership'],
    roles: [...managers],
    scope: { kind: 'person', touches: async ({ params, body }) => (await campaignRegions(ledger, params.capabilityId, body.regions)).map((region) => ({ capability: params.capabilityId, region, what: 'an attestation campaign' })) },
    params: z.strictObject({ capabilityId: CapabilityId }),
    body: z.strictObject({
      regions: z.array(Region).min(1).max(MAX_CAMPAIGN_REGIONS).optional(),
      within: durationAtMost('90d').default('14d').meta({ description: 'How long owners have to answer, e.g. 14d' }),
      remindBefore: durationAtMost('90d').default('3d').meta({ description: 'How long before the deadline the reminder goes out' }),
    }),
    responses: {
      201: { description: 'Started: everyone is asked', schema: CampaignDetail },
      404: { description: 'Unknown capability' },
      409: { description: 'A campaign already runs over one of the regions' },
      422: { description: 'A region not rolled out, or a reminder not before the deadline' },
    },
    handler: async ({ params, body, principal }) => startCampaign(deps, { capability: params.capabilityId, regions: body.regions, within: body.within, remindBefore: body.remindBefore, actor: principal.sub }),
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/attestations',
    summary: "A capability's attestation campaigns, newest first, with their progress",
    tags: ['ownership'],
    roles: [...managers],
    // A region's manager lists the campaigns of their regions: a campaign shows only when the token
    // reaches every region it covers, so its counts never include a region out of scope.
    scope: { kind: 'listing', filters: 'campaigns whose every region the scope reaches' },
    params: z.strictObject({ capabilityId: CapabilityId }),
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
    responses: { 200: { description: 'Campaigns', schema: z.object({ items: z.array(Campaign) }) }, 404: { description: 'Unknown capability' } },
    handler: async ({ params, query, principal }) => {
      await requireCapability(ledger, params.capabilityId);
      const visible = (c: { capability: string; regions: string[] }) => c.regions.every((region) => inScope(principal, c.capability, region));
      return { items: await listCampaigns(ledger, params.capabilityId, query.limit, principal.scope ? visible : undefined) };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/attestations/{campaignId}',
    summary: 'One campaign: its progress and every answer',
    tags: ['ownership'],
    roles: [...managers],
    scope: { kind: 'person', touches: ({ params }) => campaignFootprint(ledger, params.capabilityId, params.campaignId) },
    params: CampaignParams,
    responses: { 200: { description: 'The campaign', schema: CampaignDetail }, 404: { description: 'No such campaign' } },
    handler: async ({ params }) => requireCampaign(ledger, params.capabilityId, params.campaignId),
  });

  routes.route({
    method: 'post',
    path: '/api/v1/capabilities/{capabilityId}/attestations/{campaignId}/answers',
    summary: 'Confirm or decline one of your own cells (owner or backup)',
    description:
      'Only the person asked answers, once, while the campaign runs (403 for someone else\'s cell, 409 when already answered or closed). ' +
      'A decline needs a reason; it asks the manager who started the campaign to reassign the cell.',
    tags: ['ownership'],
    roles: ['operator', 'owner', 'manager', 'admin'],
    scope: { kind: 'resource', of: ({ params, body }) => ({ capability: params.capabilityId, region: body.region }) },
    params: CampaignParams,
    body: z
      .strictObject({ region: Region, area: ResponsibilityArea, answer: z.enum(['confirm', 'decline']), reason: z.string().trim().max(1000).optional() })
      .refine((b) => b.answer === 'confirm' || Boolean(b.reason), { path: ['reason'], message: 'say why you decline, so the manager knows what to change' }),
    responses: {
      200: { description: 'Recorded; the request and the campaign counts', schema: Request.extend({ campaignId: z.string(), capability: z.string(), counts: Counts }) },
      404: { description: 'No such campaign' },
      409: { description: 'Already answered, or the campaign is closed' },
    },
    handler: async ({ params, body, principal }) =>
      answerCampaign(deps, params.capabilityId, params.campaignId, { region: body.region, area: body.area, person: principal.sub, answer: body.answer, reason: body.reason ?? null }),
  });

  routes.route({
    method: 'post',
    path: '/api/v1/capabilities/{capabilityId}/attestations/{campaignId}/cancel',
    summary: 'Cancel a running campaign: what is unanswered is dropped, not expired (no unattested gap)',
    tags: ['ownership'],
    roles: [...managers],
    scope: { kind: 'person', touches: ({ params }) => campaignFootprint(ledger, params.capabilityId, params.campaignId) },
    params: CampaignParams,
    body: z.strictObject({ reason: z.string().trim().min(1, 'say why').max(1000) }),
    responses: { 200: { description: 'Cancelled', schema: CampaignDetail }, 404: { description: 'No such campaign' }, 409: { description: 'The campaign has already closed' } },
    handler: async ({ params, body, principal }) => cancelCampaign(deps, params.capabilityId, params.campaignId, principal.sub, body.reason),
  });

  routes.route({
    method: 'get',
    path: '/api/v1/me/attestations',
    summary: 'Cells you are asked to confirm, in running campaigns, soonest deadline first',
    tags: ['ownership'],
    roles: ['operator', 'owner', 'manager', 'admin'],
    scope: { kind: 'none', why: "only the caller's own requests, each also kept to the token's capability:region pairs" },
    responses: {
      200: {
        description: 'Your pending requests',
        schema: z.object({ items: z.array(z.object({ campaignId: z.string(), capability: z.string(), region: z.string(), area: z.string(), role: z.string(), deadline: z.string(), startedBy: z.string() })) }),
      },
    },
    handler: async ({ principal }) => ({
      items: (await pendingRequestsOf(ledger, principal.sub))
        .filter((r) => inScope(principal, r.capability, r.region))
        .map((r) => ({ campaignId: r.campaign_id, capability: r.capability, region: r.region, area: r.area, role: r.role, deadline: new Date(Number(r.deadline)).toISOString(), startedBy: r.started_by })),
    }),
  });
}
