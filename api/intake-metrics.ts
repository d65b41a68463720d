import { metrics } from '../platform/metrics.js';
import { AppError } from './errors.js';

/**
 * Counts an intake by its outcome (exception_desk_intake_total): accepted, duplicate, or quarantined
 * by reason. Only capabilities the catalog knows become label values; an intake refused before its
 * capability was checked counts under "other", so a sender of random capabilities grows no series.
 */
export async function observeIntake<T extends { created: boolean; state: { capability: string } }>(body: unknown, intake: Promise<T>): Promise<T> {
  try {
    const result = await intake;
    metrics.intake.inc({ capability: result.state.capability, outcome: result.created ? 'accepted' : 'duplicate', reason: '' });
    return result;
  } catch (err) {
    if (err instanceof AppError && err.extra.quarantineId !== undefined) {
      const reason = quarantineReason(err);
      const sent = (body as { capability?: unknown } | null)?.capability;
      const known = !['envelope', 'nesting', 'unknown-capability'].includes(reason) && typeof sent === 'string';
      metrics.intake.inc({ capability: known ? sent : 'other', outcome: 'quarantined', reason });
    }
    throw err;
  }
}

/** The quarantine's reason, from the refusal raiseException answers (api/services/exceptions.ts). */
function quarantineReason(err: AppError): string {
  const path = err.extra.errors?.[0]?.path;
  if (err.code === 'BAD_REQUEST') return path === 'payload' && err.message.includes('nests') ? 'nesting' : 'envelope';
  if (path === 'capability') return 'unknown-capability';
  if (path === 'region') return 'not-rolled-out';
  if (path === 'type') return 'unknown-type';
  return 'input-contract';
}
