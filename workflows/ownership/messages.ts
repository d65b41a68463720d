import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CellAssignment, OwnershipCell, OwnershipChange, PeopleSnapshot } from '../../domain/ownership.js';

export const ownershipWorkflowId = (capability: string) => `ownership:${capability}`;

export interface AssignCellRequest {
  region: string;
  area: string;
  assignment: CellAssignment;
  actor: string;
  /** The statuses of the people the assignment names, read from the directory by the caller. */
  people: PeopleSnapshot;
}

export interface AssignCellResult {
  version: number;
  cell: OwnershipCell;
  change: OwnershipChange;
}

export interface OwnershipMatrixView {
  capability: string;
  version: number;
  cells: Record<string, OwnershipCell>;
}

export interface OwnershipMatrixInput {
  capability: string;
  version?: number;
  cells?: Record<string, OwnershipCell>;
  /** The newest changes, carried over continue-as-new; the full log is in the ledger. */
  recentChanges?: OwnershipChange[];
  continueAsNewAfter?: number;
}

export interface DepartureRequest {
  person: string;
  actor: string;
  reason: string;
  /** Statuses of the people who would take over, read by the caller. */
  people: PeopleSnapshot;
}

export interface DepartureOutcome {
  changes: OwnershipChange[];
}

export const applyDeparture = defineUpdate<DepartureOutcome, [DepartureRequest]>('applyDeparture');
export const assignCell = defineUpdate<AssignCellResult, [AssignCellRequest]>('assignCell');
export const getMatrix = defineQuery<OwnershipMatrixView>('getMatrix');
export const getCell = defineQuery<OwnershipCell | null, [string, string]>('getCell');
export const getMatrixVersion = defineQuery<number>('getMatrixVersion');
export const getRecentChanges = defineQuery<OwnershipChange[]>('getRecentChanges');
