import { describe, expect, it } from 'vitest';
import { ChainLintKind, lintChains, type ChainLintInput, type LintCell, type LintPerson } from '../../domain/rules/chain-lint.js';
import { findGapsIn, GapKind } from '../../domain/rules/gaps.js';

/** The escalation-chain lint, kind by kind, over one cell and the shipped template's policy shapes. */
const active = (managerId: string | null = 'mia'): LintPerson => ({ status: 'active', managerId });
const directory: Record<string, LintPerson> = {
  olu: active('mia'),
  bea: active('mia'),
  cho: active('mia'),
  dev: active('mia'),
  mia: active(null),
  away: { status: 'on-leave', managerId: 'mia' },
  gone: { status: 'departed', managerId: 'mia' },
  mute: { status: 'active', managerId: 'mia', unreachable: true },
  orphan: active(null),
  // A loop the directory's own check would refuse, but a projection or an import can still hold.
  loopa: active('loopb'),
  loopb: active('loopa'),
};
const healthyCell: LintCell = { owner: 'olu', backup: 'bea', escalation: ['cho', 'dev'] };
/** The shapes of po-assist's policies: owner first, backup, the chain, the owner's manager. */
const policies = [
  { severity: 'critical', steps: ['owner', 'backup', 'escalation[0]', 'manager-of-owner'] },
  { severity: 'medium', steps: ['owner', 'backup', 'escalation[0]', 'escalation[1]'] },
];

const lint = (cell: Partial<LintCell> | null, people: Record<string, LintPerson> = directory, pol = policies) => {
  const input: ChainLintInput = { capability: 'po', regions: [{ region: 'NA', policies: pol }], cells: cell ? { 'NA/rules': { ...healthyCell, ...cell } } : {}, people };
  return lintChains(input, ['rules']);
};
const label = (f: { kind: string; person?: string }) => (f.person ? `${f.kind}:${f.person}` : f.kind);

const cases: Array<{ name: string; cell: Partial<LintCell> | null; people?: Record<string, LintPerson>; policies?: typeof policies; found: string[]; detail?: RegExp }> = [
  { name: 'a healthy cell has no finding', cell: {}, found: [] },
  { name: 'an unowned cell is left to the gap audit (unowned)', cell: { owner: null }, found: [] },
  { name: 'a cell never assigned is not linted', cell: null, found: [] },
  { name: 'a backup step with no backup resolves to nobody', cell: { backup: null }, found: ['chain-step-unresolved'], detail: /backup \(critical step 2, medium step 2\) resolves to nobody: the cell has no backup/ },
  { name: 'manager-of-owner for an owner without a manager resolves to nobody', cell: { owner: 'orphan' }, found: ['chain-step-unresolved'], detail: /orphan has no manager/ },
  { name: 'a step naming someone the directory does not know', cell: { escalation: ['ghost', 'dev'] }, found: ['chain-step-unresolved:ghost'], detail: /ghost, whom the directory does not know/ },
  { name: 'a departed person in the chain', cell: { escalation: ['gone', 'dev'] }, found: ['chain-step-inactive:gone'], detail: /reaches gone, who is departed/ },
  { name: 'an inactive (on leave) backup', cell: { backup: 'away' }, found: ['chain-step-inactive:away'], detail: /who is on-leave/ },
  { name: 'an unreachable person in the chain', cell: { escalation: ['cho', 'mute'] }, found: ['unreachable-owner:mute'], detail: /escalation\[1\] \(medium step 4\) reaches mute, who is marked unreachable/ },
  {
    name: 'the same person at every step',
    cell: { owner: 'olu', backup: 'olu', escalation: ['olu'] },
    policies: [{ severity: 'high', steps: ['backup', 'escalation[0]'] }],
    found: ['chain-same-person:olu'],
    detail: /every step of the high policy reaches olu/,
  },
  { name: 'one step is not "every step"', cell: {}, policies: [{ severity: 'low', steps: ['owner'] }], found: [] },
  { name: 'a cycle in manager-of-owner', cell: { owner: 'loopa' }, found: ['manager-cycle:loopa'], detail: /loopa → loopb → loopa/ },
  { name: 'a cycle only matters where a policy names manager-of-owner', cell: { owner: 'loopa' }, policies: [policies[1]!], found: [] },
  { name: 'a chain shorter than the policy needs', cell: { escalation: ['cho'] }, found: ['chain-too-short'], detail: /names 1 person, but the medium policy need 2/ },
  {
    name: 'several at once, each once, whichever policies share the step',
    cell: { backup: null, escalation: ['gone'] },
    found: ['chain-step-unresolved', 'chain-step-inactive:gone', 'chain-too-short'],
  },
];

describe('escalation-chain lint', () => {
  it.each(cases)('$name', (c) => {
    const found = lint(c.cell, c.people, c.policies);
    expect(found.map(label)).toEqual(c.found);
    if (c.detail) expect(found[0]!.detail).toMatch(c.detail);
    for (const f of found) expect(f).toMatchObject({ capability: 'po', region: 'NA', area: 'rules', key: expect.stringContaining('NA/rules/') });
  });

  it('covers every lint kind in the table above', () => {
    const seen = new Set(cases.flatMap((c) => c.found.map((f) => f.split(':')[0])));
    expect([...ChainLintKind].filter((k) => !seen.has(k))).toEqual([]);
  });

  it('keeps the same key for the same finding across runs, so its since survives', () => {
    expect(lint({ backup: null }).map((f) => f.key)).toEqual(lint({ backup: null }).map((f) => f.key));
  });

  it('each lint kind is a gap kind, and stored findings show in the gap audit for rolled-out regions only', () => {
    for (const kind of ChainLintKind) expect(GapKind).toContain(kind);
    const finding = { capability: 'po', region: 'NA', area: 'rules', kind: 'chain-too-short' as const, detail: 'd', since: 't0' };
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
