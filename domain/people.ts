import { z } from 'zod';
import { Role } from './principal.js';

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

export interface RuleViolation {
  path: string;
  message: string;
}

/** The directory's rules for an upsert: the manager must exist and the management chain must not loop. */
export function checkPersonUpsert(people: Record<string, Person>, id: string, input: PersonInput): RuleViolation[] {
  const { managerId } = input;
  if (managerId === null) return [];
  if (managerId === id) return [{ path: 'managerId', message: `${id} cannot be their own manager` }];
  if (!people[managerId]) return [{ path: 'managerId', message: `unknown person ${managerId}` }];
  const chain = [id, managerId];
  for (let cursor = people[managerId]?.managerId ?? null; cursor !== null; cursor = people[cursor]?.managerId ?? null) {
    chain.push(cursor);
    if (cursor === id) return [{ path: 'managerId', message: `this would make a management cycle: ${chain.join(' → ')}` }];
    if (chain.length > 1000) break;
  }
  return [];
}

export const isActive = (person: Pick<Person, 'status'> | undefined): boolean => person?.status === 'active';
