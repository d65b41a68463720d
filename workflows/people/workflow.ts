import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { PeopleDirectory } from './directory.js';
import { getPeople, getPerson, listPeople, setPersonStatus, upsertPerson, type PeopleDirectoryInput } from './messages.js';

const { recordPersonChange, rerouteForPerson } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

export async function peopleDirectoryWorkflow(input: PeopleDirectoryInput = {}): Promise<void> {
  const directory = new PeopleDirectory(input.people ?? {}, input.version ?? 0);
  let changesThisRun = 0;

  wf.setHandler(getPerson, (id) => directory.people[id] ?? null);
  wf.setHandler(listPeople, () => Object.values(directory.people));
  wf.setHandler(getPeople, (ids) => directory.pick(ids));
  wf.setHandler(
    upsertPerson,
    async (request) => {
      const at = new Date().toISOString();
      const { person, created, before } = directory.upsert(request, at);
      changesThisRun += 1;
      const version = directory.version;
      // The ledger copy serves listings and audits; its key makes a retried write a no-op.
      await recordPersonChange({ person, before, version, actor: request.actor, reason: request.reason ?? null, workflowId: wf.workflowInfo().workflowId });
      // A status change (leave, return, departure) moves their open work; older histories did not do this.
      if (before && before.status !== person.status && wf.patched('reroute-on-status-change')) {
        await rerouteForPerson({ person: person.id, status: person.status, actor: request.actor, reason: request.reason ?? `${person.id} is now ${person.status}` });
      }
      return { person, created, version };
    },
    { validator: (request) => directory.validateUpsert(request) },
  );
  // New with this handler, so no history before it holds one: it always moves the person's work.
  wf.setHandler(
    setPersonStatus,
    async (request) => {
      const { person, before, changed } = directory.setStatus(request, new Date().toISOString());
      const version = directory.version;
      if (!changed) return { person, changed, version };
      changesThisRun += 1;
      await recordPersonChange({ person, before, version, actor: request.actor, reason: request.reason, workflowId: wf.workflowInfo().workflowId });
      await rerouteForPerson({ person: person.id, status: person.status, actor: request.actor, reason: request.reason });
      return { person, changed, version };
    },
    { validator: (request) => directory.validateStatus(request) },
  );

  await wf.condition(
    () => wf.workflowInfo().continueAsNewSuggested || (input.continueAsNewAfter !== undefined && changesThisRun >= input.continueAsNewAfter),
  );
  await wf.condition(wf.allHandlersFinished);
  await wf.continueAsNew<typeof peopleDirectoryWorkflow>({
    people: directory.people,
    version: directory.version,
    continueAsNewAfter: input.continueAsNewAfter,
  });
}
