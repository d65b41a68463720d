import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { WorkCalendar } from '../../domain/rules/calendar.js';
import type { Actor, Route } from '../../domain/rules/exception.js';
import type { ExceptionFacts, ExceptionState, Receipt, RecordedTransition, WaitingReason } from '../../domain/rules/exception-model.js';

/**
 * The exception's contract: messages, IDs and the workflow's input, imported by the API and the worker.
 * The model types live in domain/rules/exception-model.ts.
 */
export { exceptionId } from '../../domain/rules/exception.js';
export type { ExceptionEvent, ExceptionFacts, ExceptionState, Notification, Receipt, RecordedTransition } from '../../domain/rules/exception-model.js';

export interface ExceptionInput extends ExceptionFacts {
  /** The intake request that started the workflow; a duplicate intake carries another. */
  intakeId: string;
  /** Only in the first run: written to the ledger with surfacing, never carried. */
  payload?: Record<string, unknown>;
  /** Set when continuing as new. */
  carried?: ExceptionState;
  /** A reroute that arrived while the previous run was finishing, applied first in this one. */
  pendingReroute?: OwnershipChangedSignal | null;
  /** A calendar change that arrived while the previous run was finishing, applied first in this one. */
  pendingCalendarChange?: CalendarChangedSignal;
  /** Which code started it (workflow.ts CURRENT_SHAPE); absent for exceptions raised before shape 2. */
  shape?: number;
  /** Shape 3: the route the API read from the ledger at intake; surfacing then needs no lookup. Not carried. */
  route?: Route;
  /** Tests: continue as new after this many transitions (see CONTINUE_AS_NEW_AFTER). */
  continueAsNewAfter?: number;
}

/** Every transition update carries the API's stamp (domain/rules/stamp.ts, decision 0010). */
export type { Stamped } from '../../domain/rules/stamp.js';
import type { Stamped } from '../../domain/rules/stamp.js';

/** `dataDigest` (since calendars): a duplicate intake with other data resumes a waiting exception. */
export const intake = defineUpdate<Receipt, [Stamped & { intakeId: string; dataDigest?: string }]>('intake');
export const claimException = defineUpdate<Receipt, [Stamped & { actor: Actor }]>('claimException');
export const releaseException = defineUpdate<Receipt, [Stamped & { actor: Actor; reason?: string }]>('releaseException');
export const reassignException = defineUpdate<Receipt, [Stamped & { actor: Actor; to: string; toStatus: string | undefined; reason: string }]>('reassignException');
/** `quantity` (how much the value event was worth, in the template's unit) is optional: older histories never carry it. */
export const resolveException = defineUpdate<Receipt, [Stamped & { actor: Actor; code: string; note?: string; valueEvent?: string; quantity?: number }]>('resolveException');
export const dismissException = defineUpdate<Receipt, [Stamped & { actor: Actor; reason: string }]>('dismissException');
export const commentOnException = defineUpdate<Receipt, [Stamped & { actor: Actor; text: string }]>('commentOnException');
export const escalateException = defineUpdate<Receipt, [Stamped & { actor: Actor; reason: string }]>('escalateException');
export const snoozeException = defineUpdate<Receipt, [Stamped & { actor: Actor; until: number; reason?: string }]>('snoozeException');
/** Waiting on others; `until` (epoch ms) resumes it by itself. */
export const waitOnOthers = defineUpdate<Receipt, [Stamped & { actor: Actor; reason: WaitingReason; note?: string; until?: number }]>('waitOnOthers');
export const resumeException = defineUpdate<Receipt, [Stamped & { actor: Actor; note?: string }]>('resumeException');
/** The region's business calendar changed (null: none, 24x7): open exceptions count in it from their next clock computation. */
export interface CalendarChangedSignal {
  calendar: WorkCalendar | null;
  actor: string;
  reason: string;
}
export const calendarChanged = defineSignal<[CalendarChangedSignal]>('calendarChanged');
export interface OwnershipChangedSignal {
  actor: string;
  reason: string;
  /** A person who can no longer hold claims (departed or on leave): their claim returns to the queue. */
  releaseClaimsOf?: string;
}

export const ownershipChanged = defineSignal<[OwnershipChangedSignal]>('ownershipChanged');
/** The workflow's bounded state: what `ledger:verify` and the confirmer compare the ledger with. */
export const getException = defineQuery<ExceptionState>('getException');
/**
 * The state and the transitions the workflow remembers after `since` (a seq): what the confirmer
 * rebuilds a ledger tail from when the one stored came from another attempt (decision 0009).
 */
export interface RecentTransitionsAnswer {
  state: ExceptionState;
  transitions: RecordedTransition[];
}
export const getRecentTransitions = defineQuery<RecentTransitionsAnswer, [number]>('getRecentTransitions');
