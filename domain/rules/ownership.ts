import type { CellAssignment, OwnershipCell } from '../ownership.js';
import type { PersonStatus } from '../people.js';
import type { RuleViolation } from './people.js';

export const emptyCell = (): OwnershipCell => ({ owner: null, backup: null, escalation: [], updatedAt: null, updatedBy: null });

export const cellKey = (region: string, area: string) => `${region}/${area}`;

/** What the caller knew of the people involved when it asked; the matrix checks the rules against it. */
export type PeopleSnapshot = Record<string, { status: PersonStatus } | undefined>;

/** Owner exists and is active; backup differs from the owner and exists; each escalation entry exists. */
export function checkAssignment(assignment: CellAssignment, people: PeopleSnapshot): RuleViolation[] {
  const violations: RuleViolation[] = [];
  const owner = people[assignment.owner];
  if (!owner) violations.push({ path: 'owner', message: `unknown person ${assignment.owner}` });
  else if (owner.status !== 'active') violations.push({ path: 'owner', message: `${assignment.owner} is ${owner.status}; an owner must be active` });
  if (assignment.backup !== null) {
    if (assignment.backup === assignment.owner) violations.push({ path: 'backup', message: 'the backup must be someone other than the owner' });
    else if (!people[assignment.backup]) violations.push({ path: 'backup', message: `unknown person ${assignment.backup}` });
    else if (people[assignment.backup]!.status === 'departed') violations.push({ path: 'backup', message: `${assignment.backup} has departed` });
  }
  assignment.escalation.forEach((id, i) => {
    if (!people[id]) violations.push({ path: `escalation.${i}`, message: `unknown person ${id}` });
    else if (people[id]!.status === 'departed') violations.push({ path: `escalation.${i}`, message: `${id} has departed` });
  });
  const seen = new Set<string>();
  assignment.escalation.forEach((id, i) => {
    if (seen.has(id)) violations.push({ path: `escalation.${i}`, message: `${id} appears twice in the chain` });
    seen.add(id);
  });
  return violations;
}
