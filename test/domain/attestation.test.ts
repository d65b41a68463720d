import { describe, expect, it } from 'vitest';
import { answerRefusal, unattestedCells, type AttestationOutcome } from '../../domain/rules/attestation.js';
import { parseAttestationSchedule } from '../../config/index.js';
import { AttestationCampaign } from '../../workflows/attestation/campaign.js';

/** The attestation rules the campaign workflow, the ledger and the gap audit share; no server. */
const requests = { 'NA/rules/olu': { state: 'pending' as const }, 'NA/rules/bea': { state: 'confirmed' as const } };
const answer = (over: Partial<Parameters<typeof answerRefusal>[1]> = {}) => ({ region: 'NA', area: 'rules', person: 'olu', answer: 'confirm' as const, ...over });

describe('who may answer', () => {
  it.each([
    ['the person asked, while the campaign runs', { open: true }, answer(), null],
    ['a closed campaign', { open: false }, answer(), 'Conflict'],
    ['someone not asked about the cell', { open: true }, answer({ person: 'mallory' }), 'Forbidden'],
    ['a second answer', { open: true }, answer({ person: 'bea' }), 'Conflict'],
    ['a decline without a reason', { open: true }, answer({ answer: 'decline', reason: ' ' }), 'Invalid'],
    ['a decline with one', { open: true }, answer({ answer: 'decline', reason: 'moved teams' }), null],
  ] as const)('%s', (_name, campaign, a, refusal) => {
    expect(answerRefusal({ ...campaign, requests }, a)?.type ?? null).toBe(refusal);
  });
});

describe('unattested cells', () => {
  const outcome = (over: Partial<AttestationOutcome>): AttestationOutcome => ({ capability: 'po', region: 'NA', area: 'rules', person: 'olu', role: 'owner', state: 'expired', reason: null, at: 't1', campaignId: 'c1', ...over });
  const cell = { owner: 'olu', backup: 'bea' };
  it.each([
    ['expired, still the owner', outcome({}), cell, ['olu']],
    ['declined, still the backup', outcome({ person: 'bea', role: 'backup', state: 'declined', reason: 'moved' }), cell, ['bea']],
    ['confirmed', outcome({ state: 'confirmed' }), cell, []],
    ['expired, but reassigned since', outcome({}), { owner: 'dev', backup: 'bea' }, []],
    ['expired as owner, now only the backup', outcome({}), { owner: 'dev', backup: 'olu' }, []],
    ['cancelled', outcome({ state: 'cancelled' }), cell, []],
  ] as const)('%s', (_name, o, current, people) => {
    expect(unattestedCells([o], () => current).map((g) => g.person)).toEqual(people);
  });
});

describe('the campaign state', () => {
  const input = { campaignId: 'attestation:po:1', capability: 'po', regions: ['NA'], startedBy: 'mia', withinMs: 10_000, remindBeforeMs: 4_000 };
  const opened = () => {
    const c = new AttestationCampaign(input, 1_000);
    c.open([
      { region: 'NA', area: 'rules', person: 'olu', role: 'owner' },
      { region: 'NA', area: 'rules', person: 'bea', role: 'backup' },
    ]);
    return c;
  };

  it('reminds before the deadline, then wakes at the deadline', () => {
    const c = opened();
    expect([c.deadline, c.remindAt, c.nextWake()]).toEqual([11_000, 7_000, 7_000]);
    c.reminded = true;
    expect(c.nextWake()).toBe(11_000);
  });

  it('refuses before it has asked anyone, and after it closes, without changing', () => {
    expect(() => new AttestationCampaign(input, 0).validateAnswer(answer())).toThrow(/still opening/);
    const c = opened();
    c.closing = true;
    expect(() => c.answer(answer())).toThrow(/closed/);
    expect(c.version).toBe(0);
  });

  it('counts answers, settles when everyone answered, and carries over continue-as-new bounded', () => {
    const c = opened();
    expect(c.answer(answer()).version).toBe(1);
    expect(c.settled()).toBe(false);
    c.answer(answer({ person: 'bea', answer: 'decline', reason: 'moved' }));
    expect(c.settled()).toBe(true);
    expect(c.progress().counts).toEqual({ asked: 2, pending: 0, confirmed: 1, declined: 1, expired: 0, cancelled: 0 });
    const next = new AttestationCampaign({ ...input, carried: c.carryOver() }, 99_999);
    expect([next.deadline, next.version, next.opened]).toEqual([11_000, 2, true]);
  });

  it('expires what is pending when it closes at the deadline; a cancel is refused twice', () => {
    const c = opened();
    c.closed = 'completed';
    expect(c.progress().counts).toMatchObject({ pending: 0, expired: 2 });
    const d = opened();
    d.cancel({ actor: 'mia', reason: 'wrong quarter' });
    expect(d.settled()).toBe(true);
    expect(() => d.cancel({ actor: 'mia', reason: 'again' })).toThrow(/nothing to cancel/);
  });

  it('takes a cancel while still opening (a scheduled campaign shows in the ledger a moment before)', () => {
    const c = new AttestationCampaign(input, 0);
    c.cancel({ actor: 'mia', reason: 'wrong quarter' });
    expect(c.settled()).toBe(true);
  });
});

describe('ATTESTATION_SCHEDULE', () => {
  it.each([
    ['', []],
    ['po-assist', [{ capability: 'po-assist', within: '14d', remindBefore: '3d' }]],
    ['po-assist=30d/7d, po-other', [{ capability: 'po-assist', within: '30d', remindBefore: '7d' }, { capability: 'po-other', within: '14d', remindBefore: '3d' }]],
  ])('takes %j', (text, entries) => {
    expect(parseAttestationSchedule(text)).toEqual(entries);
  });

  it.each([
    ['PO Assist', /is not capability/],
    ['po-assist=14d', /is not capability/],
    ['po-assist=120d/3d', /at most 90d/],
    ['po-assist=3d/3d', /must be shorter than 3d/],
    ['po-assist, po-assist=30d/7d', /named twice/],
  ])('refuses %j, saying why', (text, why) => {
    expect(parseAttestationSchedule(text)).toEqual({ error: expect.stringMatching(why) });
  });
});
