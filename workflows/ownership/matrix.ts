import type { OwnershipCell, OwnershipChange } from '../../domain/ownership.js';
import { cellKey, checkAssignment, emptyCell } from '../../domain/rules/ownership.js';
import { conflict, invalid } from '../errors.js';
import type { AssignCellRequest, DepartureRequest, OwnershipMatrixInput, OwnershipMatrixView } from './messages.js';

const RECENT_CHANGES_KEPT = 100;

/** The matrix of one capability: region × area → owner, backup, escalation chain, with a rising version. */
export class OwnershipMatrix {
  readonly capability: string;
  version: number;
  readonly cells: Record<string, OwnershipCell>;
  readonly recentChanges: OwnershipChange[];

  constructor(input: OwnershipMatrixInput) {
    this.capability = input.capability;
    this.version = input.version ?? 0;
    this.cells = input.cells ?? {};
    this.recentChanges = input.recentChanges ?? [];
  }

  validateAssign(request: AssignCellRequest): void {
    const { expectedVersion } = request.assignment;
    if (expectedVersion !== undefined && expectedVersion !== this.version) {
      throw conflict(`The matrix is at version ${this.version}, not ${expectedVersion}; reload it and try again.`, {
        currentVersion: this.version,
      });
    }
    const violations = checkAssignment(request.assignment, request.people);
    if (violations.length) throw invalid(violations.map((v) => `${v.path}: ${v.message}`).join('; '), violations);
  }

  assign(request: AssignCellRequest, at: string): OwnershipChange {
    this.validateAssign(request);
    const key = cellKey(request.region, request.area);
    const before = this.cells[key] ?? emptyCell();
    const { owner, backup, escalation, reason } = request.assignment;
    const after: OwnershipCell = { owner, backup, escalation, updatedAt: at, updatedBy: request.actor };
    this.cells[key] = after;
    this.version += 1;
    const change = { version: this.version, at, actor: request.actor, region: request.region, area: request.area, before, after, reason } as OwnershipChange;
    this.remember(change);
    return change;
  }

  /**
   * A person leaves: each cell they own passes to its backup (whose slot is then empty), or becomes
   * unowned; they leave every backup slot and escalation chain. Applying it twice changes nothing.
   */
  depart(request: DepartureRequest, at: string): OwnershipChange[] {
    const changes: OwnershipChange[] = [];
    for (const [key, before] of Object.entries(this.cells)) {
      const { person } = request;
      if (before.owner !== person && before.backup !== person && !before.escalation.includes(person)) continue;
      const backupCanTakeOver = before.backup !== null && before.backup !== person && request.people[before.backup]?.status !== 'departed';
      const after: OwnershipCell = {
        owner: before.owner === person ? (backupCanTakeOver ? before.backup : null) : before.owner,
        backup: before.owner === person || before.backup === person ? null : before.backup,
        escalation: before.escalation.filter((id) => id !== person),
        updatedAt: at,
        updatedBy: request.actor,
      };
      this.cells[key] = after;
      this.version += 1;
      const [region, area] = key.split('/') as [string, string];
      const change = { version: this.version, at, actor: request.actor, region, area, before, after, reason: request.reason } as OwnershipChange;
      this.remember(change);
      changes.push(change);
    }
    return changes;
  }

  private remember(change: OwnershipChange): void {
    this.recentChanges.push(change);
    if (this.recentChanges.length > RECENT_CHANGES_KEPT) this.recentChanges.splice(0, this.recentChanges.length - RECENT_CHANGES_KEPT);
  }

  view(): OwnershipMatrixView {
    return { capability: this.capability, version: this.version, cells: this.cells };
  }

  carryOver(continueAsNewAfter?: number): OwnershipMatrixInput {
    return { capability: this.capability, version: this.version, cells: this.cells, recentChanges: this.recentChanges, continueAsNewAfter };
  }
}
