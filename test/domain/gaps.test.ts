import { describe, expect, it } from 'vitest';
import { findGaps, type GapInputs } from '../../domain/gaps.js';

const areas = ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training'];
const T0 = '2026-11-01T00:00:00.000Z';

/** A healthy region: every cell with an active owner, backup and a two-person chain. */
function healthy(): GapInputs {
  return {
    rollouts: [{ capability: 'po-assist', region: 'NA', maxChainIndex: 1, since: T0 }],
    cells: areas.map((area, i) => ({ capability: 'po-assist', region: 'NA', area, owner: `o${i}`, backup: `b${i}`, escalation: ['m1', 'm2'], since: T0 })),
    people: Object.fromEntries(['o0', 'o1', 'o2', 'o3', 'b0', 'b1', 'b2', 'b3', 'm1', 'm2'].map((id) => [id, { status: 'active', since: T0 }])),
    openExceptions: [],
    thresholds: { maxCellsPerPerson: 3, maxOpenPerOwner: 2 },
  };
}
const kinds = (input: GapInputs) => findGaps(input).map((f) => `${f.kind}@${f.area ?? f.person}`);

describe('ownership-gap rules', () => {
  it('finds nothing in a healthy matrix', () => {
    expect(findGaps(healthy())).toEqual([]);
  });

  it('unowned: a rolled-out cell with no owner, and never assigned; cleared by assigning', () => {
    const input = healthy();
    input.cells = input.cells.filter((c) => c.area !== 'adoption-training');
    input.cells[0]!.owner = null;
    expect(kinds(input)).toEqual(['unowned@business-rules', 'unowned@adoption-training']);
    expect(findGaps(input).find((f) => f.area === 'adoption-training')!.since).toBe(T0);
    expect(kinds(healthy())).toEqual([]);
  });

  it('owner-inactive and backup-inactive, with since from the status change; cleared on return', () => {
    const input = healthy();
    input.people.o1 = { status: 'on-leave', since: '2026-11-20T10:00:00.000Z' };
    input.people.b2 = { status: 'departed', since: '2026-11-21T10:00:00.000Z' };
    const findings = findGaps(input);
    expect(findings.map((f) => `${f.kind}@${f.area}`)).toEqual(['owner-inactive@model-retraining', 'backup-inactive@exception-queue']);
    expect(findings[0]!.since).toBe('2026-11-20T10:00:00.000Z');
    input.people.o1 = { status: 'active', since: '2026-11-22T10:00:00.000Z' };
    input.people.b2 = { status: 'active', since: '2026-11-22T10:00:00.000Z' };
    expect(findGaps(input)).toEqual([]);
  });

  it('no-backup; cleared by naming one', () => {
    const input = healthy();
    input.cells[3]!.backup = null;
    expect(kinds(input)).toEqual(['no-backup@adoption-training']);
    input.cells[3]!.backup = 'b3';
    expect(kinds(input)).toEqual([]);
  });

  it('empty-escalation-step: the policy names escalation[1] but the chain has one active person; cleared by a second', () => {
    const input = healthy();
    input.cells[2]!.escalation = ['m1'];
    input.cells[1]!.escalation = ['m1', 'ghost'];
    expect(kinds(input)).toEqual(['empty-escalation-step@model-retraining', 'empty-escalation-step@exception-queue']);
    input.cells[2]!.escalation = ['m1', 'm2'];
    input.cells[1]!.escalation = ['m1', 'm2'];
    expect(kinds(input)).toEqual([]);
  });

  it('single-point-of-failure: an owner in their own chain, or one person owning too many cells', () => {
    const input = healthy();
    input.cells[0]!.escalation = ['o0', 'm1'];
    expect(kinds(input)).toEqual(['single-point-of-failure@business-rules']);
    const many = healthy();
    for (const cell of many.cells) cell.owner = 'o0';
    expect(kinds(many)).toEqual(['single-point-of-failure@o0']);
    many.cells[3]!.owner = 'o3';
    expect(kinds(many)).toEqual([]);
  });

  it('overloaded: more open exceptions than the threshold, since the one that tipped it; cleared when one closes', () => {
    const input = healthy();
    input.openExceptions = ['2026-11-03', '2026-11-01', '2026-11-02'].map((day, i) => ({ id: `e${i}`, capability: 'po-assist', region: 'NA', area: 'business-rules', owner: 'o0', createdAt: `${day}T00:00:00.000Z` }));
    const [finding] = findGaps(input);
    expect(finding).toMatchObject({ kind: 'overloaded', person: 'o0', since: '2026-11-03T00:00:00.000Z' });
    input.openExceptions.pop();
    expect(findGaps(input)).toEqual([]);
  });

  it('orphaned-exception: open work owned by someone inactive; cleared when it moves', () => {
    const input = healthy();
    input.people.x = { status: 'departed', since: '2026-11-10T00:00:00.000Z' };
    input.openExceptions = [{ id: 'e1', capability: 'po-assist', region: 'NA', area: 'exception-queue', owner: 'x', createdAt: T0 }];
    expect(findGaps(input)).toEqual([
      expect.objectContaining({ kind: 'orphaned-exception', exceptionId: 'e1', person: 'x', since: '2026-11-10T00:00:00.000Z' }),
    ]);
    input.openExceptions[0]!.owner = 'o2';
    expect(findGaps(input)).toEqual([]);
  });
});
