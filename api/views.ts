import { z } from 'zod';
import { QualityCheck, SourceRef } from '../domain/exception.js';
import type { ExceptionState } from '../workflows/exception/messages.js';

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

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
    overdue: z.boolean(),
    trust: z.object({ confidence: z.number().nullable(), sourceRefs: z.array(SourceRef), qualityChecks: z.array(QualityCheck) }),
    payload: z.record(z.string(), z.unknown()),
    deadlines: z.object({ claimBy: z.string(), resolveBy: z.string(), leaseUntil: z.string().nullable(), snoozedUntil: z.string().nullable() }),
    escalations: z.array(z.object({ level: z.number(), at: z.string(), target: z.string().nullable(), reason: z.string(), kind: z.string() })),
    comments: z.array(z.object({ at: z.string(), by: z.string(), text: z.string() })),
    resolution: z.object({ code: z.string(), note: z.string().nullable(), valueEvent: z.string().nullable(), by: z.string(), at: z.string() }).nullable(),
    dismissal: z.object({ reason: z.string(), by: z.string(), at: z.string() }).nullable(),
    raisedBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Exception' });
export type ExceptionView = z.infer<typeof ExceptionView>;

export function exceptionView(s: ExceptionState, now = Date.now()): ExceptionView {
  const live = s.status === 'open' || s.status === 'claimed';
  return {
    id: s.id,
    capability: s.capability,
    region: s.region,
    type: s.type,
    area: s.area,
    severity: s.severity,
    title: s.title,
    status: s.status,
    owner: s.owner,
    ownerSource: s.ownerSource,
    claimant: s.claimant,
    escalationLevel: s.escalationLevel,
    overdue: live && s.snoozedUntil === null && ((s.status === 'open' && s.claimBy < now) || s.resolveBy < now),
    trust: { confidence: s.confidence, sourceRefs: s.sourceRefs, qualityChecks: s.qualityChecks },
    payload: s.payload,
    deadlines: { claimBy: iso(s.claimBy)!, resolveBy: iso(s.resolveBy)!, leaseUntil: iso(s.leaseUntil), snoozedUntil: iso(s.snoozedUntil) },
    escalations: s.escalations.map((e) => ({ level: e.level, at: iso(e.at)!, target: e.target, reason: e.reason, kind: e.kind })),
    comments: s.comments.map((c) => ({ at: iso(c.at)!, by: c.by, text: c.text })),
    resolution: s.resolution && { ...s.resolution, at: iso(s.resolution.at)! },
    dismissal: s.dismissal && { ...s.dismissal, at: iso(s.dismissal.at)! },
    raisedBy: s.raisedBy,
    createdAt: iso(s.createdAt)!,
    updatedAt: iso(s.updatedAt)!,
  };
}
