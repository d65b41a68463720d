import { defineQuery } from '@temporalio/workflow';
import type { OwnershipChange } from '../../domain/ownership.js';

/** One sweep per person and kind: asking twice returns the first sweep. */
export const departureWorkflowId = (person: string) => `departure:${person}`;

export interface DepartureInput {
  person: string;
  actor: string;
  reason: string;
  effectiveAt: string;
}

export interface Move {
  exceptionId: string;
  fromOwner: string | null;
  toOwner: string | null;
  claimReleased: boolean;
}

export interface Gap {
  capability: string;
  region: string;
  area: string;
  kind: 'unowned' | 'no-backup' | 'empty-escalation-step';
  detail: string;
}

export interface DepartureResult {
  person: string;
  actor: string;
  reason: string;
  stage: 'marking' | 'matrix' | 'moving' | 'done';
  matrixChanges: Array<OwnershipChange & { capability: string }>;
  moves: Move[];
  gaps: Gap[];
  startedAt: string;
  completedAt: string | null;
}

export const getDepartureProgress = defineQuery<DepartureResult>('getDepartureProgress');
