import { z } from 'zod';
import { Severity } from './capability.js';
import { Region } from './rollout.js';
import { EXCEPTION_STATUSES } from './rules/exception.js';

export {
  escalationReason,
  escalationTarget,
  exceptionId,
  isClosed,
  rules,
  type Actor,
  type BreachKind,
  type Refusal,
  type Route,
} from './rules/exception.js';

export const ExceptionStatus = z.enum(EXCEPTION_STATUSES);
export type ExceptionStatus = z.infer<typeof ExceptionStatus>;

/** A trace from the exception back to the source field it came from. */
export const SourceRef = z.strictObject({
  system: z.string().min(1).max(100),
  record: z.string().min(1).max(200),
  field: z.string().min(1).max(200),
  value: z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]).optional(),
});
export type SourceRef = z.infer<typeof SourceRef>;

export const QualityCheck = z.strictObject({
  name: z.string().min(1).max(100),
  passed: z.boolean(),
  detail: z.string().max(2000).optional(),
});
export type QualityCheck = z.infer<typeof QualityCheck>;

export const SourceKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/, 'letters, digits and . _ : / - only, at most 200');

/** The intake envelope an upstream system sends; the payload is checked against the type's contract. */
export const ExceptionIntake = z.strictObject({
  capability: z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'expected a capability id such as po-assist'),
  region: Region,
  type: z.string().min(1).max(64),
  sourceKey: SourceKey,
  title: z.string().trim().min(1).max(300),
  severity: Severity.optional(),
  confidence: z.number().min(0).max(1).optional(),
  sourceRefs: z.array(SourceRef).max(50).default([]),
  qualityChecks: z.array(QualityCheck).max(50).default([]),
  payload: z.record(z.string().max(100), z.unknown()),
});
export type ExceptionIntake = z.infer<typeof ExceptionIntake>;

export const ResolutionCode = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'expected a kebab-case code such as corrected-and-released');
