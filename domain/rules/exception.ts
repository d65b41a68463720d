import type { EscalationStep } from '../capability.js';
import type { Role } from '../principal.js';
import { LIMITS } from './exception-model.js';

export const EXCEPTION_STATUSES = ['open', 'claimed', 'resolved', 'dismissed'] as const;
export type ExceptionStatus = (typeof EXCEPTION_STATUSES)[number];
export const isClosed = (status: ExceptionStatus) => status === 'resolved' || status === 'dismissed';

export const exceptionId = (capability: string, sourceKey: string) => `exception:${capability}:${sourceKey}`;

/** Who an exception goes to, as resolved from the ownership matrix and the directory at one moment. */
export interface Route {
  owner: string | null;
  ownerSource: 'owner' | 'backup' | 'unowned';
  backup: string | null;
  escalation: string[];
  managerOfOwner: string | null;
  matrixVersion: number;
}

export interface Actor {
  id: string;
  roles: Role[];
}

export interface Refusal {
  type: 'Conflict' | 'Forbidden' | 'Invalid';
  message: string;
  path?: string;
}

/** The most a single value event may be worth in its unit (a resolution's or a reported event's quantity). */
export const MAX_QUANTITY = 1_000_000_000;

const privileged = (actor: Actor) => actor.roles.includes('admin') || actor.roles.includes('manager');

/** Who may do what to an exception in a given state; the workflow's validators apply these. */
export const rules = {
  claim(state: { status: ExceptionStatus; claimant: string | null }, actor: Actor): Refusal | null {
    if (isClosed(state.status)) return { type: 'Conflict', message: `The exception is already ${state.status}.` };
    if (state.claimant && state.claimant !== actor.id) return { type: 'Conflict', message: `Claimed by ${state.claimant}.` };
    if (!actor.roles.some((r) => r === 'operator' || r === 'owner' || r === 'manager' || r === 'admin')) {
      return { type: 'Forbidden', message: 'Claiming needs the operator role.' };
    }
    return null;
  },
  release(state: { status: ExceptionStatus; claimant: string | null }, actor: Actor): Refusal | null {
    if (state.status !== 'claimed') return { type: 'Conflict', message: `Only a claimed exception can be released; it is ${state.status}.` };
    if (state.claimant !== actor.id && !privileged(actor)) return { type: 'Forbidden', message: `Only ${state.claimant} or a manager may release it.` };
    return null;
  },
  reassign(state: { status: ExceptionStatus; owner: string | null }, actor: Actor, to: string, toStatus: string | undefined): Refusal | null {
    if (isClosed(state.status)) return { type: 'Conflict', message: `The exception is already ${state.status}.` };
    if (state.owner !== actor.id && !privileged(actor)) return { type: 'Forbidden', message: 'Only the owner or a manager may reassign it.' };
    if (toStatus === undefined) return { type: 'Invalid', message: `Unknown person ${to}.`, path: 'to' };
    if (toStatus !== 'active') return { type: 'Invalid', message: `${to} is ${toStatus}; reassign to an active person.`, path: 'to' };
    if (state.owner === to) return { type: 'Conflict', message: `${to} already owns it.` };
    return null;
  },
  resolve(
    state: { status: ExceptionStatus; claimant: string | null; owner: string | null },
    actor: Actor,
    valueEvent: string | undefined,
    valueEvents: string[],
    quantity?: number,
  ): Refusal | null {
    if (isClosed(state.status)) return { type: 'Conflict', message: `The exception is already ${state.status}.` };
    const mayResolve = state.claimant === actor.id || state.owner === actor.id || actor.roles.includes('admin');
    if (!mayResolve) {
      return { type: 'Forbidden', message: state.claimant ? `Only the claimant (${state.claimant}) or the owner may resolve it.` : 'Claim it first, or be its owner.' };
    }
    if (valueEvent !== undefined && !valueEvents.includes(valueEvent)) {
      return { type: 'Invalid', message: `Unknown value event ${valueEvent}; the template counts: ${valueEvents.join(', ')}.`, path: 'valueEvent' };
    }
    if (quantity !== undefined) {
      if (valueEvent === undefined) return { type: 'Invalid', message: 'A quantity says what a value event was worth; name the valueEvent too.', path: 'quantity' };
      if (!Number.isFinite(quantity) || quantity < 0 || quantity > MAX_QUANTITY) {
        return { type: 'Invalid', message: `A quantity is a number from 0 to ${MAX_QUANTITY}.`, path: 'quantity' };
      }
    }
    return null;
  },
  dismiss(state: { status: ExceptionStatus; owner: string | null }, actor: Actor): Refusal | null {
    if (isClosed(state.status)) return { type: 'Conflict', message: `The exception is already ${state.status}.` };
    if (state.owner !== actor.id && !privileged(actor)) return { type: 'Forbidden', message: 'Only the owner or a manager may dismiss it.' };
    return null;
  },
  snooze(state: { status: ExceptionStatus; owner: string | null }, actor: Actor, until: number, now: number): Refusal | null {
    if (isClosed(state.status)) return { type: 'Conflict', message: `The exception is already ${state.status}.` };
    if (state.owner !== actor.id && !privileged(actor)) return { type: 'Forbidden', message: 'Only the owner or a manager may snooze it.' };
    if (until <= now) return { type: 'Invalid', message: 'Snooze until a time in the future.', path: 'until' };
    if (until - now > 30 * 24 * 3600_000) return { type: 'Invalid', message: 'Snooze for at most 30 days.', path: 'until' };
    return null;
  },
  /** Waiting on others: a claimed exception, set by its claimant, its owner or a manager; the date within 30 days. */
  wait(state: { status: ExceptionStatus; claimant: string | null; owner: string | null; waiting?: unknown }, actor: Actor, until: number | null, now: number): Refusal | null {
    if (isClosed(state.status)) return { type: 'Conflict', message: `The exception is already ${state.status}.` };
    if (state.status !== 'claimed') return { type: 'Conflict', message: 'Claim it first: waiting pauses the resolve clock of a claimed exception.' };
    if (state.waiting) return { type: 'Conflict', message: 'It is already waiting; resume it first.' };
    if (state.claimant !== actor.id && state.owner !== actor.id && !privileged(actor)) {
      return { type: 'Forbidden', message: `Only the claimant (${state.claimant}), the owner or a manager may set it waiting.` };
    }
    if (until !== null && until <= now) return { type: 'Invalid', message: 'Wait until a time in the future.', path: 'until' };
    if (until !== null && until - now > 30 * 24 * 3600_000) return { type: 'Invalid', message: 'Wait for at most 30 days; set it again after.', path: 'until' };
    return null;
  },
  resume(state: { status: ExceptionStatus; claimant: string | null; owner: string | null; waiting?: unknown }, actor: Actor): Refusal | null {
    if (isClosed(state.status)) return { type: 'Conflict', message: `The exception is already ${state.status}.` };
    if (!state.waiting) return { type: 'Conflict', message: 'It is not waiting.' };
    if (state.claimant !== actor.id && state.owner !== actor.id && !privileged(actor)) {
      return { type: 'Forbidden', message: `Only the claimant (${state.claimant}), the owner or a manager may resume it.` };
    }
    return null;
  },
  open(state: { status: ExceptionStatus }): Refusal | null {
    return isClosed(state.status) ? { type: 'Conflict', message: `The exception is already ${state.status}.` } : null;
  },
  /** Comments live in the ledger, but each is an update in history: a bound keeps one exception's history finite. */
  comment(state: { status: ExceptionStatus; commentCount?: number }): Refusal | null {
    if (isClosed(state.status)) return { type: 'Conflict', message: `The exception is already ${state.status}.` };
    if ((state.commentCount ?? 0) >= LIMITS.comments) {
      return { type: 'Invalid', message: `This exception has ${LIMITS.comments} comments, the most one exception keeps; resolve it or raise a new one.`, path: 'text' };
    }
    return null;
  },
  /** Each hand escalation notifies the next person up; past the limit it is noise, not escalation. */
  escalateByHand(state: { status: ExceptionStatus; handEscalations?: number }): Refusal | null {
    if (isClosed(state.status)) return { type: 'Conflict', message: `The exception is already ${state.status}.` };
    if ((state.handEscalations ?? 0) >= LIMITS.handEscalations) {
      return { type: 'Invalid', message: `Escalated by hand ${LIMITS.handEscalations} times already, the most one exception takes; reassign or resolve it.`, path: 'reason' };
    }
    return null;
  },
};

/** The person an escalation step reaches; missing links fall through to the next who can act. */
export function escalationTarget(step: EscalationStep, route: Route): string | null {
  const chain = route.escalation;
  const fallback = chain[0] ?? route.managerOfOwner ?? route.owner;
  if (step.notify === 'owner') return route.owner ?? fallback;
  if (step.notify === 'backup') return route.backup ?? fallback;
  if (step.notify === 'manager-of-owner') return route.managerOfOwner ?? chain.at(-1) ?? route.owner;
  const index = Number(step.notify.slice('escalation['.length, -1));
  return chain[index] ?? route.managerOfOwner ?? chain.at(-1) ?? route.owner;
}

export type BreachKind = 'claim' | 'resolve' | 'lease' | 'manual';

export function escalationReason(kind: BreachKind, step: number, steps: number, lapsedAgoMs: number): string {
  const what = { claim: 'claim SLA lapsed', resolve: 'resolve SLA lapsed', lease: 'claim lease expired', manual: 'escalated by hand' }[kind];
  const ago = lapsedAgoMs >= 60_000 ? `${Math.round(lapsedAgoMs / 60_000)}m ago` : `${Math.round(lapsedAgoMs / 1000)}s ago`;
  return kind === 'manual' ? `${what}, step ${step} of ${steps}` : `${what} ${ago}, step ${step} of ${steps}`;
}

