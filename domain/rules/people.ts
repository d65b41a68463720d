import type { Person, PersonInput } from '../people.js';

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

/**
 * How long the API may act on a cached directory status: a departure blocks the person's writes
 * within this, and the departure sweep looks for late claims once it has passed.
 */
export const ACTOR_STATUS_TTL_MS = 2_000;
