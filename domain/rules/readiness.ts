/**
 * The readiness scorecard: is a capability ready for production in a region, and if not, why not.
 * One pure function over aggregates the ledger computes (ledger/readiness.ts); no packages, so a
 * table of fixtures tests it in milliseconds.
 */

export const DAY_MS = 86_400_000;
export const DEFAULT_WINDOW_DAYS = 14;
/** How many failing contract fields the input-reliability criterion names. */
export const TOP_FAILING_FIELDS = 5;

export type CriterionId = 'automation-rate' | 'input-reliability' | 'sla-breach-rate' | 'open-exceptions' | 'ownership' | 'adoption' | 'rehearsal' | 'days-stable' | 'decisions-overdue' | 'training';

/** The template's `cutover` block; the optional thresholds, when absent, make their criterion informational. */
export interface ReadinessThresholds {
  minAutomationRate: number;
  maxOpenExceptions: number;
  maxSlaBreachRate: number;
  minDaysStable: number;
  windowDays?: number;
  maxQuarantineRate?: number;
  minClaimedWithinSla?: number;
  /** Open decision items past their due date (domain/rules/decision.ts) a region may carry. */
  maxOverdueDecisions?: number;
  /** Required training completed by the people who own or work the region (domain/rules/training.ts), as a share. */
  minTrainedShare?: number;
}

/** What the ledger knows about one capability × region over a window [from, to). Counts, never rows. */
export interface ReadinessFacts {
  capability: string;
  region: string;
  /** The window (windowOf): `days` whole UTC days from `from`, the last one up to `to`. */
  from: number;
  to: number;
  days: number;
  /** Decisions the capability reported it made on its own (sum of reported quantities). */
  decisions: number;
  /** Exceptions raised in the window: decisions it could not make on its own. */
  raised: number;
  /** Intakes refused at the door in the window, and the contract paths they broke (one count per refusal and path). */
  quarantined: number;
  failingFields: Array<{ path: string; count: number }>;
  /** Of the exceptions raised in the window: missed a claim-by or resolve-by deadline (as of `to`). */
  breached: number;
  /** Of the exceptions raised in the window: claimed by their claim-by, and claimed late or never while the window passed. */
  claimedWithinSla: number;
  claimMissed: number;
  /** Exceptions open or claimed at `to`, and the oldest of them. */
  open: number;
  oldestOpen: { id: string; createdAt: number } | null;
  /** Ownership gaps of the region (domain/rules/gaps.ts), as the gap audit reports them. */
  gaps: Array<{ kind: string; area: string | null; detail: string }>;
  /** Repeated-override exceptions (adoption-training) raised in the window, and the operators who claimed any exception in it. */
  overrideExceptions: number;
  operators: number;
  /** Consecutive days before the window's last day on which every other criterion held (from the daily snapshots). */
  stableDays: number;
  /** Value events per day: reported and named by resolutions, in the template's unit. */
  valueDays: Array<{ day: number; valueEvent: string; events: number; total: number }>;
  valueEvents: Array<{ id: string; unit?: string }>;
  /** Open decision items past their due date at `to`; absent when not measured (a past day's snapshot). */
  overdueDecisions?: number;
  /**
   * The region's template scenarios, rehearsed against its matrix as it stands (issue 17): absent
   * where the facts carry none (no criterion then), null when the template declares no scenario.
   */
  rehearsal?: { templateVersion: number; total: number; failed: number; firstFailure: string | null } | null;
  /**
   * Training per person, live only (a past day's snapshot leaves it out: completions are not kept per
   * day): the people who own or work the region and what their roles require of the template's
   * materials. Absent: no criterion.
   */
  training?: { people: number; fullyTrained: number; required: number; completed: number; firstMissing: string | null };
}

export interface Criterion {
  id: CriterionId;
  label: string;
  /** The measured value: a rate from 0 to 1, or a count; null when nothing was there to measure. */
  measured: number | null;
  threshold: number | null;
  comparison: '>=' | '<=';
  /** null when the template declares no threshold: shown, but it holds nothing back. */
  pass: boolean | null;
  why: string;
  /** An API path to the evidence behind the number. */
  evidence: string;
  detail?: Record<string, unknown>;
}

export interface ValueLine {
  id: string;
  unit: string | null;
  events: number;
  total: number;
  perWeek: number;
  /** Totals per 7-day bucket from the window's start; the last one may be shorter. */
  weeks: Array<{ from: number; events: number; total: number }>;
}

export interface Scorecard {
  capability: string;
  region: string;
  window: { from: number; to: number; days: number };
  /** Every criterion with a threshold passes, days stable included. */
  ready: boolean;
  /** Every criterion with a threshold other than days stable passes: what a daily snapshot records as a stable day. */
  held: boolean;
  failing: CriterionId[];
  criteria: Criterion[];
  value: ValueLine[];
}

/** Midnight UTC of the day `ms` falls in. */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/**
 * The window a scorecard at `to` (exclusive) reads: `days` whole UTC days, the day `to` ends in being
 * the last, partial while it runs. A day's snapshot reads up to the next midnight.
 */
export function windowOf(to: number, days = DEFAULT_WINDOW_DAYS): { from: number; to: number; days: number } {
  return { from: lastDayOf(to) - (days - 1) * DAY_MS, to, days };
}

/** The day a window ending at `to` (exclusive) ends on. */
export const lastDayOf = (to: number) => dayOf(to - 1);

/**
 * Consecutive held days ending on `lastDay` (a missing snapshot breaks the run, so a day nobody
 * evaluated never counts as stable).
 */
export function consecutiveHeldDays(history: ReadonlyArray<{ day: number; held: boolean }>, lastDay: number): number {
  const held = new Set(history.filter((h) => h.held).map((h) => dayOf(h.day)));
  let count = 0;
  for (let day = dayOf(lastDay); held.has(day); day -= DAY_MS) count++;
  return count;
}

/**
 * The contract paths one refused intake broke, each once: what the input-reliability criterion's "most
 * failed" fields count. `reasons` as the quarantine keeps them (a list of `{ path, message }`).
 */
export function failedContractPaths(reasons: unknown): string[] {
  if (!Array.isArray(reasons)) return [];
  const paths = reasons.flatMap((r: unknown) => (r && typeof (r as { path?: unknown }).path === 'string' ? [(r as { path: string }).path] : []));
  return [...new Set(paths)];
}

/** A stored reasons text that is not JSON still counts, once, as unreadable. */
export const UNREADABLE_REASONS = '(unreadable reasons)';

const pct = (rate: number) => `${Math.round(rate * 1000) / 10}%`;
const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);
const round = (n: number) => Math.round(n * 1000) / 1000;
const query = (f: ReadinessFacts, extra = '') => `capability=${encodeURIComponent(f.capability)}&region=${encodeURIComponent(f.region)}${extra}`;

function atLeast(measured: number | null, threshold: number | undefined): boolean | null {
  if (threshold === undefined) return null;
  return measured !== null && measured >= threshold;
}
function atMost(measured: number | null, threshold: number | undefined): boolean | null {
  if (threshold === undefined) return null;
  return measured !== null && measured <= threshold;
}

function automation(f: ReadinessFacts, t: ReadinessThresholds): Criterion {
  const all = f.decisions + f.raised;
  const measured = ratio(f.decisions, all);
  const pass = atLeast(measured, t.minAutomationRate);
  const why =
    measured === null
      ? 'no decisions reported and no exceptions raised in the window: nothing shows the capability deciding on its own'
      : `${f.decisions} of ${all} decisions made without an exception (${pct(measured)}); needs at least ${pct(t.minAutomationRate)}`;
  return {
    id: 'automation-rate',
    label: 'Automation rate',
    measured: measured === null ? null : round(measured),
    threshold: t.minAutomationRate,
    comparison: '>=',
    pass,
    why,
    evidence: `/api/v1/reports?${query(f, '&kind=decision')}`,
    detail: { decisions: f.decisions, exceptions: f.raised },
  };
}

function inputReliability(f: ReadinessFacts, t: ReadinessThresholds): Criterion {
  const submitted = f.quarantined + f.raised;
  const measured = submitted === 0 ? 0 : f.quarantined / submitted;
  const top = [...f.failingFields].sort((a, b) => b.count - a.count || a.path.localeCompare(b.path)).slice(0, TOP_FAILING_FIELDS);
  const fields = top.map((x) => `${x.path} (${x.count})`).join(', ');
  const limit = t.maxQuarantineRate === undefined ? 'no limit declared (cutover.maxQuarantineRate)' : `at most ${pct(t.maxQuarantineRate)} allowed`;
  const why =
    submitted === 0
      ? 'no intakes in the window, so none refused'
      : `${f.quarantined} of ${submitted} intakes refused at the door (${pct(measured)}); ${limit}${fields ? `; most failed: ${fields}` : ''}`;
  return {
    id: 'input-reliability',
    label: 'Input reliability (refused ÷ submitted)',
    measured: round(measured),
    threshold: t.maxQuarantineRate ?? null,
    comparison: '<=',
    pass: atMost(measured, t.maxQuarantineRate),
    why,
    evidence: `/api/v1/quarantine?${query(f, '&source=intake')}`,
    detail: { quarantined: f.quarantined, submitted, topFailingFields: top },
  };
}

function slaBreaches(f: ReadinessFacts, t: ReadinessThresholds): Criterion {
  const measured = f.raised === 0 ? 0 : f.breached / f.raised;
  const why =
    f.raised === 0
      ? 'no exceptions raised in the window, so none breached'
      : `${f.breached} of ${f.raised} exceptions missed a claim or resolve deadline (${pct(measured)}); at most ${pct(t.maxSlaBreachRate)} allowed`;
  return {
    id: 'sla-breach-rate',
    label: 'SLA breach rate',
    measured: round(measured),
    threshold: t.maxSlaBreachRate,
    comparison: '<=',
    pass: atMost(measured, t.maxSlaBreachRate),
    why,
    evidence: `/api/v1/exceptions?${query(f, '&overdue=true')}`,
    detail: { breached: f.breached, raised: f.raised },
  };
}

function openExceptions(f: ReadinessFacts, t: ReadinessThresholds): Criterion {
  const oldest = f.oldestOpen ? `; the oldest, ${f.oldestOpen.id}, is ${Math.floor((f.to - f.oldestOpen.createdAt) / DAY_MS)} d old` : '';
  return {
    id: 'open-exceptions',
    label: 'Open exceptions',
    measured: f.open,
    threshold: t.maxOpenExceptions,
    comparison: '<=',
    pass: atMost(f.open, t.maxOpenExceptions),
    why: `${f.open} open or claimed; at most ${t.maxOpenExceptions} allowed${oldest}`,
    evidence: `/api/v1/exceptions?${query(f, '&status=open,claimed&sort=deadline')}`,
    detail: { oldest: f.oldestOpen ? { id: f.oldestOpen.id, createdAt: f.oldestOpen.createdAt } : null },
  };
}

function ownership(f: ReadinessFacts): Criterion {
  const byKind: Record<string, number> = {};
  for (const g of f.gaps) byKind[g.kind] = (byKind[g.kind] ?? 0) + 1;
  const kinds = Object.entries(byKind).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${n} ${k}`).join(', ');
  return {
    id: 'ownership',
    label: 'Ownership readiness (gaps in the audit)',
    measured: f.gaps.length,
    threshold: 0,
    comparison: '<=',
    pass: f.gaps.length === 0,
    why: f.gaps.length === 0 ? 'every area has an active owner, an active backup and a filled chain; no gap in the audit' : `${f.gaps.length} ownership gaps: ${kinds}; first: ${f.gaps[0]!.detail}`,
    evidence: `/api/v1/audit/ownership-gaps?${query(f)}`,
    detail: { gaps: byKind },
  };
}

function adoption(f: ReadinessFacts, t: ReadinessThresholds): Criterion {
  const due = f.claimedWithinSla + f.claimMissed;
  const measured = ratio(f.claimedWithinSla, due);
  const perOperator = f.operators > 0 ? round(f.overrideExceptions / f.operators) : null;
  const overrides = `${f.overrideExceptions} repeated-override exceptions across ${f.operators} operators${perOperator === null ? '' : ` (${perOperator} each)`}`;
  const limit = t.minClaimedWithinSla === undefined ? 'no threshold declared (cutover.minClaimedWithinSla)' : `needs at least ${pct(t.minClaimedWithinSla)}`;
  const why = measured === null ? `no exception reached its claim deadline in the window; ${overrides}` : `${f.claimedWithinSla} of ${due} claimed within SLA (${pct(measured)}), ${limit}; ${overrides}`;
  return {
    id: 'adoption',
    label: 'Adoption (claimed within SLA)',
    measured: measured === null ? null : round(measured),
    threshold: t.minClaimedWithinSla ?? null,
    comparison: '>=',
    // Nothing was due: there is no sign people leave the queue alone.
    pass: t.minClaimedWithinSla === undefined ? null : measured === null ? true : measured >= t.minClaimedWithinSla,
    why,
    evidence: `/api/v1/exceptions?${query(f, '&type=recommendation-overridden-repeatedly')}`,
    detail: { claimedWithinSla: f.claimedWithinSla, claimMissed: f.claimMissed, overrideExceptions: f.overrideExceptions, operators: f.operators, overridesPerOperator: perOperator },
  };
}

/** A scenario that fails says an exception would not go where the template promises: it holds the region back. */
function rehearsal(f: ReadinessFacts): Criterion | [] {
  if (f.rehearsal === undefined) return [];
  const r = f.rehearsal;
  return {
    id: 'rehearsal',
    label: 'Rehearsal (template scenarios)',
    measured: r ? r.failed : null,
    threshold: 0,
    comparison: '<=',
    pass: r && r.total > 0 ? r.failed === 0 : null,
    why: !r || r.total === 0
      ? 'the template declares no scenario to rehearse'
      : r.failed === 0
        ? `all ${r.total} scenarios of version ${r.templateVersion} pass`
        : `${r.failed} of ${r.total} scenarios of version ${r.templateVersion} fail; first: ${r.firstFailure}`,
    evidence: `/api/v1/capabilities/${encodeURIComponent(f.capability)}/regions/${encodeURIComponent(f.region)}/rehearsal`,
  };
}

/** The people who own or work the region have done the training their roles require. */
function training(f: ReadinessFacts, t: ReadinessThresholds): Criterion | [] {
  if (f.training === undefined) return [];
  const x = f.training;
  const measured = x.required === 0 ? null : round(x.completed / x.required);
  const limit = t.minTrainedShare;
  const counts = x.required === 0 ? 'no training is required of the people here' : `${x.completed} of ${x.required} required completions (${pct(x.completed / x.required)}), ${x.fullyTrained} of ${x.people} people fully trained`;
  return {
    id: 'training',
    label: 'Training (required, per person)',
    measured,
    threshold: limit ?? null,
    comparison: '>=',
    pass: limit === undefined ? null : measured === null ? true : measured >= limit,
    why: `${counts}${x.firstMissing ? `; first missing: ${x.firstMissing}` : ''}; ${limit === undefined ? 'no threshold declared (cutover.minTrainedShare)' : `needs at least ${pct(limit)}`}`,
    // The same people as the page lists for the scorecard's window.
    evidence: `/api/v1/capabilities/${encodeURIComponent(f.capability)}/regions/${encodeURIComponent(f.region)}/training?workedWithinDays=${Math.max(1, f.days)}`,
  };
}

function daysStable(f: ReadinessFacts, t: ReadinessThresholds, heldNow: boolean): Criterion {
  // The last day counts when everything holds on it; a failing criterion breaks the run, whatever the history says.
  const measured = heldNow ? f.stableDays + 1 : 0;
  const why = heldNow
    ? `${measured} consecutive days, this one included, on which every criterion held; needs ${t.minDaysStable}`
    : `not stable: a criterion fails now (${f.stableDays} held days before); needs ${t.minDaysStable}`;
  return {
    id: 'days-stable',
    label: 'Days stable',
    measured,
    threshold: t.minDaysStable,
    comparison: '>=',
    pass: measured >= t.minDaysStable,
    why,
    evidence: `/api/v1/capabilities/${encodeURIComponent(f.capability)}/regions/${encodeURIComponent(f.region)}/readiness/history`,
  };
}

function decisionsOverdue(f: ReadinessFacts & { overdueDecisions: number }, t: ReadinessThresholds): Criterion {
  const limit = t.maxOverdueDecisions;
  return {
    id: 'decisions-overdue',
    label: 'Decisions past due',
    measured: f.overdueDecisions,
    threshold: limit ?? null,
    comparison: '<=',
    pass: atMost(f.overdueDecisions, limit),
    why: `${f.overdueDecisions} open decision items past their due date; ${limit === undefined ? 'no threshold declared (cutover.maxOverdueDecisions)' : `at most ${limit} allowed`}`,
    evidence: `/api/v1/decisions?${query(f, '&overdue=true')}`,
  };
}

function valueLines(f: ReadinessFacts, days: number): ValueLine[] {
  const weeks = Math.ceil(days / 7);
  return f.valueEvents.map((v) => {
    const rows = f.valueDays.filter((d) => d.valueEvent === v.id);
    const buckets = Array.from({ length: weeks }, (_, i) => ({ from: f.from + i * 7 * DAY_MS, events: 0, total: 0 }));
    for (const r of rows) {
      const bucket = buckets[Math.min(weeks - 1, Math.max(0, Math.floor((r.day - f.from) / (7 * DAY_MS))))]!;
      bucket.events += r.events;
      bucket.total += r.total;
    }
    const events = rows.reduce((n, r) => n + r.events, 0);
    const total = rows.reduce((n, r) => n + r.total, 0);
    return { id: v.id, unit: v.unit ?? null, events, total: round(total), perWeek: round((total * 7) / days), weeks: buckets.map((b) => ({ ...b, total: round(b.total) })) };
  });
}

/** Grades one capability × region against the template's cutover thresholds. */
export function scorecard(f: ReadinessFacts, t: ReadinessThresholds): Scorecard {
  const days = Math.max(1, f.days);
  const graded = [automation(f, t), inputReliability(f, t), slaBreaches(f, t), openExceptions(f, t), ownership(f), adoption(f, t)].concat(rehearsal(f), training(f, t));

  if (f.overdueDecisions !== undefined) graded.push(decisionsOverdue({ ...f, overdueDecisions: f.overdueDecisions }, t));
  const held = graded.every((c) => c.pass !== false);
  const criteria = [...graded, daysStable(f, t, held)];
  const failing = criteria.filter((c) => c.pass === false).map((c) => c.id);
  return {
    capability: f.capability,
    region: f.region,
    window: { from: f.from, to: f.to, days },
    ready: failing.length === 0,
    held,
    failing,
    criteria,
    value: valueLines(f, days),
  };
}

export type StageName = 'pilot' | 'production' | 'paused';

export interface StageRefusal {
  type: 'Conflict' | 'Invalid';
  message: string;
  path?: string;
  /** For a refused promotion: every criterion that fails. */
  failing?: Criterion[];
}

/**
 * The gate. Promotion to production needs a ready scorecard, or an override with a reason; leaving
 * production (or pausing) is always allowed but needs a reason, because nothing demotes a region on
 * its own. Answers null when the change may go ahead.
 */
export function stageChangeRefusal(change: { from: StageName; to: StageName; override: boolean; reason?: string }, card: Pick<Scorecard, 'ready' | 'criteria'>): StageRefusal | null {
  const { from, to, override, reason } = change;
  if (override && to !== 'production') return { type: 'Invalid', message: 'An override only promotes to production.', path: 'override' };
  if (override && !reason) return { type: 'Invalid', message: 'An override needs a reason: say why the region goes to production although it is not ready.', path: 'reason' };
  if (to !== 'production' && from !== to && !reason) return { type: 'Invalid', message: `Say why the region goes from ${from} to ${to}.`, path: 'reason' };
  if (to === 'production' && from !== 'production' && !card.ready && !override) {
    const failing = card.criteria.filter((c) => c.pass === false);
    return { type: 'Conflict', message: `Not ready for production: ${failing.map((c) => `${c.label}: ${c.why}`).join('; ')}.`, failing };
  }
  return null;
}

export interface PlanStep {
  region: string;
  after: Array<{ region: string; inProductionFor?: string }>;
}

/** What the plan needs to know of one region; absent from the map: not rolled out. */
export interface PlanRegion {
  stage: StageName;
  /** When it entered its stage. */
  since: number | null;
  ready: boolean;
  failing: string[];
}

export interface PlanStatus {
  region: string;
  position: number;
  rolledOut: boolean;
  stage: StageName | null;
  status: 'in-production' | 'paused' | 'ready-to-promote' | 'waiting';
  /** The region to roll to next: the first in plan order not in production whose prerequisites hold. */
  next: boolean;
  waitsFor: string[];
}

/** "11 d", "3 d 4 h", "1 h": what is left, rounded up to the hour. */
function spanText(ms: number): string {
  const hours = Math.max(1, Math.ceil(ms / 3_600_000));
  const days = Math.floor(hours / 24);
  return days > 0 ? `${days} d${hours % 24 > 0 ? ` ${hours % 24} h` : ''}` : `${hours} h`;
}

/**
 * For each region of the plan, in order: where it stands and what it waits for.
 *
 * `visible` says which regions the reader may see (a token scoped to some regions). About a region it
 * may not see, a reader learns only what the template declares and whether that prerequisite is met:
 * never the region's stage, how long it has been in production, or its scorecard. And `next` is marked
 * only on a step whose earlier steps are all visible, since "next" says of each of them that it is in
 * production or not free to go.
 */
export function rolloutPlanStatus(
  plan: readonly PlanStep[],
  regions: Readonly<Record<string, PlanRegion>>,
  now: number,
  spanMs: (d: string) => number,
  visible: (region: string) => boolean = () => true,
): PlanStatus[] {
  let nextTaken = false;
  return plan.map((step, position) => {
    const here = regions[step.region];
    const prerequisites: string[] = [];
    for (const p of step.after) {
      const other = regions[p.region];
      const requirement = `${p.region} in production${p.inProductionFor ? ` for ${p.inProductionFor}` : ''}`;
      const needed = p.inProductionFor ? spanMs(p.inProductionFor) : 0;
      const served = other?.stage === 'production' ? (other.since === null ? 0 : now - other.since) : -1;
      if (served >= needed) continue;
      if (!visible(p.region)) prerequisites.push(`${requirement} (not met; ${p.region} is outside your scope)`);
      else if (served < 0) prerequisites.push(`${requirement} (${other ? `now ${other.stage}` : 'not rolled out'})`);
      else prerequisites.push(`${requirement} (${spanText(needed - served)} to go)`);
    }
    const own: string[] = [];
    if (!here) own.push(`a rollout to ${step.region}`);
    else if (here.stage !== 'production' && !here.ready) own.push(`its scorecard: ${here.failing.join(', ')}`);
    const inProduction = here?.stage === 'production';
    const next = !nextTaken && !inProduction && prerequisites.length === 0;
    if (next) nextTaken = true;
    const waitsFor = inProduction ? [] : [...prerequisites, ...own];
    const status = inProduction ? 'in-production' : here?.stage === 'paused' ? 'paused' : waitsFor.length === 0 ? 'ready-to-promote' : 'waiting';
    const seesEarlier = plan.slice(0, position + 1).every((earlier) => visible(earlier.region));
    return { region: step.region, position: position + 1, rolledOut: Boolean(here), stage: here?.stage ?? null, status, next: next && seesEarlier, waitsFor };
  });
}
