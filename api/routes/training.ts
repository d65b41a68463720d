import { z } from 'zod';
import { hasRole } from '../../domain/principal.js';
import { PersonId } from '../../domain/people.js';
import { Region } from '../../domain/rollout.js';
import { trainingStatus, WORKED_WITHIN_DAYS } from '../../domain/rules/training.js';
import { getEffectiveTemplate } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import { completionsOf, recordCompletion, regionTrainees, windowClaimants } from '../../ledger/training.js';
import { AppError } from '../errors.js';
import type { ApiRoutes } from '../route.js';

const CapabilityId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'expected a kebab-case id such as po-assist');
const MaterialId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a training id such as po-assist-basics');
const RegionParams = z.strictObject({ capabilityId: CapabilityId, region: Region });
const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const Material = z.object({ id: z.string(), title: z.string(), url: z.string(), requiredFor: z.array(z.string()) });
const TraineeDoc = z.object({
  person: z.string(),
  roles: z.array(z.string()),
  because: z.array(z.string()).meta({ description: 'Why they count here: an area they own or back up, an escalation step, or the queue they worked' }),
  required: z.array(z.string()),
  completed: z.array(z.object({ material: z.string(), completedAt: z.string() })),
  missing: z.array(z.string()),
});
const TrainingStatus = z
  .object({
    capability: z.string(),
    region: z.string(),
    materials: z.array(Material),
    people: z.array(TraineeDoc),
    totals: z.object({ people: z.number().int(), fullyTrained: z.number().int(), required: z.number().int(), completed: z.number().int(), share: z.number() }),
  })
  .meta({ id: 'TrainingStatus' });
const CompletionDoc = z.object({ person: z.string(), capability: z.string(), material: z.string(), completedAt: z.string(), recordedBy: z.string() }).meta({ id: 'TrainingCompletion' });

/**
 * Training per person (the operating model's `training`, issue 17): a region's page says who must have
 * done what for the roles they hold, and who has; completions are recorded by the person, their
 * manager, or an integration (a learning system), each audited.
 */
export function trainingRoutes(routes: ApiRoutes, deps: { ledger: LedgerDb }) {
  const { ledger } = deps;
  const materialsOf = async (capability: string, region: string) => {
    const template = await getEffectiveTemplate(ledger, capability, region);
    if (!template) throw new AppError('NOT_FOUND', `${capability} is not rolled out to ${region}.`);
    return template.operatingModel?.training ?? [];
  };

  routes.route({
    method: 'get',
    path: '/api/v1/capabilities/{capabilityId}/regions/{region}/training',
    summary: "Who must have done which training for the region's work, and who has",
    description:
      "Everyone who owns, backs up or is an escalation step of one of the region's cells, and everyone who is the claimant of one of its exceptions raised within `workedWithinDays` (the scorecard's operators), " +
      "with the materials their roles require (the region's template, `operatingModel.training[].requiredFor`), those completed and those missing.",
    tags: ['ownership'],
    roles: ['operator', 'owner', 'manager', 'admin'],
    scope: { kind: 'resource', of: ({ params }) => ({ capability: params.capabilityId, region: params.region }) },
    params: RegionParams,
    query: z.strictObject({ workedWithinDays: z.coerce.number().int().min(1).max(365).default(WORKED_WITHIN_DAYS) }),
    responses: { 200: { description: 'The region’s training status', schema: TrainingStatus }, 404: { description: 'The capability is not rolled out to the region' } },
    handler: async ({ params, query }) => {
      const materials = await materialsOf(params.capabilityId, params.region);
      const claimants = await windowClaimants(ledger, params.capabilityId, params.region, Date.now() - query.workedWithinDays * DAY_MS);
      const trainees = await regionTrainees(ledger, params.capabilityId, params.region, claimants);
      const completions = await completionsOf(ledger, params.capabilityId, trainees.map((t) => t.person));
      const status = trainingStatus(materials, trainees, completions);
      return {
        capability: params.capabilityId,
        region: params.region,
        materials: materials.map((m) => ({ id: m.id, title: m.title, url: m.url, requiredFor: [...m.requiredFor] })),
        people: status.people.map((p) => ({ ...p, roles: [...p.roles], because: [...p.because], completed: p.completed.map((c) => ({ material: c.material, completedAt: iso(c.at) })) })),
        totals: status.totals,
      };
    },
  });

  routes.route({
    method: 'put',
    path: '/api/v1/capabilities/{capabilityId}/regions/{region}/training/{materialId}/completions/{personId}',
    summary: 'Record that a person completed one of the region’s training materials',
    description:
      'An operator or owner records their own; a manager, an admin or an integration (a learning system) records anyone’s. ' +
      'Recording again moves the date (a refresher); every record is in the audit trail. 422 for a material the region’s template does not list.',
    tags: ['ownership'],
    roles: ['operator', 'owner', 'manager', 'admin', 'integration'],
    scope: { kind: 'resource', of: ({ params }) => ({ capability: params.capabilityId, region: params.region }) },
    params: RegionParams.extend({ materialId: MaterialId, personId: PersonId }),
    body: z.strictObject({
      completedAt: z.iso.datetime({ offset: true }).optional().meta({ description: 'When it was completed; now when left out. Not in the future.' }),
      note: z.string().trim().min(1).max(500).optional(),
    }),
    responses: {
      200: { description: 'Recorded', schema: CompletionDoc },
      404: { description: 'No such person, or the capability is not rolled out to the region' },
      422: { description: 'A material the region’s template does not list, or a completion date in the future' },
    },
    handler: async ({ params, body, principal }) => {
      if (params.personId !== principal.sub && !hasRole(principal, ['manager', 'integration'])) {
        throw new AppError('FORBIDDEN', 'Only a manager, an admin or an integration records someone else’s training; record your own.');
      }
      const materials = await materialsOf(params.capabilityId, params.region);
      if (!materials.some((m) => m.id === params.materialId)) {
        throw new AppError('UNPROCESSABLE', `${params.capabilityId} in ${params.region} lists no training ${params.materialId}.`, { field: 'materialId', known: materials.map((m) => m.id) });
      }
      const person = await ledger.selectFrom('people').select(['id', 'status']).where('id', '=', params.personId).executeTakeFirst();
      if (!person || person.status === 'departed') throw new AppError('NOT_FOUND', `No active person ${params.personId}.`);
      const now = Date.now();
      const completedAt = body.completedAt ? Date.parse(body.completedAt) : now;
      if (completedAt > now + 60_000) throw new AppError('UNPROCESSABLE', 'A completion date cannot be in the future.', { field: 'completedAt' });
      await recordCompletion(ledger, { person: params.personId, capability: params.capabilityId, material: params.materialId, completedAt, region: params.region, actor: principal.sub, note: body.note ?? null, at: now });
      return { person: params.personId, capability: params.capabilityId, material: params.materialId, completedAt: iso(completedAt), recordedBy: principal.sub };
    },
  });
}
