import { z } from 'zod';
import { inScope } from '../../domain/principal.js';
import { Region } from '../../domain/rollout.js';
import type { LedgerDb } from '../../ledger/db.js';
import { listRollouts } from '../../ledger/catalog.js';
import { getRehearsal, matrixChangedSince } from '../../ledger/template-versions.js';
import type { AllowedHosts } from '../../platform/webhook-target.js';
import { AppError } from '../errors.js';
import type { ApiRoutes } from '../route.js';
import { capabilityInScope } from '../scope.js';
import { requireCapability, requireRollout } from '../services/catalog.js';
import { channelGuard, templateFor } from '../services/channel.js';
import { adoptVersion, previewAdoption, rehearseNow, requireVersion, versionHistory } from '../services/template-versions.js';

const anyRole = ['operator', 'owner', 'manager', 'admin', 'integration'] as const;
const CapabilityId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'expected a kebab-case id such as po-assist');
const Version = z.coerce.number().int().min(1).max(1_000_000);

const ScenarioResult = z
  .object({
    id: z.string(),
    description: z.string(),
    pass: z.boolean(),
    reasons: z.array(z.string()),
    outcome: z.enum(['accepted', 'quarantined']),
    quarantinedFields: z.array(z.string()),
    route: z.object({ area: z.string(), owner: z.string().nullable(), to: z.string() }).nullable(),
    escalation: z.array(z.object({ step: z.number().int(), notify: z.string(), after: z.string(), target: z.string().nullable() })),
  })
  .meta({ id: 'ScenarioResult' });
const RehearsalDoc = z
  .object({
    capability: z.string(),
    region: z.string(),
    templateVersion: z.number().int(),
    at: z.string(),
    trigger: z.string().optional(),
    total: z.number().int(),
    failed: z.number().int(),
    results: z.array(ScenarioResult),
  })
  .meta({ id: 'Rehearsal' });
const Change = z.object({ section: z.string(), path: z.string(), kind: z.enum(['added', 'removed', 'changed']), before: z.unknown().optional(), after: z.unknown().optional() });
const Impact = z
  .object({
    open: z.number().int(),
    changeOwner: z.number().int(),
    changeDeadline: z.number().int(),
    failContract: z.number().int(),
    affected: z.number().int(),
    samples: z.object({ changeOwner: z.array(z.string()), changeDeadline: z.array(z.string()), failContract: z.array(z.string()) }),
  })
  .meta({ id: 'AdoptionImpact' });
const Preview = z
  .object({
    capability: z.string(),
    region: z.string(),
    from: z.number().int(),
    to: z.number().int(),
    overlayErrors: z.array(z.object({ path: z.string(), message: z.string() })),
    diff: z.array(Change),
    impact: Impact.nullable(),
    rehearsal: RehearsalDoc.nullable(),
  })
  .meta({ id: 'AdoptionPreview' });
const History = z
  .object({
    capability: z.string(),
    latest: z.number().int(),
    regions: z.array(z.object({ region: z.string(), templateVersion: z.number().int(), behind: z.number().int() })),
    versions: z.array(z.object({ version: z.number().int(), source: z.string(), publishedAt: z.string(), publishedBy: z.string(), regions: z.array(z.string()) })),
  })
  .meta({ id: 'TemplateVersions' });

/** Template versions, adoption and rehearsals (issue 17; api/services/template-versions.ts). */
export function templateVersionRoutes(routes: ApiRoutes, deps: { ledger: LedgerDb; webhookAllowedHosts: AllowedHosts }) {
  const { ledger } = deps;
  const regionScope = { kind: 'resource' as const, of: ({ params }: { params: { capabilityId: string; region: string } }) => ({ capability: params.capabilityId, region: params.region }) };

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/versions',
    summary: 'Published template versions, newest first, and the version each region runs',
    description: 'Who adopted which version when is in the audit (action template.adopted, subject capability-region).',
    tags: ['capabilities'],
    roles: [...anyRole],
    scope: { kind: 'listing', filters: 'only the regions in scope; 403 when the scope reaches no region of the capability' },
    params: z.strictObject({ capabilityId: CapabilityId }),
    responses: { 200: { description: 'The version history', schema: History }, 404: { description: 'Unknown capability' } },
    handler: async ({ params, principal }) => {
      if (!capabilityInScope(principal, params.capabilityId)) throw new AppError('FORBIDDEN', `Your token's scope does not cover ${params.capabilityId}.`);
      const history = await versionHistory(ledger, params.capabilityId, (region) => inScope(principal, params.capabilityId, region));
      return { ...history, versions: history.versions.map(({ capabilityId: _c, ...v }) => v) };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/versions/{version}',
    summary: 'One published core version of the template',
    tags: ['capabilities'],
    roles: [...anyRole],
    scope: { kind: 'listing', filters: '403 when the scope reaches no region of the capability' },
    params: z.strictObject({ capabilityId: CapabilityId, version: Version }),
    responses: { 200: { description: 'The template as published, and the regions in scope that run it', schema: z.object({ version: z.number().int(), publishedAt: z.string(), publishedBy: z.string(), regions: z.array(z.string()), template: z.unknown() }) }, 404: { description: 'Unknown capability or version' } },
    handler: async ({ params, principal }) => {
      if (!capabilityInScope(principal, params.capabilityId)) throw new AppError('FORBIDDEN', `Your token's scope does not cover ${params.capabilityId}.`);
      await requireCapability(ledger, params.capabilityId);
      const v = await requireVersion(ledger, params.capabilityId, params.version);
      const regions = (await listRollouts(ledger, params.capabilityId)).filter((r) => r.templateVersion === v.version && inScope(principal, params.capabilityId, r.region)).map((r) => r.region);
      return { version: v.version, publishedAt: v.publishedAt, publishedBy: v.publishedBy, regions, template: templateFor(principal, v.template) };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/regions/{region}/adoption',
    summary: 'Before adopting a version (the latest when none is named): the diff, the impact on open exceptions, and a rehearsal',
    description:
      'A dry run: nothing is stored. `impact` counts the region\'s open and claimed exceptions that would change owner, deadline or fail the ' +
      'new contract had they been raised under the version (they keep their own). `overlayErrors` lists every path of the region\'s overlay ' +
      'that the version no longer accepts; then adopting is refused (422) and impact and rehearsal are null.',
    tags: ['capabilities'],
    roles: ['manager', 'admin'],
    scope: regionScope,
    params: z.strictObject({ capabilityId: CapabilityId, region: Region }),
    query: z.strictObject({ version: Version.optional() }),
    responses: { 200: { description: 'The preview', schema: Preview }, 404: { description: 'Unknown capability or version' }, 422: { description: 'Not rolled out to the region' } },
    handler: async ({ params, query }) =>
      previewAdoption(ledger, params.capabilityId, params.region, query.version ?? (await requireCapability(ledger, params.capabilityId)).version),
  });

  routes.route({
    method: 'post',
    path: '/api/v1/capabilities/{capabilityId}/regions/{region}/adoption',
    summary: 'Adopt a template version in a region',
    description:
      'New intakes get the adopted version; open exceptions keep the one they were raised under. Send `overlay` to replace the region\'s ' +
      'overlay in the same step. An overlay the version does not accept → 422 naming each path. The scenarios are rehearsed and stored.',
    tags: ['capabilities'],
    roles: ['manager', 'admin'],
    scope: regionScope,
    params: z.strictObject({ capabilityId: CapabilityId, region: Region }),
    body: z.strictObject({ version: z.number().int().min(1), overlay: z.record(z.string(), z.unknown()).optional(), reason: z.string().trim().min(1).max(500).optional() }),
    responses: {
      200: { description: 'Adopted (or already on it)', schema: z.object({ region: z.string(), from: z.number().int(), to: z.number().int(), changed: z.boolean(), rehearsal: RehearsalDoc }) },
      404: { description: 'Unknown capability or version' },
      422: { description: 'The overlay does not fit the version (paths), or the region is not rolled out' },
    },
    handler: async ({ params, body, principal }) => {
      const adopted = await adoptVersion(ledger, {
        capabilityId: params.capabilityId,
        region: params.region,
        version: body.version,
        ...(body.overlay ? { overlay: body.overlay } : {}),
        ...(body.reason ? { reason: body.reason } : {}),
        actor: principal.sub,
        channelGuard: channelGuard(principal, params.capabilityId, deps.webhookAllowedHosts),
      });
      return { region: params.region, from: adopted.from, to: adopted.rollout.templateVersion, changed: adopted.changed, rehearsal: adopted.rehearsal };
    },
  });

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/regions/{region}/rehearsal',
    summary: "The region's latest rehearsal of its scenarios",
    description: 'By default under the version the region runs; `version` reads the rehearsal of another (a published version is rehearsed in every region when it is saved).',
    tags: ['capabilities'],
    roles: [...anyRole],
    scope: regionScope,
    params: z.strictObject({ capabilityId: CapabilityId, region: Region }),
    query: z.strictObject({ version: Version.optional() }),
    responses: { 200: { description: 'The latest rehearsal; `matrixChangedSince` when a cell of the region changed after it ran', schema: RehearsalDoc.extend({ matrixChangedSince: z.boolean() }) }, 404: { description: 'Unknown capability, or no rehearsal stored' }, 422: { description: 'Not rolled out to the region' } },
    handler: async ({ params, query }) => {
      await requireCapability(ledger, params.capabilityId);
      await requireRollout(ledger, params.capabilityId, params.region);
      const stored = await getRehearsal(ledger, params.capabilityId, params.region, query.version);
      if (!stored) throw new AppError('NOT_FOUND', `No rehearsal of ${params.capabilityId} in ${params.region}${query.version ? ` under version ${query.version}` : ''} yet; POST one.`);
      return { ...stored, matrixChangedSince: await matrixChangedSince(ledger, params.capabilityId, params.region, stored.at) };
    },
  });

  routes.route({
    method: 'post',
    path: '/api/v1/capabilities/{capabilityId}/regions/{region}/rehearsal',
    summary: "Rehearse the region's scenarios now, against its matrix and directory as they stand",
    description: 'Raises nothing: each scenario runs through the intake, routing and escalation rules. The result is stored as the latest.',
    tags: ['capabilities'],
    roles: ['owner', 'manager', 'admin'],
    scope: regionScope,
    params: z.strictObject({ capabilityId: CapabilityId, region: Region }),
    responses: { 200: { description: 'The rehearsal', schema: RehearsalDoc }, 404: { description: 'Unknown capability' }, 422: { description: 'Not rolled out to the region' } },
    handler: async ({ params }) => rehearseNow(ledger, params.capabilityId, params.region),
  });
}
