import { ApplicationFailure } from '@temporalio/workflow';
import type { Refusal } from '../domain/exception.js';
import type { RuleViolation } from '../domain/people.js';

/** Business refusals: the API maps these `type`s to 422 and 409 (api/errors.ts). */
export function invalid(message: string, errors: RuleViolation[] = []): ApplicationFailure {
  return ApplicationFailure.create({ type: 'Invalid', message, nonRetryable: true, details: [{ errors }] });
}

export function conflict(message: string, extra: Record<string, unknown> = {}): ApplicationFailure {
  return ApplicationFailure.create({ type: 'Conflict', message, nonRetryable: true, details: [extra] });
}

export function forbidden(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'Forbidden', message, nonRetryable: true });
}

/** Not the caller's fault, and nothing changed: the API answers 503 (api/errors.ts). */
export function unavailable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'Unavailable', message, nonRetryable: true });
}

/** Throws the failure a domain refusal maps to, so a validator rejects the update without history. */
export function refuse(refusal: Refusal | null): void {
  if (!refusal) return;
  if (refusal.type === 'Conflict') throw conflict(refusal.message);
  if (refusal.type === 'Forbidden') throw forbidden(refusal.message);
  throw invalid(refusal.message, refusal.path ? [{ path: refusal.path, message: refusal.message }] : []);
}
