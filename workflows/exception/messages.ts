import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ResponsibilityArea, Severity, SlaPolicy } from '../../domain/capability.js';
import type { Actor, ExceptionStatus, QualityCheck, Route, SourceRef } from '../../domain/exception.js';

export { exceptionId } from '../../domain/rules/exception.js';

/** What an exception is and the rules it runs under, fixed at surfacing: later template changes never alter it. */
export interface ExceptionFacts {
  id: string;
  capability: string;
  region: string;
  type: string;
  area: ResponsibilityArea;
  severity: Severity;
  title: string;
  confidence: number | null;
  sourceRefs: SourceRef[];
  qualityChecks: QualityCheck[];
  payload: Record<string, unknown>;
  policy: SlaPolicy;
  valueEvents: string[];
  webhook: string | null;
  raisedBy: string;
}

export interface ExceptionInput extends ExceptionFacts {
  /** The intake request that started the workflow; a duplicate intake carries another. */
  intakeId: string;
  /** Set when continuing as new. */
  carried?: ExceptionState;
}

export interface Breach {
  kind: 'claim' | 'resolve';
  at: number;
  /** The next escalation step to take. */
  step: number;
  repeats: number;
}

export interface Escalation {
  level: number;
  at: number;
  target: string | null;
  reason: string;
  kind: string;
  /** The deadline that fell due, for lateness measurements. */
  dueAt: number;
}

export interface ExceptionState extends ExceptionFacts {
  status: ExceptionStatus;
  route: Route | null;
  owner: string | null;
  ownerSource: Route['ownerSource'] | 'reassigned';
  claimant: string | null;
  claimedAt: number | null;
  escalationLevel: number;
  escalations: Escalation[];
  breaches: Breach[];
  claimBy: number;
  resolveBy: number;
  leaseUntil: number | null;
  snoozedUntil: number | null;
  snoozedAt: number | null;
  comments: Array<{ at: number; by: string; text: string }>;
  resolution: { code: string; note: string | null; valueEvent: string | null; by: string; at: number } | null;
  dismissal: { reason: string; by: string; at: number } | null;
  createdAt: number;
  updatedAt: number;
  /** Rises with every recorded event; the ledger's idempotency key is (id, seq). */
  seq: number;
}

export interface ExceptionEvent {
  seq: number;
  at: number;
  actor: string;
  action: string;
  from: string | null;
  to: string | null;
  reason: string | null;
  detail?: Record<string, unknown>;
}

export interface Notification {
  seq: number;
  person: string;
  kind: 'assigned' | 'escalated' | 'reassigned';
  level: number;
  reason: string;
  at: number;
}

export interface Outcome {
  state: ExceptionState;
  /** True for the intake that created the exception, false for a duplicate. */
  created?: boolean;
}

export const intake = defineUpdate<Outcome, [{ intakeId: string }]>('intake');
export const claimException = defineUpdate<Outcome, [{ actor: Actor }]>('claimException');
export const releaseException = defineUpdate<Outcome, [{ actor: Actor; reason?: string }]>('releaseException');
export const reassignException = defineUpdate<Outcome, [{ actor: Actor; to: string; toStatus: string | undefined; reason: string }]>('reassignException');
export const resolveException = defineUpdate<Outcome, [{ actor: Actor; code: string; note?: string; valueEvent?: string }]>('resolveException');
export const dismissException = defineUpdate<Outcome, [{ actor: Actor; reason: string }]>('dismissException');
export const commentOnException = defineUpdate<Outcome, [{ actor: Actor; text: string }]>('commentOnException');
export const escalateException = defineUpdate<Outcome, [{ actor: Actor; reason: string }]>('escalateException');
export const snoozeException = defineUpdate<Outcome, [{ actor: Actor; until: number; reason?: string }]>('snoozeException');
export interface OwnershipChangedSignal {
  actor: string;
  reason: string;
  /** A person who can no longer hold claims (departed or on leave): their claim returns to the queue. */
  releaseClaimsOf?: string;
}

export const ownershipChanged = defineSignal<[OwnershipChangedSignal]>('ownershipChanged');
export const getException = defineQuery<ExceptionState>('getException');
