import type { Person, PersonInput } from '../../domain/people.js';
import {
  getPeople,
  getPerson,
  listPeople,
  peopleDirectoryWorkflowId,
  upsertPerson,
  type UpsertPersonResult,
} from '../../workflows/people/messages.js';
import { peopleDirectoryWorkflow } from '../../workflows/people/workflow.js';
import { fromTemporal } from '../errors.js';
import { queryOr, withStart, type TemporalDeps } from './temporal.js';

export async function savePerson(deps: TemporalDeps, id: string, person: PersonInput, actor: string, reason?: string): Promise<UpsertPersonResult> {
  try {
    return await deps.client.workflow.executeUpdateWithStart(upsertPerson, {
      args: [{ id, person, actor, reason }],
      startWorkflowOperation: withStart(deps, peopleDirectoryWorkflow, peopleDirectoryWorkflowId, [{ continueAsNewAfter: deps.continueAsNewAfter }]),
    });
  } catch (err) {
    throw fromTemporal(err);
  }
}

const directory = (deps: TemporalDeps) => deps.client.workflow.getHandle(peopleDirectoryWorkflowId);

export const findPerson = (deps: TemporalDeps, id: string): Promise<Person | null> => queryOr(() => directory(deps).query(getPerson, id), null);
export const allPeople = (deps: TemporalDeps): Promise<Person[]> => queryOr(() => directory(deps).query(listPeople), []);
export const somePeople = (deps: TemporalDeps, ids: string[]): Promise<Record<string, Person>> =>
  ids.length === 0 ? Promise.resolve({}) : queryOr(() => directory(deps).query(getPeople, ids), {});
