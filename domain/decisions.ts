import { z } from 'zod';
import { ResponsibilityArea } from './capability.js';
import { DECISION_ACTIONS, DECISION_STATUSES, OUTCOME_LIMITS } from './rules/decision.js';
import { Region } from './rollout.js';

export * from './rules/decision.js';

const Text = z.string().trim().min(1).max(OUTCOME_LIMITS.text);
const Short = z.string().trim().min(1).max(OUTCOME_LIMITS.short);

/** What an owner records: decided (what), declined (why) or deferred (until when). */
export const DecisionOutcomeInput = z
  .discriminatedUnion('outcome', [
    z.strictObject({
      outcome: z.literal('decided'),
      action: z.enum(DECISION_ACTIONS),
      data: Text.optional().meta({ description: 'retrain: with which data' }),
      targetModelVersion: z.string().trim().min(1).max(64).optional().meta({ description: 'retrain: the model version it should produce; the item links before/after rates once intake carries it' }),
      rule: Short.optional().meta({ description: 'change-rule: which rule' }),
      change: Text.optional().meta({ description: 'change-rule: to what' }),
      training: Short.optional().meta({ description: 'schedule-training: which training' }),
      trainees: Short.optional().meta({ description: 'schedule-training: for whom' }),
      capacity: Text.optional().meta({ description: 'add-capacity: how much, where' }),
      reason: Text.optional(),
    }),
    z.strictObject({ outcome: z.literal('declined'), reason: Text }),
    z.strictObject({ outcome: z.literal('deferred'), until: z.iso.datetime({ offset: true }), reason: Text.optional() }),
  ])
  .meta({ id: 'DecisionOutcomeInput' });
export type DecisionOutcomeInput = z.infer<typeof DecisionOutcomeInput>;

export const DecisionView = z
  .object({
    id: z.string(),
    capability: z.string(),
    region: z.string(),
    area: z.string(),
    triggerId: z.string(),
    kind: z.string(),
    summary: z.string(),
    status: z.enum(DECISION_STATUSES),
    owner: z.string().nullable(),
    escalatedTo: z.string().nullable(),
    escalationLevel: z.number().int(),
    raisedAt: z.string().nullable(),
    dueAt: z.string().nullable(),
    overdue: z.boolean(),
    deferUntil: z.string().nullable(),
    closedAt: z.string().nullable(),
    outcome: z
      .object({
        outcome: z.enum(['decided', 'declined', 'deferred']),
        action: z.enum(DECISION_ACTIONS).optional(),
        by: z.string(),
        at: z.string().nullable(),
      })
      .catchall(z.unknown())
      .nullable(),
  })
  .meta({ id: 'Decision' });
export type DecisionView = z.infer<typeof DecisionView>;

const RateWindowView = z.object({ from: z.string().nullable(), to: z.string().nullable(), exceptions: z.number(), decisions: z.number(), rate: z.number().nullable() });

export const DecisionDetailView = DecisionView.extend({
  route: z.object({ owner: z.string().nullable(), backup: z.string().nullable(), escalation: z.array(z.string()), managerOfOwner: z.string().nullable() }).nullable(),
  evidence: z
    .object({
      measured: z.number(),
      threshold: z.number(),
      window: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
      summary: z.string().optional(),
      figures: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
      values: z.array(z.object({ id: z.string(), events: z.number(), total: z.number() })).optional(),
      exceptionIds: z.array(z.string()).optional(),
      series: z.array(z.object({ day: z.string().nullable(), count: z.number() })).optional(),
    })
    .nullable(),
  timeline: z.array(z.object({ seq: z.number().int(), at: z.string().nullable(), actor: z.string(), action: z.string(), detail: z.record(z.string(), z.unknown()) })),
  beforeAfter: z
    .object({
      modelVersion: z.string(),
      status: z.enum(['waiting', 'linked']),
      firstSeen: z.string().nullable(),
      before: RateWindowView.optional(),
      after: RateWindowView.optional(),
      change: z.number().nullable().optional(),
    })
    .nullable(),
}).meta({ id: 'DecisionDetail' });
export type DecisionDetailView = z.infer<typeof DecisionDetailView>;

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
export const DecisionQuery = z.strictObject({
  capability: z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/).optional(),
  region: Region.optional(),
  area: ResponsibilityArea.optional(),
  trigger: z.string().max(64).optional(),
  status: z
    .string()
    .max(100)
    .transform((v) => v.split(','))
    .pipe(z.array(z.enum(DECISION_STATUSES)))
    .optional()
    .meta({ description: 'Comma-separated: open, deferred, decided, declined' }),
  owner: z.string().max(64).optional(),
  mine: bool.optional().meta({ description: 'Items owned by, or escalated to, the caller' }),
  overdue: bool.optional().meta({ description: 'Open items past their due date' }),
  q: z.string().max(200).optional().meta({ description: 'Words in the summary, the trigger, the outcome or the decider' }),
  format: z.enum(['json', 'csv']).optional().meta({ description: 'csv: the log as a spreadsheet (or Accept: text/csv)' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(500).optional(),
});
export type DecisionQuery = z.infer<typeof DecisionQuery>;

export const EvaluateBody = z.strictObject({ capability: z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/).optional(), region: Region.optional() });
export const EvaluationView = z
  .object({ regions: z.number().int(), triggers: z.number().int(), fired: z.number().int(), raised: z.array(z.string()), kept: z.array(z.string()) })
  .meta({ id: 'DecisionEvaluation' });
