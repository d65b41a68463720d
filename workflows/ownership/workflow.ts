import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { OwnershipChange } from '../../domain/ownership.js';
import { cellKey } from '../../domain/rules/ownership.js';
import { OwnershipMatrix } from './matrix.js';
import { applyDeparture, assignCell, getCell, getMatrix, getMatrixVersion, getRecentChanges, type OwnershipMatrixInput } from './messages.js';

const { recordOwnershipChange, rerouteCell } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

export async function ownershipMatrixWorkflow(input: OwnershipMatrixInput): Promise<void> {
  const matrix = new OwnershipMatrix(input);
  let changesThisRun = 0;

  wf.setHandler(getMatrix, () => matrix.view());
  wf.setHandler(getCell, (region, area) => matrix.cells[cellKey(region, area)] ?? null);
  wf.setHandler(getMatrixVersion, () => matrix.version);
  wf.setHandler(getRecentChanges, () => matrix.recentChanges);
  wf.setHandler(
    assignCell,
    async (request) => {
      const change = matrix.assign(request, new Date().toISOString());
      changesThisRun += 1;
      await recordOwnershipChange({ capability: matrix.capability, change, workflowId: wf.workflowInfo().workflowId });
      // Histories from before in-flight rerouting existed did not schedule this activity.
      if (wf.patched('reroute-open-exceptions')) await reroute(change);
      return { version: change.version, cell: change.after, change };
    },
    { validator: (request) => matrix.validateAssign(request) },
  );
  wf.setHandler(applyDeparture, async (request) => {
    const changes = matrix.depart(request, new Date().toISOString());
    changesThisRun += changes.length;
    for (const change of changes) {
      await recordOwnershipChange({ capability: matrix.capability, change, workflowId: wf.workflowInfo().workflowId });
      await reroute(change);
    }
    return { changes };
  });

  /** Open exceptions in the changed cell re-resolve their owner and chain. */
  function reroute(change: OwnershipChange) {
    return rerouteCell({ capability: matrix.capability, region: change.region, area: change.area, actor: change.actor, reason: change.reason });
  }

  await wf.condition(
    () => wf.workflowInfo().continueAsNewSuggested || (input.continueAsNewAfter !== undefined && changesThisRun >= input.continueAsNewAfter),
  );
  await wf.condition(wf.allHandlersFinished);
  await wf.continueAsNew<typeof ownershipMatrixWorkflow>(matrix.carryOver(input.continueAsNewAfter));
}
