/**
 * Decision triggers: when the capability's live data asks its owners a question (retrain? change a
 * rule? train someone? add capacity?). One pure evaluation over aggregates the ledger computes
 * (ledger/decision-facts.ts); no packages, so a table of fixtures tests every kind in milliseconds.
 */

export type TriggerKind = 'exception-share' | 'repeated-resolution' | 'repeated-by-actor' | 'queue-age' | 'new-model-version';
export const TRIGGER_KINDS: readonly TriggerKind[] = ['exception-share', 'repeated-resolution', 'repeated-by-actor', 'queue-age', 'new-model-version'];

/** A trigger as the effective template declares it (durations already in milliseconds). */
export interface TriggerSpec {
  id: string;
  area: string;
  kind: TriggerKind;
  /** exception-share: a share from 0 to 1 (fires above it); repeated-*: a count (fires at it); queue-age: a factor of the SLA (fires at it); new-model-version: unused. */
  threshold: number;
  /** The exception type it looks at (required by the share and repeated kinds; queue-age: optional filter). */
  exceptionType?: string;
  windowMs: number;
}

/** What the ledger knows about one capability × region over one window [from, to). Counts, never rows. */
export interface TriggerFacts {
  from: number;
  to: number;
  /** Decisions the capability reported it made on its own in the window. */
  decisions: number;
  /** Exceptions raised in the window, by type. */
  raised: Array<{ type: string; count: number }>;
  /** Exceptions resolved in the window, by type and resolution code. */
  resolutions: Array<{ type: string; code: string; count: number }>;
  /** Exceptions raised in the window, by type and the person they are about (the payload's buyerId). */
  byActor: Array<{ type: string; actor: string; count: number }>;
  /** Value events in the window (model-feedback-logged labels among them). */
  values: Array<{ id: string; events: number; total: number }>;
}

/** Facts that do not depend on a window. */
export interface RegionFacts {
  capability: string;
  region: string;
  now: number;
  /** The oldest open (or claimed) exceptions, per type; its resolve-by says what its SLA was. */
  oldestOpen: Array<{ id: string; type: string; createdAt: number; resolveBy: number }>;
  /** Every model version intake payloads carried in the region, and when it was first and last seen. */
  modelVersions: Array<{ version: string; firstSeen: number; lastSeen: number; count: number }>;
}

/** Which exceptions stand behind a fired trigger: the ledger reads their ids (at most a few) to link them. */
export interface EvidenceLinks {
  type?: string;
  code?: string;
  actor?: string;
  modelVersion?: string;
  open?: boolean;
  from: number;
  to: number;
}

export interface Fired {
  triggerId: string;
  area: string;
  kind: TriggerKind;
  /** The figure that fired it and the threshold it crossed. */
  measured: number;
  threshold: number;
  /** A sentence a person reads: what was seen, against what. */
  summary: string;
  /** The numbers behind the figure (numerator, denominator, the code or the actor...). */
  figures: Record<string, string | number>;
  window: { from: number; to: number };
  links: EvidenceLinks;
  values: TriggerFacts['values'];
}

const pct = (rate: number) => `${Math.round(rate * 1000) / 10}%`;
const days = (ms: number) => `${Math.round((ms / 86_400_000) * 10) / 10} days`;
const count = (list: Array<{ type: string; count: number }>, type: string | undefined) => list.filter((r) => r.type === type).reduce((n, r) => n + r.count, 0);

/** The window a trigger reads, ending at `now`. */
export const triggerWindow = (spec: Pick<TriggerSpec, 'windowMs'>, now: number) => ({ from: now - spec.windowMs, to: now });

function share(spec: TriggerSpec, f: TriggerFacts): Omit<Fired, 'triggerId' | 'area' | 'kind' | 'window' | 'values'> | null {
  const ofType = count(f.raised, spec.exceptionType);
  const all = f.raised.reduce((n, r) => n + r.count, 0) + f.decisions;
  if (all === 0) return null;
  const measured = ofType / all;
  if (!(measured > spec.threshold)) return null;
  return {
    measured,
    threshold: spec.threshold,
    summary: `${pct(measured)} of decisions raised ${spec.exceptionType} (${ofType} of ${all}), above ${pct(spec.threshold)}`,
    figures: { exceptions: ofType, decisions: all },
    links: { type: spec.exceptionType, from: f.from, to: f.to },
  };
}

function repeatedResolution(spec: TriggerSpec, f: TriggerFacts) {
  // The most repeated code; ties go to the code that sorts first, so the answer never depends on row order.
  const top = f.resolutions.filter((r) => r.type === spec.exceptionType).sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1))[0];
  if (!top || top.count < spec.threshold) return null;
  return {
    measured: top.count,
    threshold: spec.threshold,
    summary: `${spec.exceptionType} resolved ${top.count} times with ${top.code} (threshold ${spec.threshold})`,
    figures: { code: top.code, resolutions: top.count },
    links: { type: spec.exceptionType, code: top.code, from: f.from, to: f.to },
  };
}

function repeatedByActor(spec: TriggerSpec, f: TriggerFacts) {
  const top = f.byActor.filter((r) => r.type === spec.exceptionType).sort((a, b) => b.count - a.count || (a.actor < b.actor ? -1 : 1))[0];
  if (!top || top.count < spec.threshold) return null;
  return {
    measured: top.count,
    threshold: spec.threshold,
    summary: `${top.actor} raised ${spec.exceptionType} ${top.count} times (threshold ${spec.threshold})`,
    figures: { actor: top.actor, exceptions: top.count },
    links: { type: spec.exceptionType, actor: top.actor, from: f.from, to: f.to },
  };
}

function queueAge(spec: TriggerSpec, f: TriggerFacts, r: RegionFacts) {
  const candidates = r.oldestOpen.filter((o) => spec.exceptionType === undefined || o.type === spec.exceptionType);
  const oldest = [...candidates].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))[0];
  if (!oldest) return null;
  const sla = Math.max(oldest.resolveBy - oldest.createdAt, 1);
  const age = r.now - oldest.createdAt;
  const measured = age / sla;
  if (measured < spec.threshold) return null;
  return {
    measured,
    threshold: spec.threshold,
    summary: `the oldest open exception is ${days(age)} old, ${Math.round(measured * 10) / 10}× its ${days(sla)} SLA (threshold ${spec.threshold}×)`,
    figures: { exception: oldest.id, ageMs: age, slaMs: sla },
    links: { open: true, ...(spec.exceptionType ? { type: spec.exceptionType } : {}), from: 0, to: r.now },
  };
}

function newModelVersion(spec: TriggerSpec, f: TriggerFacts, r: RegionFacts) {
  // New: first seen in the window, after some other version had been seen before it (the first version a region ever sees is not news).
  const fresh = r.modelVersions.filter((v) => v.firstSeen >= f.from && v.firstSeen < f.to).sort((a, b) => b.firstSeen - a.firstSeen || (a.version < b.version ? -1 : 1))[0];
  const known = fresh ? r.modelVersions.filter((v) => v.firstSeen < fresh.firstSeen) : [];
  if (!fresh || known.length === 0) return null;
  return {
    measured: fresh.count,
    threshold: 0,
    summary: `model version ${fresh.version} first seen in intake payloads ${new Date(fresh.firstSeen).toISOString().slice(0, 10)} (${fresh.count} exceptions since)`,
    figures: { modelVersion: fresh.version, firstSeen: fresh.firstSeen, exceptions: fresh.count, previous: known.map((v) => v.version).sort().join(' ') },
    links: { modelVersion: fresh.version, from: fresh.firstSeen, to: f.to },
  };
}

const EVALUATE = { 'exception-share': share, 'repeated-resolution': repeatedResolution, 'repeated-by-actor': repeatedByActor, 'queue-age': queueAge, 'new-model-version': newModelVersion } as const;

/**
 * Every trigger of one capability × region, graded against the facts of its window (`facts(spec)`):
 * the ones that fire, each with the figures that fired it. A trigger that cannot be measured (no data)
 * does not fire.
 */
export function evaluateTriggers(specs: readonly TriggerSpec[], region: RegionFacts, facts: (spec: TriggerSpec) => TriggerFacts): Fired[] {
  const fired: Fired[] = [];
  for (const spec of specs) {
    const f = facts(spec);
    const hit = EVALUATE[spec.kind](spec, f, region);
    if (hit) fired.push({ triggerId: spec.id, area: spec.area, kind: spec.kind, window: { from: f.from, to: f.to }, values: f.values, ...hit });
  }
  return fired;
}

/** Exception rate before and after a model version arrived: did a retraining help? */
export interface RateWindow {
  from: number;
  to: number;
  exceptions: number;
  decisions: number;
}
export interface BeforeAfter {
  modelVersion: string;
  firstSeen: number;
  before: RateWindow & { rate: number | null };
  after: RateWindow & { rate: number | null };
  /** after − before, in rate points; null while either side has nothing to measure. */
  change: number | null;
}

export function beforeAfter(modelVersion: string, firstSeen: number, before: RateWindow, after: RateWindow): BeforeAfter {
  const rate = (w: RateWindow) => (w.exceptions + w.decisions > 0 ? w.exceptions / (w.exceptions + w.decisions) : null);
  const b = rate(before);
  const a = rate(after);
  return { modelVersion, firstSeen, before: { ...before, rate: b }, after: { ...after, rate: a }, change: a === null || b === null ? null : a - b };
}

/**
 * What triggers count an exception by, read once from its intake payload: the model version that
 * produced it and the person it is about (a buyer, for repeated overrides). Strings only, bounded.
 */
export function intakeFacts(payload: Record<string, unknown> | undefined): { model_version: string | null; subject: string | null } {
  const text = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 64 ? v : null);
  return { model_version: text(payload?.modelVersion), subject: text(payload?.buyerId) };
}

/**
 * A trigger whose last item was settled (decided or declined) stays quiet for one window after that: the
 * data it was settled on is still in the window, and raising it again would ask the same question twice.
 */
export const quietAfterSettled = (lastClosedAt: number | null, windowMs: number, now: number): boolean => lastClosedAt !== null && lastClosedAt > now - windowMs;
