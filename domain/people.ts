import { z } from 'zod';
import { Role } from './principal.js';

export { checkPersonUpsert, isActive, type RuleViolation } from './rules/people.js';

export const PersonId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'expected a lower-case id such as alice or j.smith');
export const PersonStatus = z.enum(['active', 'on-leave', 'departed']);
export type PersonStatus = z.infer<typeof PersonStatus>;

export const PersonInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320),
  managerId: PersonId.nullable().default(null),
  status: PersonStatus.default('active'),
  roles: z.array(Role).max(5).default([]),
});
export type PersonInput = z.infer<typeof PersonInput>;

export const Person = PersonInput.extend({
  id: PersonId,
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type Person = z.infer<typeof Person>;
