import { defineQuery } from '@temporalio/workflow';
import type { OwnershipChange } from '../../domain/ownership.js';
import type { CellGap } from '../../domain/rules/gaps.js';

/** One sweep per person and kind: asking twice returns the first sweep. */
export const departureWorkflowId = (person: string) => `departure:${person}`;

export interface DepartureInput {
  person: string;
  actor: string;
  reason: string;
  effectiveAt: string;
  /** The longest wait between checks on the work the sweep moved (default 1 minute); tests set 0, no wait. */
  waitMaxMs?: number;
  /** Set when the wait continued as new: where the sweep had got to. */
  carried?: CarriedSweep;
}

export interface CarriedSweep {
  result: DepartureResult;
  work: Work[];
  pending: string[];
  waitMs: number;
}

export interface Work {
  id: string;
  owner: string | null;
  claimant: string | null;
}

export interface Move {
  exceptionId: string;
  fromOwner: string | null;
  toOwner: string | null;
  claimReleased: boolean;
}

/** A gap a matrix change left, judged by the one gap rule (domain/rules/gaps.ts). */
export type Gap = CellGap & { capability: string; region: string; area: string };

export interface DepartureResult {
  person: string;
  actor: string;
  reason: string;
  /** `returned`: the person became active again before their work had all moved, so the sweep stopped. */
  stage: 'marking' | 'matrix' | 'moving' | 'done' | 'returned';
  matrixChanges: Array<OwnershipChange & { capability: string }>;
  moves: Move[];
  gaps: Gap[];
  startedAt: string;
  completedAt: string | null;
  /** While moving: the exceptions still with the person, and how often the sweep has looked. */
  pending?: string[];
  checks?: number;
  /** Exceptions the ledger shows with the person whose workflow is gone or closed: nothing will move them. */
  stranded?: string[];
}

export const getDepartureProgress = defineQuery<DepartureResult>('getDepartureProgress');
