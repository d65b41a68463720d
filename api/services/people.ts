import type { Person, PersonInput } from '../../domain/people.js';
import type { LedgerDb } from '../../ledger/db.js';
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
import type { ScopeTarget } from '../scope.js';
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

/**
 * Everything a change to a person reaches: cells they own, back up or escalate to, cells owned by
 * their direct reports (they are the manager-of-owner step there) and their open exceptions.
 */
export async function footprintOf(ledger: LedgerDb, person: string): Promise<ScopeTarget[]> {
  const targets: ScopeTarget[] = [];
  const reports = new Set((await ledger.selectFrom('people').select('id').where('manager_id', '=', person).execute()).map((r) => r.id));
  for (const cell of await ledger.selectFrom('ownership_cells').select(['capability', 'region', 'area', 'owner', 'backup', 'escalation']).execute()) {
    const roles = [
      cell.owner === person && 'owner',
      cell.backup === person && 'backup',
      (JSON.parse(cell.escalation) as string[]).includes(person) && 'escalation',
      cell.owner !== null && reports.has(cell.owner) && "owner's manager",
    ].filter(Boolean);
    if (roles.length) targets.push({ capability: cell.capability, region: cell.region, what: `${roles.join(', ')} of ${cell.area}` });
  }
  const open = await ledger
    .selectFrom('exceptions')
    .select(['capability', 'region', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'not in', ['resolved', 'dismissed'])
    .where((eb) => eb.or([eb('owner', '=', person), eb('claimant', '=', person)]))
    .groupBy(['capability', 'region'])
    .execute();
  for (const row of open) targets.push({ capability: row.capability, region: row.region, what: `${row.n} open exception${Number(row.n) === 1 ? '' : 's'}` });
  // Decision items they own move with a departure or a status change too (activities/routing.ts).
  const decisions = await ledger
    .selectFrom('decisions')
    .select(['capability', 'region', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ['open', 'deferred'])
    .where('owner', '=', person)
    .groupBy(['capability', 'region'])
    .execute();
  for (const row of decisions) targets.push({ capability: row.capability, region: row.region, what: `${row.n} open decision${Number(row.n) === 1 ? '' : 's'}` });
  return targets;
}
