import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Person, PersonInput, PersonStatus } from '../../domain/people.js';

/** One directory for the whole installation: people are few, and the rules (managers, cycles) span them all. */
export const peopleDirectoryWorkflowId = 'people:directory';

export interface UpsertPersonRequest {
  id: string;
  person: PersonInput;
  actor: string;
  reason?: string;
}

export interface UpsertPersonResult {
  person: Person;
  created: boolean;
  version: number;
}

/** Only the status changes: the rest of the person stays as the directory has it, whatever a concurrent upsert wrote. */
export interface SetPersonStatusRequest {
  id: string;
  status: PersonStatus;
  actor: string;
  reason: string;
}

export interface SetPersonStatusResult {
  person: Person;
  /** False when the person already had that status (a retry, or a second sweep): nothing was written. */
  changed: boolean;
  version: number;
}

export interface PeopleDirectoryInput {
  people?: Record<string, Person>;
  version?: number;
  /** Continue-as-new after this many changes in one run; tests set it small. */
  continueAsNewAfter?: number;
}

export const upsertPerson = defineUpdate<UpsertPersonResult, [UpsertPersonRequest]>('upsertPerson');
export const setPersonStatus = defineUpdate<SetPersonStatusResult, [SetPersonStatusRequest]>('setPersonStatus');
export const getPerson = defineQuery<Person | null, [string]>('getPerson');
export const listPeople = defineQuery<Person[]>('listPeople');
export const getPeople = defineQuery<Record<string, Person>, [string[]]>('getPeople');
