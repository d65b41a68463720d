import { z } from 'zod';
import { Duration, durationMs } from './duration.js';
import { Role } from './principal.js';

/**
 * The template's operating model (issue 17): what people need besides the rules. Procedures per
 * exception type, configuration guidelines, integration requirements, training, the release rhythm,
 * regions' local notes, and the executable scenarios a rehearsal runs (domain/rehearsal.ts).
 *
 * This module imports nothing from capability.ts (which imports it): the checks that span the
 * template take it by shape.
 */

const KEBAB = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const kebab = (what: string) => z.string().regex(KEBAB, `${what} must be kebab-case, e.g. price-variance`);

/** Markdown shown to people: what to check, how to resolve, which resolution code when. */
export const Markdown = z.string().trim().min(1).max(20_000);

/** One source system the capability reads, the contract fields it feeds and how often it refreshes. */
export const Integration = z.strictObject({
  system: z.string().min(1).max(100),
  description: z.string().max(2000).optional(),
  fields: z.array(z.string().min(1).max(100)).min(1).max(100),
  /** How often the source refreshes; checked against the freshness limit (`maxAge`) of each date field it feeds. */
  refreshEvery: Duration,
});
export type Integration = z.infer<typeof Integration>;

export const TrainingMaterial = z.strictObject({
  id: kebab('training id'),
  title: z.string().min(1).max(200),
  url: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }),
  /** The roles that must have done it before they work the queue. */
  requiredFor: z.array(Role).max(5).default([]),
});
export type TrainingMaterial = z.infer<typeof TrainingMaterial>;

export const ReleaseRhythm = z.strictObject({
  /** How often a new core version is published. */
  every: Duration,
  /** How long regions have to adopt a published version. */
  adoptWithin: Duration.optional(),
  description: z.string().max(2000).optional(),
});
export type ReleaseRhythm = z.infer<typeof ReleaseRhythm>;

export const OperatingModel = z.strictObject({
  configurationGuidelines: Markdown.optional(),
  integrations: z.array(Integration).max(50).default([]),
  training: z.array(TrainingMaterial).max(100).default([]),
  releaseRhythm: ReleaseRhythm.optional(),
});
export type OperatingModel = z.infer<typeof OperatingModel>;

/** A region's own notes, where the template lists `localNotes` as adaptable: shown beside the core text. */
export const LocalNotes = z.strictObject({
  general: Markdown.optional(),
  /** Per exception type id: shown under the type's procedure. */
  exceptionTypes: z.record(z.string().max(64), Markdown).optional(),
});
export type LocalNotes = z.infer<typeof LocalNotes>;

/** Where an escalation step is expected to land: the person holding that role in the region's cell, or nobody. */
export const ExpectedStep = z
  .string()
  .regex(/^(?:owner|backup|manager-of-owner|escalation\[(?:0|[1-9]\d*)\]|nobody)$/, 'expected owner, backup, manager-of-owner, escalation[N] or nobody');

export const Scenario = z.strictObject({
  id: kebab('scenario id').max(64),
  description: z.string().min(1).max(500),
  /**
   * An intake as an upstream system would send it (capability and region are the rehearsal's).
   * A payload string `{{now}}`, `{{now-8d}}` or `{{now+1h}}` stands for that time when the rehearsal runs.
   */
  intake: z.strictObject({
    type: z.string().min(1).max(64),
    title: z.string().max(300).optional(),
    severity: z.string().max(20).optional(),
    confidence: z.number().optional(),
    payload: z.record(z.string().max(100), z.unknown()),
  }),
  expect: z.strictObject({
    outcome: z.enum(['accepted', 'quarantined']),
    /** Quarantined: the paths the refusal must name, e.g. payload.recommendedAt. */
    quarantinedFields: z.array(z.string().min(1).max(120)).max(20).optional(),
    /** Accepted: the area it routes to and who in the cell takes it. */
    route: z.strictObject({ area: z.string().max(64), to: z.enum(['owner', 'backup', 'unowned']) }).optional(),
    /** Accepted: one entry per escalation step of its severity's policy. */
    escalation: z.array(ExpectedStep).max(20).optional(),
  }),
});
export type Scenario = z.infer<typeof Scenario>;

export const Scenarios = z.array(Scenario).max(100);

/** The parts of a template the cross-checks read. */
export interface TemplateShape {
  exceptionTypes: ReadonlyArray<{ id: string; defaultSeverity: string; contract: { fields: Readonly<Record<string, { type: string; maxAge?: string | undefined }>> } }>;
  slaPolicies: Readonly<Record<string, { escalation: readonly unknown[] }>>;
  operatingModel?: OperatingModel | undefined;
  scenarios?: readonly Scenario[] | undefined;
  localNotes?: LocalNotes | undefined;
}

export type ModelIssue = { path: Array<string | number>; message: string };

/**
 * The freshness limit an integration's refresh must keep within: the tightest `maxAge` of the field in
 * any contract. Decision 0014 (docs/decisions): a source that refreshes more slowly than a field's
 * maxAge would make intakes fail as stale between refreshes, so such a template is refused, not flagged.
 */
// A duration the schema refuses elsewhere (too long, malformed) is reported there, not compared here.
function msOf(d: string): number | undefined {
  try {
    return durationMs(d);
  } catch {
    return undefined;
  }
}

export function cadenceIssues(template: TemplateShape): ModelIssue[] {
  const issues: ModelIssue[] = [];
  (template.operatingModel?.integrations ?? []).forEach((integration, i) => {
    integration.fields.forEach((field, j) => {
      const holders = template.exceptionTypes.filter((type) => Object.hasOwn(type.contract.fields, field));
      if (holders.length === 0) {
        issues.push({ path: ['operatingModel', 'integrations', i, 'fields', j], message: `'${field}' is not a contract field of any exception type` });
        return;
      }
      for (const type of holders) {
        const maxAge = type.contract.fields[field]?.maxAge;
        const [refresh, limit] = [msOf(integration.refreshEvery), maxAge ? msOf(maxAge) : undefined];
        if (refresh !== undefined && limit !== undefined && refresh > limit) {
          issues.push({
            path: ['operatingModel', 'integrations', i, 'refreshEvery'],
            message:
              `${integration.system} refreshes every ${integration.refreshEvery}, more slowly than ${field} may age ` +
              `(maxAge ${maxAge} in ${type.id}): intakes would be refused as stale between refreshes`,
          });
        }
      }
    });
  });
  return issues;
}

/** Checks that span the template: integrations against contracts, notes and scenarios against types and policies. */
export function operatingModelIssues(template: TemplateShape): ModelIssue[] {
  const types = new Map(template.exceptionTypes.map((type) => [type.id, type]));
  const issues = cadenceIssues(template);
  for (const id of Object.keys(template.localNotes?.exceptionTypes ?? {})) {
    if (!types.has(id)) issues.push({ path: ['localNotes', 'exceptionTypes', id], message: `no exception type '${id}'` });
  }
  const seen = new Map<string, number>();
  (template.scenarios ?? []).forEach((scenario, i) => {
    const first = seen.get(scenario.id);
    if (first !== undefined) issues.push({ path: ['scenarios', i, 'id'], message: `duplicate scenario id '${scenario.id}' (first at ${first})` });
    else seen.set(scenario.id, i);
    const { expect } = scenario;
    if (expect.outcome === 'quarantined' && (expect.route || expect.escalation)) {
      issues.push({ path: ['scenarios', i, 'expect'], message: 'a quarantined intake is never routed: expect route and escalation only of an accepted one' });
    }
    if (expect.outcome === 'accepted' && expect.quarantinedFields) {
      issues.push({ path: ['scenarios', i, 'expect', 'quarantinedFields'], message: 'an accepted intake names no quarantined field' });
    }
  });
  return issues;
}
