import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPilotLeaves, type ScenarioSummary } from '../../scripts/pilot-leaves/scenario.js';
import { startStack, type Stack } from '../stack.js';

let stack: Stack;
let summary: ScenarioSummary;
beforeAll(async () => {
  // Sweeps check on their moves at least every second, not after a back-off that doubles to a minute.
  stack = await startStack({ env: { GAP_MAX_OPEN_PER_OWNER: '100', DEPARTURE_WAIT_MAX_MS: '1000' } });
  summary = await runPilotLeaves({ url: stack.url, token: (sub, ...roles) => stack.token(sub, ...(roles as never[])) });
}, 180_000);
afterAll(async () => stack?.close());

describe('the pilot team leaves (end to end)', () => {
  it('raises 200 exceptions and records the claims', () => {
    expect(summary).toMatchObject({ raised: 200, claimedByPilot: 10, claimedByOperators: 20 });
  });

  it('sweeps each departure: cells to backups, open work moved, pilot claims released', () => {
    // A sweep judges the cells it changed by the audit's own rule: priya leaving model-retraining's chain
    // (and marco leaving its ownership) leaves escalation[1], which the medium policy names, unfilled.
    expect(summary.sweeps).toEqual([
      { person: 'priya', moves: 60, claimsReleased: 10, matrixChanges: 2, gaps: 2 },
      { person: 'marco', moves: 50, claimsReleased: 0, matrixChanges: 1, gaps: 2 },
      { person: 'jordan', moves: 50, claimsReleased: 0, matrixChanges: 1, gaps: 1 },
      { person: 'sofia', moves: 50, claimsReleased: 0, matrixChanges: 1, gaps: 1 },
    ]);
  });

  it('audits exactly the gaps the departures left', () => {
    expect(summary.gapsAfterDeparture).toEqual({ 'no-backup': 3, unowned: 1, 'empty-escalation-step': 1 });
    const where = summary.gapFindingsAfterDeparture.map((f) => `${f.kind}@${f.area}`).sort();
    expect(where).toEqual([
      'empty-escalation-step@model-retraining',
      'no-backup@business-rules',
      'no-backup@exception-queue',
      'no-backup@model-retraining',
      'unowned@adoption-training',
    ]);
    expect(summary.gapFindingsAfterDeparture.every((f) => typeof f.since === 'string' && f.since.length > 0)).toBe(true);
  });

  it('comes back clean once managers fill the gaps', () => {
    expect(summary.gapsAfterFill).toBe(0);
  });

  it('accounts for all 200: none lost, none with a departed person, every escalation reaching someone active', () => {
    expect(summary.final).toEqual({
      total: 200,
      byStatus: { open: 180, claimed: 20 },
      ownedByDeparted: 0,
      unowned: 0,
      escalationUnreachable: 0,
      ownersByArea: {
        'business-rules': { dana: 50 },
        'model-retraining': { amara: 50 },
        'exception-queue': { li: 50 },
        'adoption-training': { hannah: 50 },
      },
    });
  });
});
