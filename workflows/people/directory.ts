import type { Person } from '../../domain/people.js';
import { checkPersonUpsert } from '../../domain/rules/people.js';
import { invalid } from '../errors.js';
import type { SetPersonStatusRequest, UpsertPersonRequest } from './messages.js';

/** The directory's state and rules; the workflow file only wires messages to it. */
export class PeopleDirectory {
  constructor(
    readonly people: Record<string, Person> = {},
    public version = 0,
  ) {}

  validateUpsert(request: UpsertPersonRequest): void {
    const violations = checkPersonUpsert(this.people, request.id, request.person);
    if (violations.length) throw invalid(violations.map((v) => v.message).join('; '), violations);
  }

  upsert(request: UpsertPersonRequest, at: string): { person: Person; created: boolean; before: Person | null } {
    // Re-checked here: another update may have changed the directory since the validator ran.
    this.validateUpsert(request);
    const before = this.people[request.id] ?? null;
    const person: Person = { ...request.person, id: request.id, updatedAt: at, updatedBy: request.actor };
    this.people[request.id] = person;
    this.version += 1;
    return { person, created: before === null, before };
  }

  validateStatus(request: SetPersonStatusRequest): void {
    if (!this.people[request.id]) throw invalid(`unknown person ${request.id}`, [{ path: 'id', message: `unknown person ${request.id}` }]);
  }

  /** A narrow change: only the status and the stamp move, so a concurrent upsert's name or manager stands. */
  setStatus(request: SetPersonStatusRequest, at: string): { person: Person; before: Person; changed: boolean } {
    this.validateStatus(request);
    const before = this.people[request.id]!;
    if (before.status === request.status) return { person: before, before, changed: false };
    const person: Person = { ...before, status: request.status, updatedAt: at, updatedBy: request.actor };
    this.people[request.id] = person;
    this.version += 1;
    return { person, before, changed: true };
  }

  pick(ids: string[]): Record<string, Person> {
    return Object.fromEntries(ids.flatMap((id) => (this.people[id] ? [[id, this.people[id]!]] : [])));
  }
}
