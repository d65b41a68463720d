import type { CapabilityTemplate, ExceptionType, Severity } from './capability.js';
import { checkPayload } from './contract.js';

export type IntakeRefusal = { message: string; errors: Array<{ path: string; message: string }> };

/**
 * The intake's rule against a region's effective template: the type must be one it declares and the
 * payload must keep that type's contract. Intake (api/services/exceptions.ts) and rehearsals
 * (domain/rehearsal.ts) both apply it, so a rehearsal quarantines what intake would.
 */
export function checkIntake(
  effective: Pick<CapabilityTemplate, 'exceptionTypes' | 'localFields'>,
  intake: { region: string; type: string; severity?: Severity | undefined; payload: unknown },
  now: Date,
): { ok: true; type: ExceptionType; severity: Severity } | ({ ok: false } & IntakeRefusal) {
  const type = effective.exceptionTypes.find((t) => t.id === intake.type);
  if (!type) {
    const known = effective.exceptionTypes.map((t) => t.id);
    return { ok: false, message: `Unknown exception type ${intake.type}; known: ${known.join(', ')}.`, errors: [{ path: 'type', message: `unknown; known: ${known.join(', ')}` }] };
  }
  const violations = checkPayload(type, effective.localFields, intake.payload, now);
  if (violations.length) return { ok: false, message: `The payload breaks the input contract of ${type.id} in ${intake.region}.`, errors: violations };
  return { ok: true, type, severity: intake.severity ?? type.defaultSeverity };
}
