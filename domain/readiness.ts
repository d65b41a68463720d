import { z } from 'zod';
import { Region } from './rollout.js';
import { MAX_QUANTITY } from './rules/exception.js';

export {
  consecutiveHeldDays,
  DAY_MS,
  dayOf,
  DEFAULT_WINDOW_DAYS,
  rolloutPlanStatus,
  scorecard,
  stageChangeRefusal,
  type PlanRegion,
  type PlanStatus,
  windowOf,
  type Criterion,
  type CriterionId,
  type ReadinessFacts,
  type ReadinessThresholds,
  type Scorecard,
} from './rules/readiness.js';

/** The most events one report may carry. */
export const REPORT_LIMIT = 5000;
/** How far ahead of the server's clock an event may say it happened (clock skew), and how far back. */
export const REPORT_SKEW_MS = 5 * 60_000;
export const REPORT_MAX_AGE_DAYS = 400;

const CapabilityId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'expected a capability id such as po-assist');
/** The reporter's idempotency key: the same key again is the same event. */
export const EventKey = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$/, 'letters, digits and . _ : / @ - only, at most 200')
  .refine((key) => !key.startsWith('resolution:'), 'keys starting with resolution: are kept for the value events resolutions name');
const Kebab = z.string().regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'expected a kebab-case id such as place-order').max(64);
const OccurredAt = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time with an offset, e.g. 2026-12-01T09:30:00Z' });

const common = {
  key: EventKey,
  capability: CapabilityId,
  region: Region,
  occurredAt: OccurredAt,
};

/** The capability decided on its own, without raising an exception: `quantity` decisions, optionally by outcome or exception type. */
export const ReportedDecision = z.strictObject({
  kind: z.literal('decision'),
  ...common,
  quantity: z.int().min(1).max(1_000_000).default(1).meta({ description: 'How many decisions this event stands for' }),
  outcome: Kebab.optional().meta({ description: 'What it decided, e.g. place-order, or the exception type it did not need' }),
});
export type ReportedDecision = z.infer<typeof ReportedDecision>;

/** Something the capability's output was worth: one of the template's value events, in its unit. */
export const ReportedValue = z.strictObject({
  kind: z.literal('value'),
  ...common,
  valueEvent: Kebab.meta({ description: "A value event id of the region's template" }),
  quantity: z.number().min(0).max(MAX_QUANTITY).meta({ description: "What it was worth, in the value event's unit (e.g. 12 minutes)" }),
});
export type ReportedValue = z.infer<typeof ReportedValue>;

export const ReportedEvent = z.discriminatedUnion('kind', [ReportedDecision, ReportedValue]).meta({ id: 'ReportedEvent' });
export type ReportedEvent = z.infer<typeof ReportedEvent>;

export const Stage = z.enum(['pilot', 'production', 'paused']);
export type Stage = z.infer<typeof Stage>;

/** A stage change. Promotion to production needs a ready scorecard, or an override with a reason. */
export const StageChange = z.strictObject({
  stage: Stage,
  reason: z.string().trim().min(1).max(2000).optional(),
  override: z.boolean().default(false).meta({ description: 'Promote although the scorecard is not ready (managers; needs a reason; audited with the scorecard)' }),
});
export type StageChange = z.infer<typeof StageChange>;

export const CriterionView = z
  .object({
    id: z.enum(['automation-rate', 'input-reliability', 'sla-breach-rate', 'open-exceptions', 'ownership', 'adoption', 'rehearsal', 'days-stable', 'decisions-overdue', 'training']),
    label: z.string(),
    measured: z.number().nullable(),
    threshold: z.number().nullable(),
    comparison: z.enum(['>=', '<=']),
    pass: z.boolean().nullable().meta({ description: 'null: the template declares no threshold, so it holds nothing back' }),
    why: z.string(),
    evidence: z.string().meta({ description: 'API path to the evidence' }),
    detail: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'ReadinessCriterion' });

export const ScorecardView = z
  .object({
    capability: z.string(),
    region: z.string(),
    stage: Stage,
    window: z.object({ from: z.string(), to: z.string(), days: z.number().int() }),
    ready: z.boolean(),
    held: z.boolean().meta({ description: 'Every criterion but days stable holds: a stable day' }),
    failing: z.array(z.string()),
    criteria: z.array(CriterionView),
    value: z.array(
      z.object({
        id: z.string(),
        unit: z.string().nullable(),
        events: z.number(),
        total: z.number(),
        perWeek: z.number(),
        weeks: z.array(z.object({ from: z.string(), events: z.number(), total: z.number() })),
      }),
    ),
    flaggedAt: z.string().nullable().meta({ description: 'In production and below a threshold since then' }),
  })
  .meta({ id: 'ReadinessScorecard' });
export type ScorecardView = z.infer<typeof ScorecardView>;
