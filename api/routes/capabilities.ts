import YAML from 'yaml';
import { z } from 'zod';
import { CapabilityTemplate, ResponsibilityArea } from '../../domain/capability.js';
import { CellAssignment } from '../../domain/ownership.js';
import { inScope, type Principal } from '../../domain/principal.js';
import { Region } from '../../domain/rollout.js';
import { getRollout, listCapabilities, listRollouts } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import type { AllowedHosts } from '../../platform/webhook-target.js';
import { listChanges } from '../../ledger/ownership.js';
import { AppError } from '../errors.js';
import { decodeCursor, encodeCursor, PageQuery, pageOf } from '../pagination.js';
import { Reply, type ApiRoutes } from '../route.js';
import { assertScope, capabilityInScope } from '../scope.js';
import { announceCalendarChanges, regionCalendars } from '../services/calendars.js';
import { putRollout, putTemplate, requireCapability, requireRollout } from '../services/catalog.js';
import { channelGuard, keepMaskedWebhook, overlayFor, templateFor } from '../services/channel.js';
import { assignOwnership, readMatrix } from '../services/ownership.js';
import type { TemporalDeps } from '../services/temporal.js';

const anyRole = ['operator', 'owner', 'manager', 'admin', 'integration'] as const;
const CapabilityId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'expected a kebab-case id such as po-assist');
const yamlOrJson = ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml'];
const TemplateDoc = CapabilityTemplate.meta({ id: 'CapabilityTemplate' });
const RolloutDoc = z.object({
  region: z.string(),
  /** The core version the region adopted (issue 17: POST …/adoption moves it). */
  templateVersion: z.number().int(),
  overlay: z.record(z.string(), z.unknown()),
  effective: TemplateDoc,
  /** After a save: the rehearsal of the region's scenarios it ran (GET …/rehearsal has the results). */
  rehearsal: z.object({ total: z.number().int(), failed: z.number().int() }).optional(),
});

const Cell = z
  .object({ owner: z.string().nullable(), backup: z.string().nullable(), escalation: z.array(z.string()), updatedAt: z.string().nullable(), updatedBy: z.string().nullable() })
  .meta({ id: 'OwnershipCell' });
const Matrix = z
  .object({
    capability: z.string(),
    version: z.number().int(),
    regions: z.record(z.string(), z.record(ResponsibilityArea, Cell)),
  })
  .meta({ id: 'OwnershipMatrix' });
const Change = z
  .object({ version: z.number().int(), at: z.string(), actor: z.string(), region: z.string(), area: z.string(), before: Cell, after: Cell, reason: z.string() })
  .meta({ id: 'OwnershipChange' });

/** If-Match: "7" (or W/"7") names the version (of the matrix, or of the template) a write expects. */
function versionFromIfMatch(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!match) throw new AppError('BAD_REQUEST', 'If-Match must carry the version, e.g. "7".', { errors: [{ path: 'headers.if-match', message: 'expected a version' }] });
  return Number(match[1]);
}

export function capabilityRoutes(routes: ApiRoutes, deps: TemporalDeps & { ledger: LedgerDb; webhookAllowedHosts: AllowedHosts }) {
  const { ledger, webhookAllowedHosts } = deps;

  routes.route({
    method: 'put',
    path: '/api/v1/capabilities/{capabilityId}',
    summary: 'Create or update a capability template (JSON, or YAML with Content-Type: application/yaml)',
    description: 'Versions only rise. Send If-Match: "<version>" to refuse a write over a version you have not seen (409). 400 for malformed YAML/JSON, 422 naming each invalid path.',
    tags: ['capabilities'],
    roles: ['manager', 'admin'],
    scope: { kind: 'capability', of: ({ params }) => params.capabilityId },
    params: z.strictObject({ capabilityId: CapabilityId }),
    body: z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'expected a template object or YAML text' }),
    bodyDoc: TemplateDoc,
    bodyTypes: yamlOrJson,
    responses: {
      200: { description: 'Updated or unchanged', schema: TemplateDoc },
      201: { description: 'Created', schema: TemplateDoc },
      409: { description: 'A changed template that does not raise the version, or a stale If-Match' },
      422: { description: 'Invalid template, with every path' },
    },
    handler: async ({ params, body, principal, req }) => {
      const calendars = await regionCalendars(ledger, params.capabilityId);
      const { capability, outcome } = await putTemplate(ledger, {
        id: params.capabilityId,
        source: body,
        format: typeof body === 'string' ? 'yaml' : 'object',
        actor: principal.sub,
        origin: 'api',
        channelGuard: channelGuard(principal, params.capabilityId, webhookAllowedHosts),
        expectedVersion: versionFromIfMatch(req.get('if-match')),
      });
      if (outcome === 'updated') await announceCalendarChanges(deps, params.capabilityId, calendars, principal.sub);
      return new Reply(outcome === 'created' ? 201 : 200, templateFor(principal, capability.template));
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities',
    summary: 'Capabilities in your scope, with their regions',
    tags: ['capabilities'],
    roles: [...anyRole],
    scope: { kind: 'listing', filters: 'capabilities the scope reaches, each with only the regions it covers' },
    responses: {
      200: {
        description: 'Capabilities',
        schema: pageOf(z.object({ id: z.string(), name: z.string(), version: z.number(), regions: z.array(z.string()), updatedAt: z.string(), updatedBy: z.string() })),
      },
    },
    handler: async ({ principal }) => {
      const rollouts = await listRollouts(ledger);
      const items = (await listCapabilities(ledger))
        .filter((c) => capabilityInScope(principal, c.id))
        .map((c) => ({
          id: c.id,
          name: c.name,
          version: c.version,
          regions: rollouts.filter((r) => r.capabilityId === c.id && inScope(principal, c.id, r.region)).map((r) => r.region),
          updatedAt: c.updatedAt,
          updatedBy: c.updatedBy,
        }));
      return { items, nextCursor: null };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}',
    summary: 'A capability template and its regions',
    description: "The core template is shared by every region it is rolled out to; `regions` lists only those in the token's scope (403 when the scope reaches none of the capability).",
    tags: ['capabilities'],
    roles: [...anyRole],
    scope: { kind: 'listing', filters: 'the regions in scope; 403 when the scope reaches no region of the capability' },
    params: z.strictObject({ capabilityId: CapabilityId }),
    responses: { 200: { description: 'The template', schema: z.object({ template: TemplateDoc, regions: z.array(z.string()) }) }, 404: { description: 'Unknown capability' } },
    handler: async ({ params, principal }) => {
      if (!capabilityInScope(principal, params.capabilityId)) throw new AppError('FORBIDDEN', `Your token's scope does not cover ${params.capabilityId}.`);
      const capability = await requireCapability(ledger, params.capabilityId);
      const regions = (await listRollouts(ledger, params.capabilityId)).map((r) => r.region).filter((region) => inScope(principal, params.capabilityId, region));
      return { template: templateFor(principal, capability.template), regions, updatedAt: capability.updatedAt, updatedBy: capability.updatedBy };
    },
  });

  routes.route({
    method: 'put',
    path: '/api/v1/capabilities/{capabilityId}/regions/{region}',
    summary: 'Roll a capability out to a region, overriding adaptable keys only',
    description:
      'Any key the template does not declare adaptable → 422 naming it. Only an admin or a manager of the whole capability ' +
      'changes notifications.channel (else 403); a webhook must be http(s), without credentials, and public unless ' +
      'WEBHOOK_ALLOWED_HOSTS lists its host (422 at notifications.channel.webhook). Non-admins see webhook URLs masked; ' +
      'sending the masked URL back keeps the stored one.',
    tags: ['capabilities'],
    roles: ['manager', 'admin'],
    scope: { kind: 'resource', of: ({ params }) => ({ capability: params.capabilityId, region: params.region }) },
    params: z.strictObject({ capabilityId: CapabilityId, region: Region }),
    body: z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'expected an overlay object or YAML text' }),
    bodyTypes: yamlOrJson,
    responses: {
      200: { description: 'Updated; the effective template', schema: RolloutDoc },
      201: { description: 'Rolled out; the effective template', schema: RolloutDoc },
      404: { description: 'Unknown capability' },
      422: { description: 'A key that is not adaptable, or a bad value' },
    },
    handler: async ({ params, body, principal }) => {
      const stored = (await getRollout(ledger, params.capabilityId, params.region))?.overlay;
      const overlay = keepMaskedWebhook(typeof body === 'string' ? parseYamlOverlay(body) : body, stored);
      const calendars = await regionCalendars(ledger, params.capabilityId);
      const { rollout, outcome, changed, rehearsal } = await putRollout(ledger, {
        capabilityId: params.capabilityId,
        region: params.region,
        overlay,
        actor: principal.sub,
        channelGuard: channelGuard(principal, params.capabilityId, webhookAllowedHosts),
      });
      // Open exceptions of a region whose calendar changed count in the new one from their next clock computation.
      if (outcome === 'updated') await announceCalendarChanges(deps, params.capabilityId, calendars, principal.sub);
      return new Reply(outcome === 'created' ? 201 : 200, {
        region: rollout.region,
        overlay: overlayFor(principal, rollout.overlay),
        changed,
        templateVersion: rollout.templateVersion,
        rehearsal: { total: rehearsal.total, failed: rehearsal.failed },
        effective: templateFor(principal, rollout.effective),
      });
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/regions/{region}',
    summary: "A region's effective template: core plus its overlay",
    tags: ['capabilities'],
    roles: [...anyRole],
    scope: { kind: 'resource', of: ({ params }) => ({ capability: params.capabilityId, region: params.region }) },
    params: z.strictObject({ capabilityId: CapabilityId, region: Region }),
    responses: {
      200: { description: 'The effective template', schema: RolloutDoc },
      404: { description: 'Unknown capability, or not rolled out to the region' },
    },
    handler: async ({ params, principal }) => {
      await requireCapability(ledger, params.capabilityId);
      const rollout = await requireRollout(ledger, params.capabilityId, params.region);
      return { region: rollout.region, templateVersion: rollout.templateVersion, overlay: overlayFor(principal, rollout.overlay), effective: templateFor(principal, rollout.effective), updatedAt: rollout.updatedAt, updatedBy: rollout.updatedBy };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/ownership',
    summary: 'The ownership matrix: region × area → owner, backup, escalation chain',
    description: 'Every rolled-out region lists all four areas; an unassigned cell has owner null. The ETag is the version.',
    tags: ['ownership'],
    roles: [...anyRole],
    scope: { kind: 'listing', filters: 'only the regions in scope' },
    params: z.strictObject({ capabilityId: CapabilityId }),
    query: z.strictObject({ region: Region.optional() }),
    responses: { 200: { description: 'The matrix', schema: Matrix }, 404: { description: 'Unknown capability' } },
    handler: async ({ params, query, principal, res }) => {
      await requireCapability(ledger, params.capabilityId);
      const regions = (await listRollouts(ledger, params.capabilityId))
        .map((r) => r.region)
        .filter((region) => (!query.region || region === query.region) && capabilityRegionVisible(principal, params.capabilityId, region));
      const matrix = await readMatrix(deps, params.capabilityId);
      const empty = { owner: null, backup: null, escalation: [], updatedAt: null, updatedBy: null };
      res.setHeader('ETag', `"${matrix.version}"`);
      return {
        capability: params.capabilityId,
        version: matrix.version,
        regions: Object.fromEntries(
          regions.map((region) => [region, Object.fromEntries(ResponsibilityArea.options.map((area) => [area, matrix.cells[`${region}/${area}`] ?? empty]))]),
        ),
      };
    },
  });

  routes.route({
    method: 'put',
    path: '/api/v1/capabilities/{capabilityId}/ownership/{region}/{area}',
    summary: 'Assign the owner, backup and escalation chain of one cell',
    description:
      'The owner must exist and be active; the backup must differ from the owner; each escalation entry must exist (422). ' +
      'Send If-Match: "<version>" or expectedVersion to refuse a stale write (409).',
    tags: ['ownership'],
    roles: ['manager', 'admin'],
    scope: { kind: 'resource', of: ({ params }) => ({ capability: params.capabilityId, region: params.region }) },
    params: z.strictObject({ capabilityId: CapabilityId, region: Region, area: ResponsibilityArea }),
    body: CellAssignment,
    responses: {
      200: { description: 'The new cell and version', schema: z.object({ version: z.number().int(), cell: Cell, change: Change }) },
      404: { description: 'Unknown capability' },
      409: { description: 'Stale version' },
      422: { description: 'Unknown or inactive person, backup equal to owner, region not rolled out' },
    },
    handler: async ({ params, body, principal, req, res }) => {
      await requireCapability(ledger, params.capabilityId);
      await requireRollout(ledger, params.capabilityId, params.region);
      const ifMatch = versionFromIfMatch(req.get('if-match'));
      const assignment = { ...body, expectedVersion: body.expectedVersion ?? ifMatch };
      const result = await assignOwnership(deps, { capability: params.capabilityId, region: params.region, area: params.area, assignment, actor: principal.sub });
      res.setHeader('ETag', `"${result.version}"`);
      return result;
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/ownership/history',
    summary: 'Who changed which cell, when and why, newest first',
    tags: ['ownership'],
    roles: [...anyRole],
    scope: { kind: 'listing', filters: 'changes to cells in scope; 403 when the filter names a region out of scope' },
    params: z.strictObject({ capabilityId: CapabilityId }),
    query: z.strictObject({ region: Region.optional(), area: ResponsibilityArea.optional(), ...PageQuery }),
    responses: { 200: { description: 'A page of changes', schema: pageOf(Change) }, 404: { description: 'Unknown capability' } },
    handler: async ({ params, query, principal }) => {
      if (query.region) assertScope(principal, params.capabilityId, query.region);
      else if (!capabilityInScope(principal, params.capabilityId)) throw new AppError('FORBIDDEN', `Your token's scope does not cover ${params.capabilityId}.`);
      await requireCapability(ledger, params.capabilityId);
      const after = decodeCursor(query.cursor, z.object({ version: z.number().int() }));
      const { changes, more } = await listChanges(ledger, { capability: params.capabilityId, region: query.region, area: query.area, beforeVersion: after?.version, limit: query.limit });
      const visible = changes.filter((c) => capabilityRegionVisible(principal, params.capabilityId, c.region));
      return { items: visible, nextCursor: more ? encodeCursor({ version: changes.at(-1)!.version }) : null };
    },
  });
}

const capabilityRegionVisible = (principal: Principal, capability: string, region: string) => inScope(principal, capability, region);

function parseYamlOverlay(text: string): unknown {
  try {
    return YAML.parse(text) as unknown;
  } catch (err) {
    throw new AppError('BAD_REQUEST', 'The overlay is not well-formed YAML.', { errors: [{ path: '(body)', message: (err as Error).message }] });
  }
}
