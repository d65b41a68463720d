import { describe, expect, it } from 'vitest';
import { cellGaps, findGapsIn, GapKind, type GapCell } from '../../domain/rules/gaps.js';

/** The one gap rule for a cell, as the gap audit and the departure sweep both apply it. */
const statuses: Record<string, string> = { olu: 'active', bea: 'active', cho: 'active', dev: 'active', away: 'on-leave', gone: 'departed' };
const status = (id: string) => statuses[id] ?? 'unknown';
const cell = (over: Partial<GapCell> = {}): GapCell => ({ owner: 'olu', backup: 'bea', escalation: ['cho', 'dev'], ...over });

const cases: Array<{ name: string; cell: GapCell | undefined; maxChainIndex?: number; gaps: string[] }> = [
  { name: 'a healthy cell has no gap', cell: cell(), gaps: [] },
  { name: 'a cell never assigned is unowned, and nothing else', cell: undefined, gaps: ['unowned'] },
  { name: 'a cell without an owner is unowned, whatever else it names', cell: cell({ owner: null, backup: 'gone', escalation: [] }), gaps: ['unowned'] },
  { name: 'an owner on leave', cell: cell({ owner: 'away' }), gaps: ['owner-inactive:away'] },
  { name: 'an owner the directory does not know', cell: cell({ owner: 'ghost' }), gaps: ['owner-inactive:ghost'] },
  { name: 'no backup', cell: cell({ backup: null }), gaps: ['no-backup'] },
  { name: 'a departed backup', cell: cell({ backup: 'gone' }), gaps: ['backup-inactive:gone'] },
  { name: 'an empty chain when the policy names escalation[0]', cell: cell({ escalation: [] }), maxChainIndex: 0, gaps: ['empty-escalation-step'] },
  { name: 'an empty chain when no policy names it', cell: cell({ escalation: [] }), maxChainIndex: -1, gaps: [] },
  {
    name: 'one missing step per index the policy names that nobody active fills',
    cell: cell({ escalation: ['cho', 'gone'] }),
    maxChainIndex: 2,
    gaps: ['empty-escalation-step', 'empty-escalation-step'],
  },
  { name: 'an owner in their own chain', cell: cell({ escalation: ['olu', 'cho'] }), gaps: ['single-point-of-failure:olu'] },
  { name: 'a chain that is only the backup', cell: cell({ escalation: ['bea'] }), maxChainIndex: 0, gaps: ['single-point-of-failure:olu'] },
  {
    name: 'the worst cell: every cell-level kind at once, in a stable order',
    cell: cell({ owner: 'away', backup: 'gone', escalation: ['away'] }),
    maxChainIndex: 0,
    gaps: ['owner-inactive:away', 'backup-inactive:gone', 'empty-escalation-step', 'single-point-of-failure:away'],
  },
];

describe('the gap rule for one cell', () => {
  it.each(cases)('$name', (c) => {
    const found = cellGaps(c.cell, status, c.maxChainIndex ?? 1);
    expect(found.map((g) => (g.person ? `${g.kind}:${g.person}` : g.kind))).toEqual(c.gaps);
    for (const gap of found) expect(gap.detail).not.toBe('');
  });

  it('the audit reports exactly the cell rule for every area of a region, plus the nine kinds overall (unreachable-owner: test/domain/mail.test.ts)', () => {
    const audit = findGapsIn(
      {
        rollouts: [{ capability: 'po', region: 'NA', maxChainIndex: 0, since: 't0' }],
        cells: cases.flatMap((c, i) => (c.cell ? [{ capability: 'po', region: 'NA', area: `a${i}`, ...c.cell, since: 't1' }] : [])),
        people: Object.fromEntries(Object.entries(statuses).map(([id, s]) => [id, { status: s, since: 't0' }])),
        openExceptions: [],
        thresholds: { maxCellsPerPerson: 100, maxOpenPerOwner: 100 },
      },
      cases.map((_, i) => `a${i}`),
    );
    cases.forEach((c, i) => {
      const expected = cellGaps(c.cell, status, 0).map((g) => g.kind);
      expect(audit.filter((f) => f.area === `a${i}`).map((f) => f.kind), c.name).toEqual(expected);
    });
    expect(GapKind).toHaveLength(14);
  });
});
