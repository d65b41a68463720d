import type { CellAssignment } from '../../domain/ownership.js';
import { assignCell, getMatrix, ownershipWorkflowId, type AssignCellResult, type OwnershipMatrixView } from '../../workflows/ownership/messages.js';
import { ownershipMatrixWorkflow } from '../../workflows/ownership/workflow.js';
import { fromTemporal } from '../errors.js';
import { somePeople } from './people.js';
import { queryOr, withStart, type TemporalDeps } from './temporal.js';

/** Reads the people the assignment names from the directory, then asks the matrix to apply it. */
export async function assignOwnership(
  deps: TemporalDeps,
  input: { capability: string; region: string; area: string; assignment: CellAssignment; actor: string },
): Promise<AssignCellResult> {
  const { owner, backup, escalation } = input.assignment;
  const ids = [...new Set([owner, ...(backup ? [backup] : []), ...escalation])];
  const people = await somePeople(deps, ids);
  const snapshot = Object.fromEntries(Object.entries(people).map(([id, p]) => [id, { status: p.status }]));
  try {
    return await deps.client.workflow.executeUpdateWithStart(assignCell, {
      args: [{ region: input.region, area: input.area, assignment: input.assignment, actor: input.actor, people: snapshot }],
      startWorkflowOperation: withStart(deps, ownershipMatrixWorkflow, ownershipWorkflowId(input.capability), [{ capability: input.capability, continueAsNewAfter: deps.continueAsNewAfter }]),
    });
  } catch (err) {
    throw fromTemporal(err);
  }
}

export async function readMatrix(deps: TemporalDeps, capability: string): Promise<OwnershipMatrixView> {
  try {
    return await queryOr(() => deps.client.workflow.getHandle(ownershipWorkflowId(capability)).query(getMatrix), {
      capability,
      version: 0,
      cells: {},
    });
  } catch (err) {
    throw fromTemporal(err);
  }
}
