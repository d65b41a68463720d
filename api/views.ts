import { z } from 'zod';
import { QualityCheck, SourceRef } from '../domain/exception.js';
import type { ExceptionState } from '../domain/rules/exception-model.js';
import { isOverdue } from '../domain/rules/overdue.js';

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
    templateVersion: s.templateVersion ?? null,
    ...(detail?.procedure ? { procedure: detail.procedure } : {}),
  };
}

/** One inbox row as ledger/exceptions.ts inboxOf reads it. */
export interface InboxRow {
  exception_id: string | null;
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

/**
 * An inbox entry: about an exception, or a notice about a rollout (no exception id), which is titled
 * and linked from its place. Whatever a stored row holds, this answers (never throws).
 */
export function inboxEntryView(r: InboxRow) {
  const place = { capability: r.capability ?? '', region: r.region ?? '' };
  const notice = r.exception_id === null;
  return {
    exceptionId: r.exception_id,
    capability: r.capability,
    region: r.region,
    kind: r.kind,
    level: Number(r.level) || 0,
    reason: r.reason,
    at: iso(r.at),
    title: notice ? `${place.capability} in ${place.region}: ${r.kind === 'readiness-flagged' ? 'below its cutover thresholds in production' : r.kind}` : (r.title ?? r.exception_id),
    status: r.status,
    severity: r.severity,
    owner: r.owner,
    claimant: r.claimant,
    link: notice
      ? `/api/v1/capabilities/${encodeURIComponent(place.capability)}/regions/${encodeURIComponent(place.region)}/readiness`
      : `/api/v1/exceptions/${encodeURIComponent(r.exception_id!)}`,
  };
}
