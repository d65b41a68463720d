import { z } from 'zod';
import { QualityCheck, SourceRef } from '../domain/exception.js';
import type { ExceptionState } from '../domain/rules/exception-model.js';
import { workingTimeBetween } from '../domain/rules/calendar.js';
import { isOverdue, overdueAt } from '../domain/rules/overdue.js';

/**
 * A time as ISO 8601, or null when the stored value is not a representable date: a view renders
 * whatever the ledger holds and never fails on one bad row.
 */
export function iso(ms: number | null | undefined): string | null {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export const ExceptionView = z
  .object({
    id: z.string(),
    capability: z.string(),
    region: z.string(),
    type: z.string(),
    area: z.string(),
    severity: z.string(),
    title: z.string(),
    status: z.enum(['open', 'claimed', 'resolved', 'dismissed']),
    owner: z.string().nullable(),
    ownerSource: z.string(),
    claimant: z.string().nullable(),
    escalationLevel: z.number().int(),
    overdue: z.boolean().meta({ description: 'Past claim-by (open) or resolve-by (open or claimed), not snoozed: domain/rules/overdue.ts' }),
    trust: z.object({ confidence: z.number().nullable(), sourceRefs: z.array(SourceRef), qualityChecks: z.array(QualityCheck) }),
    payload: z.record(z.string(), z.unknown()).optional().meta({ description: 'Only on the exception itself, not in listings' }),
    deadlines: z.object({ claimBy: z.string().nullable(), resolveBy: z.string().nullable(), leaseUntil: z.string().nullable(), snoozedUntil: z.string().nullable() }),
    escalations: z.array(z.object({ level: z.number(), at: z.string().nullable(), target: z.string().nullable(), reason: z.string(), kind: z.string() })).meta({ description: 'The most recent escalations; the timeline has them all' }),
    escalationCount: z.number().int(),
    comments: z.array(z.object({ at: z.string().nullable(), by: z.string(), text: z.string() })).optional().meta({ description: 'Only on the exception itself: the most recent 100' }),
    commentCount: z.number().int(),
    resolution: z.object({ code: z.string(), note: z.string().nullable(), valueEvent: z.string().nullable(), quantity: z.number().optional().meta({ description: "What the value event was worth, in its unit; absent when not given" }), by: z.string(), at: z.string().nullable() }).nullable(),
    dismissal: z.object({ reason: z.string(), by: z.string(), at: z.string().nullable() }).nullable(),
    raisedBy: z.string(),
    createdAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
    sla: z
      .object({
        calendar: z.enum(['business', '24x7']).meta({ description: "business: clocks count the region's working hours; 24x7: wall time" }),
        timeZone: z.string().nullable().meta({ description: "The calendar's IANA time zone (null for 24x7)" }),
        dueAt: z.string().nullable().meta({ description: 'The next deadline it can miss (domain/rules/overdue.ts); null when closed, snoozed or waiting' }),
        workingMsLeft: z.number().nullable().meta({ description: 'Working time until dueAt, in ms (0 once past)' }),
        pausedMs: z.number().meta({ description: 'Wall time spent waiting on others, excluded from its resolve clock' }),
        warningsPending: z.array(z.object({ kind: z.string(), pct: z.number(), at: z.string().nullable() })),
      })
      .meta({ description: 'The SLA in working time' }),
    waiting: z
      .object({ reason: z.string(), note: z.string().nullable(), until: z.string().nullable(), since: z.string().nullable(), by: z.string() })
      .nullable()
      .meta({ description: 'Waiting on others: the resolve clock is paused' }),
    templateVersion: z.number().int().nullable().meta({ description: 'The core template version the exception was raised under; null before versions were recorded' }),
    procedure: z
      .object({ templateVersion: z.number().int().nullable(), markdown: z.string().nullable(), localNote: z.string().nullable() })
      .optional()
      .meta({ description: "Only on the exception itself: its type's procedure (markdown) from the version it was raised under, and the region's local note" }),
  })
  .meta({ id: 'Exception' });
export type ExceptionView = z.infer<typeof ExceptionView>;

export interface ExceptionDetailExtras {
  payload: Record<string, unknown>;
  comments: Array<{ at: number; by: string; text: string }>;
  procedure?: { templateVersion: number | null; markdown: string | null; localNote: string | null };
}

export function exceptionView(s: ExceptionState, now = Date.now(), detail?: ExceptionDetailExtras): ExceptionView {
  // Only entries that are objects: one null in a hand-edited row must not fail a whole listing.
  const escalations = Array.isArray(s.escalations) ? s.escalations.filter((e) => typeof e === 'object' && e !== null) : [];
  return {
    id: s.id,
    capability: s.capability,
    region: s.region,
    type: s.type,
    area: s.area,
    severity: s.severity,
    title: s.title,
    status: s.status,
    owner: s.owner ?? null,
    ownerSource: s.ownerSource,
    claimant: s.claimant ?? null,
    escalationLevel: s.escalationLevel ?? 0,
    overdue: isOverdue(s, now),
    trust: { confidence: s.confidence ?? null, sourceRefs: (s.sourceRefs ?? []) as SourceRef[], qualityChecks: s.qualityChecks ?? [] },
    ...(detail ? { payload: detail.payload } : {}),
    deadlines: { claimBy: iso(s.claimBy), resolveBy: iso(s.resolveBy), leaseUntil: iso(s.leaseUntil), snoozedUntil: iso(s.snoozedUntil) },
    escalations: escalations.map((e) => ({ level: e.level, at: iso(e.at), target: e.target, reason: e.reason, kind: e.kind })),
    escalationCount: s.escalationCount ?? escalations.length,
    ...(detail ? { comments: detail.comments.map((c) => ({ at: iso(c.at), by: c.by, text: c.text })) } : {}),
    commentCount: s.commentCount ?? 0,
    resolution: s.resolution ? { ...s.resolution, at: iso(s.resolution.at) } : null,
    dismissal: s.dismissal ? { ...s.dismissal, at: iso(s.dismissal.at) } : null,
    raisedBy: s.raisedBy,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    sla: slaView(s, now),
    waiting: s.waiting ? { reason: s.waiting.reason, note: s.waiting.note ?? null, until: iso(s.waiting.until), since: iso(s.waiting.since), by: s.waiting.by } : null,
    templateVersion: s.templateVersion ?? null,
    ...(detail?.procedure ? { procedure: detail.procedure } : {}),
  };
}

/** The SLA as the console shows it: the next deadline and the working time left, in the exception's own calendar. */
function slaView(s: ExceptionState, now: number): ExceptionView['sla'] {
  const cal = s.calendar ?? null;
  let due: number | null = null;
  try {
    due = overdueAt(s);
  } catch {
    due = null;
  }
  const left = due === null || !Number.isFinite(due) ? null : safe(() => workingTimeBetween(cal, now, due));
  return {
    calendar: cal ? 'business' : '24x7',
    timeZone: cal?.timeZone ?? null,
    dueAt: iso(due),
    workingMsLeft: left,
    pausedMs: typeof s.pausedMs === 'number' ? s.pausedMs : 0,
    warningsPending: Array.isArray(s.warnings) ? s.warnings.map((w) => ({ kind: w.kind, pct: w.pct, at: iso(w.at) })) : [],
  };
}

/** A view never fails on one odd row (e.g. a hand-edited calendar). */
function safe(compute: () => number): number | null {
  try {
    return compute();
  } catch {
    return null;
  }
}

/** One inbox row as ledger/exceptions.ts inboxOf reads it. */
export interface InboxRow {
  exception_id: string | null;
  /** A decision item's notice (0017_decision_notices), with the item's summary, status and owner when its row exists. */
  decision_id?: string | null;
  decision_summary?: string | null;
  decision_status?: string | null;
  decision_owner?: string | null;
  capability: string | null;
  region: string | null;
  kind: string;
  level: number;
  reason: string;
  at: number;
  title: string | null;
  status: string | null;
  severity: string | null;
  owner: string | null;
  claimant: string | null;
}

/** How a notice about a place (no exception) is titled, by kind. */
const NOTICE_TITLES: Record<string, string> = {
  'readiness-flagged': 'below its cutover thresholds in production',
  'attestation-requested': 'please confirm the cells you own or back up',
  'attestation-reminder': 'reminder: cells still waiting for your confirmation',
  'attestation-declined': 'an owner declined a cell; please reassign it',
};

/**
 * An inbox entry: about an exception, or a notice about a rollout (no exception id), which is titled
 * and linked from its place. Whatever a stored row holds, this answers (never throws).
 */
export function inboxEntryView(r: InboxRow) {
  const place = { capability: r.capability ?? '', region: r.region ?? '' };
  // What every entry says the same way, whatever it is about.
  const common = { capability: r.capability, region: r.region, kind: r.kind, level: Number(r.level) || 0, reason: r.reason, at: iso(r.at) };
  const decisionId = typeof r.decision_id === 'string' ? r.decision_id : null;
  if (decisionId !== null && r.exception_id === null) return { exceptionId: null, decisionId, ...common, ...decisionEntry(r, decisionId, place) };
  const notice = r.exception_id === null;
  return {
    exceptionId: r.exception_id,
    decisionId: null,
    ...common,
    title: notice ? `${place.capability} in ${place.region}: ${NOTICE_TITLES[r.kind] ?? r.kind}` : (r.title ?? r.exception_id),
    status: r.status,
    severity: r.severity,
    owner: r.owner,
    claimant: r.claimant,
    link: notice
      ? r.kind.startsWith('attestation-')
        ? r.kind === 'attestation-declined'
          ? `/api/v1/capabilities/${encodeURIComponent(place.capability)}/attestations`
          : '/api/v1/me/attestations'
        : `/api/v1/capabilities/${encodeURIComponent(place.capability)}/regions/${encodeURIComponent(place.region)}/readiness`
      : `/api/v1/exceptions/${encodeURIComponent(r.exception_id!)}`,
  };
}

/** A decision item's routed, rerouted or escalated notice: titled by the item, linked to it (never to an exception). */
function decisionEntry(r: InboxRow, decisionId: string, place: { capability: string; region: string }) {
  return {
    title: r.decision_summary ?? `A decision for ${place.capability} in ${place.region}`,
    status: r.decision_status ?? null,
    severity: null,
    owner: r.decision_owner ?? null,
    claimant: null,
    link: `/api/v1/decisions/${encodeURIComponent(decisionId)}`,
  };
}
