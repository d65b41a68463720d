import { describe, expect, it } from 'vitest';
import { ChainLintKind, lintChains, type ChainLintInput, type LintCell, type LintPerson } from '../../domain/rules/chain-lint.js';
import { cellGaps, findGapsIn, GapKind } from '../../domain/rules/gaps.js';

/** The escalation-chain lint, kind by kind, over one cell and the shipped template's policy shapes. */
const person = (managerId: string | null = 'mia', status = 'active', unreachable = false): LintPerson => ({ status, managerId, unreachable });
const directory: Record<string, LintPerson> = {
  olu: person(),
  bea: person(),
  cho: person(),
  dev: person(),
  mia: person(null),
  away: person('mia', 'on-leave'),
  gone: person('mia', 'departed'),
  mute: person('mia', 'active', true),
  orphan: person(null),
  lost: person('ghost'),
  underling: person('gone'),
  junior: person('away'),
  sub: person('cho'),
  stranded: person(null, 'on-leave'),
  // A loop the directory's own check would refuse, but a projection or an import can still hold.
  loopa: person('loopb'),
  loopb: person('loopa'),
};
const healthyCell: LintCell = { owner: 'olu', backup: 'bea', escalation: ['cho', 'dev'] };
/** The shapes of po-assist's policies: owner first, backup, the chain, the owner's manager. */
const policies = [
  { severity: 'critical', steps: ['owner', 'backup', 'escalation[0]', 'manager-of-owner'] },
  { severity: 'medium', steps: ['owner', 'backup', 'escalation[0]', 'escalation[1]'] },
];

const lint = (cell: Partial<LintCell> | null, pol = policies) => {
  const input: ChainLintInput = { capability: 'po', regions: [{ region: 'NA', policies: pol }], cells: cell ? { 'NA/rules': { ...healthyCell, ...cell } } : {}, people: directory };
  return lintChains(input, ['rules']);
};
const label = (f: { kind: string; person?: string }) => (f.person ? `${f.kind}:${f.person}` : f.kind);
const status = (id: string) => directory[id]?.status ?? 'unknown';

const cases: Array<{ name: string; cell: Partial<LintCell> | null; policies?: typeof policies; found: string[]; detail?: RegExp; cellRule?: string[] }> = [
  { name: 'a healthy cell has no finding', cell: {}, found: [] },
  { name: 'an unowned cell is left to the cell rule (unowned)', cell: { owner: null }, found: [], cellRule: ['unowned'] },
  { name: 'a cell never assigned is not linted', cell: null, found: [] },
  { name: 'manager-of-owner for an owner without a manager', cell: { owner: 'orphan' }, found: ['chain-step-unresolved'], detail: /manager-of-owner \(critical step 4\): orphan has no manager in the directory; it falls back to dev/ },
  { name: 'manager-of-owner naming someone the directory does not know', cell: { owner: 'lost' }, found: ['chain-step-unresolved:ghost'], detail: /names ghost, whom the directory does not know/ },
  { name: 'manager-of-owner reaching a departed manager', cell: { owner: 'underling' }, found: ['chain-step-inactive:gone'], detail: /reaches gone, who is departed; it falls back to dev/ },
  { name: 'manager-of-owner reaching a manager on leave', cell: { owner: 'junior' }, found: ['chain-step-inactive:away'], detail: /who is on-leave/ },
  {
    name: 'steps that reach nobody: no active owner, backup, chain or manager',
    cell: { owner: 'stranded', backup: null, escalation: [] },
    found: ['chain-step-unresolved', 'chain-step-unresolved'],
    detail: /critical step 1, critical step 2, critical step 3, critical step 4, medium step 1, .* reach nobody/,
    cellRule: ['owner-inactive', 'no-backup', 'empty-escalation-step', 'empty-escalation-step'],
  },
  { name: 'an unreachable person in the chain', cell: { escalation: ['cho', 'mute'] }, found: ['unreachable-owner:mute'], detail: /escalation\[1\] \(medium step 4\) reaches mute, who is marked unreachable/ },
  { name: 'an unreachable backup, at every step that reaches them', cell: { backup: 'mute' }, found: ['unreachable-owner:mute'], detail: /backup \(critical step 2, medium step 2\) reaches mute/ },
  // The cell's own owner unreachable is the cell rule's unreachable-owner (the e-mail work's), not repeated here.
  { name: 'an unreachable owner is left to the cell rule', cell: { owner: 'mute' }, found: [] },
  {
    name: 'the same person at every step',
    cell: { owner: 'sub', backup: 'cho', escalation: ['cho'] },
    policies: [{ severity: 'high', steps: ['backup', 'escalation[0]', 'manager-of-owner'] }],
    found: ['chain-same-person:cho'],
    detail: /every step of the high policy reaches cho/,
  },
  { name: 'one step is not "every step"', cell: {}, policies: [{ severity: 'low', steps: ['owner'] }], found: [] },
  { name: 'a cycle in manager-of-owner', cell: { owner: 'loopa' }, found: ['manager-cycle:loopa'], detail: /loopa → loopb → loopa/ },
  { name: 'a cycle only matters where a policy names manager-of-owner', cell: { owner: 'loopa' }, policies: [policies[1]!], found: [] },
  // What the cell rule reports already is not counted twice.
  { name: 'a chain shorter than the policy is the cell rule’s empty-escalation-step', cell: { escalation: ['cho'] }, found: [], cellRule: ['empty-escalation-step'] },
  { name: 'a departed person in the chain is an empty step of the cell rule', cell: { escalation: ['gone', 'dev'] }, found: [], cellRule: ['empty-escalation-step'] },
  { name: 'no backup is the cell rule’s no-backup', cell: { backup: null }, found: [], cellRule: ['no-backup'] },
  { name: 'an owner on leave is the cell rule’s owner-inactive', cell: { owner: 'away' }, found: [], cellRule: ['owner-inactive'] },
];

describe('escalation-chain lint', () => {
  it.each(cases)('$name', (c) => {
    const found = lint(c.cell, c.policies);
    expect(found.map(label)).toEqual(c.found);
    if (c.detail) expect(found.map((f) => f.detail).join('\n')).toMatch(c.detail);
    for (const f of found) expect(f).toMatchObject({ capability: 'po', region: 'NA', area: 'rules', key: expect.stringContaining('NA/rules/') });
    if (c.cellRule) expect(cellGaps(c.cell ? { ...healthyCell, ...c.cell, escalation: [...(c.cell.escalation ?? healthyCell.escalation)] } : undefined, status, 1).map((g) => g.kind)).toEqual(c.cellRule);
  });

  it('covers every lint kind in the table above', () => {
    const seen = new Set(cases.flatMap((c) => c.found.map((f) => f.split(':')[0])));
    expect([...ChainLintKind].filter((k) => !seen.has(k))).toEqual([]);
  });

  it('keeps the same key for the same finding across runs, so its since survives', () => {
    expect(lint({ owner: 'orphan' }).map((f) => f.key)).toEqual(lint({ owner: 'orphan' }).map((f) => f.key));
  });

  it('each lint kind is a gap kind, and stored findings show in the gap audit for rolled-out regions only', () => {
    for (const kind of ChainLintKind) expect(GapKind).toContain(kind);
    const finding = { capability: 'po', region: 'NA', area: 'rules', kind: 'manager-cycle' as const, detail: 'd', since: 't0' };
    const audit = (regions: string[]) =>
      findGapsIn(
        {
          rollouts: regions.map((region) => ({ capability: 'po', region, maxChainIndex: -1, since: 't0' })),
          cells: regions.map((region) => ({ capability: 'po', region, area: 'rules', owner: 'olu', backup: 'bea', escalation: [], since: 't0' })),
          people: { olu: { status: 'active', since: 't0' }, bea: { status: 'active', since: 't0' } },
          openExceptions: [],
          thresholds: { maxCellsPerPerson: 9, maxOpenPerOwner: 9 },
          chainLint: [finding],
        },
        ['rules'],
      );
    expect(audit(['NA'])).toEqual([finding]);
    expect(audit(['EMEA'])).toEqual([]);
  });
});
