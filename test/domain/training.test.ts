import { describe, expect, it } from 'vitest';
import { requiredMaterials, trainingStatus, type Material } from '../../domain/rules/training.js';

/** domain/rules/training.ts: what a person's roles require, and what a region's page counts. */
const materials: Material[] = [
  { id: 'basics', requiredFor: ['operator', 'owner'] },
  { id: 'procedures', requiredFor: ['operator'] },
  { id: 'ownership', requiredFor: ['owner', 'manager'] },
  { id: 'optional', requiredFor: [] },
];

describe('training per person', () => {
  it.each([
    { roles: ['operator'], required: ['basics', 'procedures'] },
    { roles: ['owner'], required: ['basics', 'ownership'] },
    { roles: ['manager'], required: ['ownership'] },
    { roles: ['operator', 'owner'], required: ['basics', 'procedures', 'ownership'] },
    { roles: ['admin'], required: [] },
    { roles: [], required: [] },
  ])('requires $required of someone with roles $roles', ({ roles, required }) => {
    expect(requiredMaterials(materials, roles)).toEqual(required);
  });

  it('counts only required completions, names what is missing, and totals the region', () => {
    const status = trainingStatus(
      materials,
      [
        { person: 'olivia', roles: ['operator'], because: ['works the queue'] },
        { person: 'priya', roles: ['owner'], because: ['owns business-rules'] },
        { person: 'root', roles: ['admin'], because: ['escalation of exception-queue'] },
      ],
      [
        { person: 'olivia', material: 'basics', at: 1 },
        { person: 'olivia', material: 'optional', at: 2 },
        { person: 'priya', material: 'basics', at: 3 },
        { person: 'priya', material: 'ownership', at: 4 },
        { person: 'grace', material: 'ownership', at: 5 },
      ],
    );
    expect(status.people.map((p) => [p.person, p.completed.map((c) => c.material), p.missing])).toEqual([
      ['olivia', ['basics'], ['procedures']],
      ['priya', ['basics', 'ownership'], []],
      ['root', [], []],
    ]);
    expect(status.totals).toEqual({ people: 3, fullyTrained: 2, required: 4, completed: 3, share: 0.75 });
  });

  it('calls a region with nothing required fully trained', () => {
    expect(trainingStatus([], [{ person: 'li', roles: ['operator'], because: [] }], []).totals).toMatchObject({ fullyTrained: 1, share: 1 });
  });
});
