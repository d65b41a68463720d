import { ApplicationFailure } from '@temporalio/workflow';
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
