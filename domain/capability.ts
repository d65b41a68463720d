import { z } from 'zod';
import YAML, { LineCounter } from 'yaml';
import { Duration, durationAtMost, durationMs, SLA_LIMITS } from './duration.js';
import { clockMs, hasWorkingTime, MAX_HOLIDAYS, workCalendar } from './rules/calendar.js';
import { LocalNotes, Markdown, OperatingModel, operatingModelIssues, Scenarios } from './template-model.js';

const KEBAB = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const kebab = (what: string) => z.string().regex(KEBAB, `${what} must be kebab-case, e.g. price-variance`);

export const ResponsibilityArea = z.enum(['business-rules', 'model-retraining', 'exception-queue', 'adoption-training']);
export type ResponsibilityArea = z.infer<typeof ResponsibilityArea>;

export const Severity = z.enum(['critical', 'high', 'medium', 'low']);
export type Severity = z.infer<typeof Severity>;

export const FieldName = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, 'field names start with a letter and hold only letters, digits and _');

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

function minNotAboveMax(spec: { min?: number | undefined; max?: number | undefined }): boolean {
  return spec.min === undefined || spec.max === undefined || spec.min <= spec.max;
}

const fieldBase = { required: z.boolean().default(true), description: z.string().optional() };
const minMaxMessage = { path: ['max'], message: 'max must not be below min' };

export const FieldSpec = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('string'),
    ...fieldBase,
    pattern: z.string().min(1).max(500).refine(isRegExp, 'not a valid regular expression').optional(),
    maxLength: z.int().min(1).optional(),
  }),
  z.strictObject({ type: z.literal('number'), ...fieldBase, min: z.number().optional(), max: z.number().optional() })
    .refine(minNotAboveMax, minMaxMessage),
  z.strictObject({ type: z.literal('integer'), ...fieldBase, min: z.int().optional(), max: z.int().optional() })
    .refine(minNotAboveMax, minMaxMessage),
  z.strictObject({ type: z.literal('boolean'), ...fieldBase }),
  /** An ISO 8601 date or date-time; `maxAge` is a freshness limit measured back from "now". */
  z.strictObject({ type: z.literal('date'), ...fieldBase, maxAge: Duration.optional() }),
  z.strictObject({ type: z.literal('enum'), ...fieldBase, values: z.array(z.string().min(1)).min(1) })
    .refine((spec) => new Set(spec.values).size === spec.values.length, { path: ['values'], message: 'values must be unique' }),
]);
export type FieldSpec = z.infer<typeof FieldSpec>;

export const FieldSpecs = z.record(FieldName, FieldSpec);
export type FieldSpecs = z.infer<typeof FieldSpecs>;

export const InputContract = z.strictObject({ fields: FieldSpecs });
export type InputContract = z.infer<typeof InputContract>;

export const ExceptionType = z.strictObject({
  id: kebab('exception type id'),
  description: z.string().min(1),
  area: ResponsibilityArea,
  defaultSeverity: Severity,
  contract: InputContract,
  /** Markdown: what to check, how to resolve, which resolution code when (issue 17). */
  procedure: Markdown.optional(),
});
export type ExceptionType = z.infer<typeof ExceptionType>;

export const EscalationTarget = z
  .string()
  .regex(
    /^(?:owner|backup|manager-of-owner|escalation\[(?:0|[1-9]\d*)\])$/,
    'expected owner, backup, manager-of-owner or escalation[N]',
  );
export type EscalationTarget = z.infer<typeof EscalationTarget>;

export type ParsedEscalationTarget =
  | { kind: 'owner' }
  | { kind: 'backup' }
  | { kind: 'manager-of-owner' }
  | { kind: 'escalation'; index: number };

export function parseEscalationTarget(target: string): ParsedEscalationTarget {
  if (!EscalationTarget.safeParse(target).success) throw new RangeError(`'${target}' is not an escalation target`);
  if (target === 'owner' || target === 'backup' || target === 'manager-of-owner') return { kind: target };
  return { kind: 'escalation', index: Number(target.slice('escalation['.length, -1)) };
}

export const EscalationStep = z.strictObject({ after: durationAtMost(SLA_LIMITS.escalationDelay), notify: EscalationTarget });
export type EscalationStep = z.infer<typeof EscalationStep>;

const isDuration = (d: string) => Duration.safeParse(d).success;

/**
 * When the claim or the resolve SLA of an exception lapses, escalation step i fires at lapse + after_i.
 * After the last step, `repeat` notifies the last step's target again every `every`, `times` times.
 * claimLease is how long a claim holds before it must be renewed or returns to the queue.
 * Every span is bounded (SLA_LIMITS), so no deadline computed from a policy can leave the range of a Date.
 */
export const SlaPolicy = z
  .strictObject({
    claimWithin: durationAtMost(SLA_LIMITS.window),
    resolveWithin: durationAtMost(SLA_LIMITS.window),
    claimLease: durationAtMost(SLA_LIMITS.claimLease),
    escalation: z.array(EscalationStep).min(1),
    repeat: z
      .strictObject({ every: durationAtMost(SLA_LIMITS.repeatEvery), times: z.int().min(1).max(SLA_LIMITS.repeatTimes) })
      .optional(),
    /** `24x7` opts this severity out of the business calendar: its clocks run in wall time. */
    calendar: z.enum(['business', '24x7']).optional(),
    /** Early warnings, in percent of the claim and resolve windows; [50, 75] when absent, [] for none. */
    warnAt: z
      .array(z.int().min(1).max(99))
      .max(4)
      .refine((p) => p.every((v, i) => i === 0 || v > p[i - 1]!), 'thresholds must rise, each at most once')
      .optional(),
  })
  .superRefine((policy, ctx) => {
    policy.escalation.forEach((step, i) => {
      const previous = policy.escalation[i - 1];
      if (previous && isDuration(step.after) && isDuration(previous.after) && durationMs(step.after) < durationMs(previous.after)) {
        ctx.addIssue({
          code: 'custom',
          path: ['escalation', i, 'after'],
          message: `steps must not go back in time: ${step.after} is earlier than step ${i - 1} (${previous.after})`,
        });
      }
    });
  });
export type SlaPolicy = z.infer<typeof SlaPolicy>;

export const SlaPolicies = z.strictObject({ critical: SlaPolicy, high: SlaPolicy, medium: SlaPolicy, low: SlaPolicy });
export type SlaPolicies = z.infer<typeof SlaPolicies>;

function uniqueIds(label: string) {
  return (items: ReadonlyArray<{ id: string }>, ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(item.id);
      if (first === undefined) seen.set(item.id, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate ${label} id '${item.id}' (first at ${first})` });
    });
  };
}

export const ValueEvent = z.strictObject({ id: kebab('value event id'), description: z.string().min(1), unit: z.string().min(1).optional() });
export type ValueEvent = z.infer<typeof ValueEvent>;

/**
 * Thresholds the pilot must hold before it is handed over to the run team. The readiness scorecard
 * (domain/rules/readiness.ts) grades each region against them; the optional ones, when absent, are
 * shown as measurements that do not hold a region back.
 */
export const Cutover = z.strictObject({
  minAutomationRate: z.number().min(0).max(1),
  maxOpenExceptions: z.int().min(0),
  maxSlaBreachRate: z.number().min(0).max(1),
  minDaysStable: z.int().min(0).max(365),
  /** Days the scorecard reads back, today included; 14 when absent. */
  windowDays: z.int().min(1).max(90).optional(),
  /** Input reliability: intakes refused at the door ÷ intakes submitted. */
  maxQuarantineRate: z.number().min(0).max(1).optional(),
  /** Adoption: exceptions claimed within their claim SLA ÷ those whose claim window has passed. */
  minClaimedWithinSla: z.number().min(0).max(1).optional(),
  /** Open decision items past their due date (decisionTriggers) a region may carry and still be ready. */
  maxOverdueDecisions: z.int().min(0).max(10_000).optional(),
  /** Training: required completions done ÷ required, over the people who own or work the region (live only). */
  minTrainedShare: z.number().min(0).max(1).optional(),
});
export type Cutover = z.infer<typeof Cutover>;

const RegionCode = z.string().regex(/^[A-Z][A-Z0-9-]{1,15}$/, 'expected an upper-case region code such as EMEA or UK-IE');

/** One region of the rollout plan, with what it waits for: other regions in production, for at least so long. */
export const RolloutStep = z.strictObject({
  region: RegionCode,
  after: z.array(z.strictObject({ region: RegionCode, inProductionFor: durationAtMost('365d').optional() })).max(10).default([]),
});
export type RolloutStep = z.infer<typeof RolloutStep>;

/** The regions to roll to, in order; a prerequisite names a region earlier in the plan. */
export const RolloutPlan = z
  .array(RolloutStep)
  .max(50)
  .superRefine((steps, ctx) => {
    const seen = new Set<string>();
    steps.forEach((step, i) => {
      if (seen.has(step.region)) ctx.addIssue({ code: 'custom', path: [i, 'region'], message: `${step.region} is already in the plan` });
      step.after.forEach((prerequisite, j) => {
        if (!seen.has(prerequisite.region)) ctx.addIssue({ code: 'custom', path: [i, 'after', j, 'region'], message: `${prerequisite.region} must come earlier in the plan` });
      });
      seen.add(step.region);
    });
  });
export type RolloutPlan = z.infer<typeof RolloutPlan>;

export const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
export type Weekday = z.infer<typeof Weekday>;

// Seconds are allowed so a test can run a compressed calendar (seconds-long working hours).
const ClockTime = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$/, 'expected a 24-hour time such as 08:30');
const okClock = (t: string) => ClockTime.safeParse(t).success;

// Same-day hours only: overnight shifts are not modelled.
const WorkingSpan = z
  .strictObject({ start: ClockTime, end: ClockTime })
  .refine((h) => !okClock(h.start) || !okClock(h.end) || clockMs(h.start) < clockMs(h.end), { path: ['end'], message: 'end must be after start' });

const LocalDate = z.iso.date('expected a date such as 2026-12-25');

/**
 * When a region works: its clocks (claim-by, resolve-by, lease, escalation steps, repeats) count only
 * these hours, in the template's `timeZone` (domain/rules/calendar.ts). `hours` is one span or several.
 */
export const BusinessCalendar = z
  .strictObject({
    workdays: z.array(Weekday).min(1).refine((days) => new Set(days).size === days.length, 'workdays must be unique'),
    hours: z.union([WorkingSpan, z.array(WorkingSpan).max(8)]).optional(),
    holidays: z.array(LocalDate).max(MAX_HOLIDAYS).optional(),
  })
  .superRefine((cal, ctx) => {
    if (!Array.isArray(cal.hours)) return;
    const spans = cal.hours.filter((h) => okClock(h.start) && okClock(h.end)).map((h) => [clockMs(h.start), clockMs(h.end)] as const);
    const sorted = [...spans].sort((a, b) => a[0] - b[0]);
    if (sorted.some((s, i) => i > 0 && s[0] < sorted[i - 1]![1])) ctx.addIssue({ code: 'custom', path: ['hours'], message: 'working spans must not overlap' });
    const compiled = workCalendar('UTC', cal);
    if (compiled && !hasWorkingTime(compiled)) {
      ctx.addIssue({ code: 'custom', path: ['hours'], message: 'this calendar has no working time: give at least one span of working hours' });
    }
  });
export type BusinessCalendar = z.infer<typeof BusinessCalendar>;

export const TimeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as UTC or Europe/Berlin');

export const Notifications = z.strictObject({
  channel: z.union([z.literal('none'), z.strictObject({ webhook: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }) })]),
});
export type Notifications = z.infer<typeof Notifications>;

/**
 * A decision trigger (domain/rules/decision-triggers.ts): a question the capability's live data asks the
 * owner of an area, per region. `threshold` means, by kind: exception-share, a share from 0 to 1 that
 * fires when exceeded; repeated-resolution and repeated-by-actor, a count that fires when reached;
 * queue-age, a factor of the oldest open exception's resolve SLA; new-model-version, nothing (0).
 * The item it raises is due `dueIn` after it fires, and escalates past that along `escalation`.
 */
export const DecisionTrigger = z
  .strictObject({
    area: ResponsibilityArea,
    kind: z.enum(['exception-share', 'repeated-resolution', 'repeated-by-actor', 'queue-age', 'new-model-version']),
    description: z.string().max(500).optional(),
    exceptionType: kebab('exception type id').optional(),
    threshold: z.number().min(0).max(100_000).default(0),
    window: durationAtMost('90d').default('7d'),
    dueIn: durationAtMost('90d').default('7d'),
    escalation: z.array(EscalationStep).min(1).max(10).default([{ after: '1d', notify: 'backup' }, { after: '3d', notify: 'manager-of-owner' }]),
  })
  .superRefine((t, ctx) => {
    const needsType = t.kind === 'exception-share' || t.kind === 'repeated-resolution' || t.kind === 'repeated-by-actor';
    if (needsType && !t.exceptionType) ctx.addIssue({ code: 'custom', path: ['exceptionType'], message: `a ${t.kind} trigger names the exceptionType it counts` });
    if (t.kind === 'exception-share' && !(t.threshold > 0 && t.threshold < 1)) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'a share between 0 and 1, e.g. 0.2 for 20%' });
    if ((t.kind === 'repeated-resolution' || t.kind === 'repeated-by-actor') && !(Number.isInteger(t.threshold) && t.threshold >= 1)) {
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'a count of at least 1' });
    }
    if (t.kind === 'queue-age' && !(t.threshold > 0)) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'a factor of the SLA above 0, e.g. 2' });
    if (t.kind === 'new-model-version' && t.threshold !== 0) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'a new-model-version trigger has no threshold' });
  });
export type DecisionTrigger = z.infer<typeof DecisionTrigger>;

const SLA_KEYS = ['claimWithin', 'resolveWithin', 'claimLease', 'escalation', 'repeat', 'calendar', 'warnAt'] as const;
const ADAPTABLE = new RegExp(
  `^(?:slaPolicies\\.(?:${[...Severity.options, '\\*'].join('|')})\\.(?:${SLA_KEYS.join('|')})` +
    '|timeZone|businessCalendar|notifications|notifications\\.channel|localFields|localNotes' +
    '|decisionTriggers\\.(?:[a-z0-9-]+|\\*)\\.(?:threshold|window|dueIn|escalation))$',
);

/** Dotted key patterns a region may override; `*` matches any one segment. */
export const AdaptablePattern = z.string().refine(ADAPTABLE.test.bind(ADAPTABLE), {
  error: (iss) =>
    `'${String(iss.input)}' cannot be made adaptable; allowed: slaPolicies.<severity|*>.<${SLA_KEYS.join('|')}>, ` +
    'timeZone, businessCalendar, notifications, notifications.channel, localFields, localNotes, decisionTriggers.<id|*>.<threshold|window|dueIn|escalation>',
});

export const CapabilityTemplate = z
  .strictObject({
    id: kebab('template id').min(2).max(64),
    name: z.string().min(1),
    version: z.int().min(1),
    description: z.string().optional(),
    exceptionTypes: z.array(ExceptionType).min(1).superRefine(uniqueIds('exception type')),
    slaPolicies: SlaPolicies,
    valueEvents: z.array(ValueEvent).superRefine(uniqueIds('value event')),
    cutover: Cutover,
    /** Where to roll next, and when: GET /api/v1/capabilities/{id}/rollout-plan. */
    rolloutPlan: RolloutPlan.optional(),
    timeZone: TimeZone.default('UTC'),
    businessCalendar: BusinessCalendar.optional(),
    notifications: Notifications.default({ channel: 'none' }),
    /** Fields a region adds to every exception type's contract; always optional. */
    localFields: FieldSpecs.optional(),
    /** Questions the live data asks each area's owner, by trigger id (decision items, GET /api/v1/decisions). */
    decisionTriggers: z.record(kebab('trigger id').max(64), DecisionTrigger).optional(),
    adaptable: z.array(AdaptablePattern),
    /** Guidelines, integrations, training and release rhythm (domain/template-model.ts). */
    operatingModel: OperatingModel.optional(),
    /** Executable scenarios a rehearsal runs against a region (domain/rehearsal.ts). */
    scenarios: Scenarios.optional(),
    /** A region's notes, in its overlay where `localNotes` is adaptable. */
    localNotes: LocalNotes.optional(),
  })
  .superRefine((template, ctx) => {
    for (const [id, trigger] of Object.entries(template.decisionTriggers ?? {})) {
      if (trigger.exceptionType && !template.exceptionTypes.some((type) => type.id === trigger.exceptionType)) {
        ctx.addIssue({ code: 'custom', path: ['decisionTriggers', id, 'exceptionType'], message: `no exception type '${trigger.exceptionType}' in this template` });
      }
    }
    for (const issue of operatingModelIssues(template)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    for (const name of Object.keys(template.localFields ?? {})) {
      const owner = template.exceptionTypes.find((type) => Object.hasOwn(type.contract.fields, name));
      if (owner) {
        ctx.addIssue({
          code: 'custom',
          path: ['localFields', name],
          message: `clashes with the contract field '${name}' of exception type '${owner.id}'`,
        });
      }
    }
  });
export type CapabilityTemplate = z.infer<typeof CapabilityTemplate>;

export type TemplateError = { path: string; message: string };

type Issue = z.core.$ZodIssue;
type Key = PropertyKey;

function flatten(issue: Issue, prefix: readonly Key[]): TemplateError[] {
  const path = [...prefix, ...issue.path];
  const at = (keys: readonly Key[]) => keys.map(String).join('.');
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: at([...path, key]), message: `unknown key '${key}'` }));
    case 'invalid_key':
      return [{ path: at(path), message: issue.issues.map((inner) => inner.message).join('; ') }];
    case 'invalid_union': {
      // Report the inner errors of the one branch whose shape matched, e.g. a webhook channel with a bad url.
      const matched = issue.errors.filter((branch) => branch.every((inner) => inner.path.length > 0));
      if (matched.length === 1 && matched[0]) return matched[0].flatMap((inner) => flatten(inner, path));
      return [{ path: at(path), message: issue.message }];
    }
    default:
      return [{ path: at(path), message: issue.message }];
  }
}

export function templateErrors(issues: readonly Issue[]): TemplateError[] {
  return issues.flatMap((issue) => flatten(issue, []));
}

const requiredMessage: z.core.$ZodErrorMap = (iss) =>
  iss.code === 'invalid_type' && iss.input === undefined ? `required (expected ${iss.expected})` : undefined;

/** Validates an already-parsed value; used for templates and for core + overlay merges. */
export function validateTemplate(value: unknown): { ok: true; template: CapabilityTemplate } | { ok: false; errors: TemplateError[] } {
  const result = CapabilityTemplate.safeParse(value, { error: requiredMessage });
  return result.success ? { ok: true, template: result.data } : { ok: false, errors: templateErrors(result.error.issues) };
}

export type ParseTemplateResult =
  | { ok: true; template: CapabilityTemplate }
  | { ok: false; kind: 'syntax' | 'invalid'; errors: TemplateError[] };

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

function readSource(source: unknown, format: 'yaml' | 'json'): { ok: true; value: unknown } | { ok: false; errors: TemplateError[] } {
  if (typeof source !== 'string') return { ok: false, errors: [{ path: '', message: `expected ${format.toUpperCase()} text` }] };
  if (format === 'json') {
    try {
      return { ok: true, value: JSON.parse(source) };
    } catch (error) {
      const message = (error as Error).message;
      const position = /at position (\d+)/.exec(message)?.[1];
      return { ok: false, errors: [{ path: '', message: position ? `${message} (${lineColumn(source, Number(position))})` : message }] };
    }
  }
  const lines = new LineCounter();
  const doc = YAML.parseDocument(source, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((error) => {
        const { line, col } = lines.linePos(error.pos[0]);
        return { path: '', message: `${error.message} (line ${line}, column ${col})` };
      }),
    };
  }
  return { ok: true, value: doc.toJS() };
}

export function parseTemplate(source: string | unknown, format: 'yaml' | 'json' | 'object'): ParseTemplateResult {
  const read = format === 'object' ? { ok: true as const, value: source } : readSource(source, format);
  if (!read.ok) return { ok: false, kind: 'syntax', errors: read.errors };
  const validated = validateTemplate(read.value);
  return validated.ok ? validated : { ok: false, kind: 'invalid', errors: validated.errors };
}
