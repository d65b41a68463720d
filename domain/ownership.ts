import { z } from 'zod';
import { ResponsibilityArea } from './capability.js';
import { PersonId } from './people.js';
import { Region } from './rollout.js';

export { cellKey, checkAssignment, emptyCell, type PeopleSnapshot } from './rules/ownership.js';

export const CellAssignment = z.strictObject({
  owner: PersonId,
  backup: PersonId.nullable().default(null),
  escalation: z.array(PersonId).max(10).default([]),
  reason: z.string().trim().min(1, 'say why').max(1000),
  expectedVersion: z.number().int().min(0).optional(),
});
export type CellAssignment = z.infer<typeof CellAssignment>;

export const OwnershipCell = z.object({
  owner: PersonId.nullable(),
  backup: PersonId.nullable(),
  escalation: z.array(PersonId),
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
});
export type OwnershipCell = z.infer<typeof OwnershipCell>;

export const OwnershipChange = z.object({
  version: z.number().int(),
  at: z.string(),
  actor: z.string(),
  region: Region,
  area: ResponsibilityArea,
  before: OwnershipCell,
  after: OwnershipCell,
  reason: z.string(),
});
export type OwnershipChange = z.infer<typeof OwnershipChange>;
