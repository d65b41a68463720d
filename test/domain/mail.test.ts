import { describe, expect, it } from 'vitest';
import { findGaps, type GapInputs } from '../../domain/gaps.js';
import { deliveryOf, effectivePreferences, formatDeadline, isPermanentRefusal, mailKindOf, MailKind, nextDigestAt } from '../../domain/rules/mail.js';
import { messageIdFor } from '../../platform/mailer.js';
import { renderDigest, renderMail } from '../../worker/mail-message.js';
import type { MailBody } from '../../ledger/mail.js';

describe('who gets an e-mail, and when', () => {
  it.each([
    // prefs, kind, severity → delivery
    [{}, 'assignment', 'low', 'now'],
    [{ assignment: 'digest' }, 'assignment', 'high', 'digest'],
    [{ assignment: 'inbox' }, 'assignment', 'critical', 'inbox'],
    [{ escalation: 'inbox' }, 'escalation', 'high', 'inbox'],
    [{ escalation: 'digest' }, 'escalation', 'medium', 'digest'],
    // a critical exception's escalation always goes now, whatever the choice
    [{ escalation: 'inbox' }, 'escalation', 'critical', 'now'],
    [{ escalation: 'digest' }, 'escalation', 'critical', 'now'],
    [{ moved: 'digest' }, 'moved', 'critical', 'digest'],
    [{ reassignment: 'inbox' }, 'reassignment', 'low', 'inbox'],
  ] as const)('%j %s %s → %s', (prefs, kind, severity, expected) => {
    expect(deliveryOf(prefs, kind, severity)).toBe(expected);
  });

  it('names the kind a person chooses for; an assignment after an owner change is a move; other notices stay in the inbox', () => {
    const surfaced = [{ seq: 1, action: 'surfaced' }];
    expect(mailKindOf({ kind: 'assigned', seq: 1 }, surfaced)).toBe('assignment');
    expect(mailKindOf({ kind: 'assigned', seq: 7 }, [{ seq: 7, action: 'owner-changed' }])).toBe('moved');
    expect(mailKindOf({ kind: 'assigned', seq: 8 }, [{ seq: 7, action: 'owner-changed' }])).toBe('assignment');
    expect(mailKindOf({ kind: 'escalated', seq: 3 }, [])).toBe('escalation');
    expect(mailKindOf({ kind: 'reassigned', seq: 3 }, [])).toBe('reassignment');
    expect(mailKindOf({ kind: 'rollout-below-threshold', seq: 1 }, [])).toBeNull();
    expect(effectivePreferences({ escalation: 'digest' })).toEqual(Object.fromEntries(MailKind.map((k) => [k, k === 'escalation' ? 'digest' : 'now'])));
  });

  it.each([
    // now, zone, hour → next digest
    ['2026-12-02T06:59:00Z', 'UTC', 7, '2026-12-02T07:00:00.000Z'],
    ['2026-12-02T07:00:00Z', 'UTC', 7, '2026-12-03T07:00:00.000Z'],
    ['2026-12-02T10:00:00Z', 'Europe/Berlin', 7, '2026-12-03T06:00:00.000Z'],
    ['2026-12-02T05:00:00Z', 'Europe/Berlin', 7, '2026-12-02T06:00:00.000Z'],
    // the night the clocks go forward (Berlin, 29 March 2026): 07:00 CEST is 05:00 UTC
    ['2026-03-28T12:00:00Z', 'Europe/Berlin', 7, '2026-03-29T05:00:00.000Z'],
    // and back (25 October 2026): 07:00 CET is 06:00 UTC
    ['2026-10-24T12:00:00Z', 'Europe/Berlin', 7, '2026-10-25T06:00:00.000Z'],
    ['2026-12-02T20:00:00Z', 'America/New_York', 7, '2026-12-03T12:00:00.000Z'],
    ['2026-12-02T20:00:00Z', 'Asia/Kolkata', 0, '2026-12-03T18:30:00.000Z'], // already 01:30 on the 3rd there,
  ])('%s in %s, digest hour %i → %s', (now, zone, hour, expected) => {
    expect(new Date(nextDigestAt(Date.parse(now), zone, hour)).toISOString()).toBe(expected);
  });

  it('shows the deadline on the reader\'s clock', () => {
    expect(formatDeadline(Date.parse('2026-12-07T09:00:00Z'), 'Europe/Berlin')).toBe('Mon 7 Dec 2026, 10:00 CET');
    expect(formatDeadline(Date.parse('2026-07-07T09:00:00Z'), 'Europe/Berlin')).toBe('Tue 7 Jul 2026, 11:00 CEST');
    expect(formatDeadline(Date.parse('2026-12-07T09:00:00Z'), 'UTC')).toBe('Mon 7 Dec 2026, 09:00 UTC');
  });

  it('counts only a 5xx answer as a permanent refusal', () => {
    expect([550, 554, 500, 450, 421, 250, undefined].map(isPermanentRefusal)).toEqual([true, true, true, false, false, false, false]);
  });
});

describe('the message', () => {
  const body: MailBody = {
    kind: 'escalation',
    exceptionId: 'po-assist:EMEA:pv-1',
    capability: 'po-assist',
    region: 'EMEA',
    title: 'Price variance on PO 4711',
    severity: 'high',
    reason: 'claim-by passed: escalated to the backup',
    level: 1,
    deadline: Date.parse('2026-12-07T09:00:00Z'),
    timeZone: 'Europe/Berlin',
    at: Date.parse('2026-12-04T17:10:00Z'),
    idempotencyKey: 'po-assist:EMEA:pv-1#4#li',
  };

  it('carries the title, why it came, the deadline in the region\'s zone and a link to the console', () => {
    const mail = renderMail(body, 'https://desk.example.com/');
    expect(mail.subject).toBe('Escalated to you (level 1): Price variance on PO 4711');
    expect(mail.text).toContain('Why it came to you: claim-by passed: escalated to the backup');
    expect(mail.text).toContain('Due: Mon 7 Dec 2026, 10:00 CET');
    expect(mail.text).toContain('https://desk.example.com/#/exception/po-assist%3AEMEA%3Apv-1');
    expect(mail.text).toContain('https://desk.example.com/#/notifications');
  });

  it('lists a digest\'s items oldest first under one subject', () => {
    const later = { ...body, kind: 'assignment' as const, title: 'Missing GR', at: body.at + 60_000 };
    const digest = renderDigest([later, body], 'https://desk.example.com');
    expect(digest.subject).toBe('Your exception-desk digest: 2 notifications');
    expect(digest.text.indexOf('Price variance')).toBeLessThan(digest.text.indexOf('Missing GR'));
    expect(digest.text).toContain('2. Assigned to you: Missing GR');
  });

  it('derives the Message-ID from the idempotency key: the same for every attempt, another for another notification', () => {
    const id = messageIdFor(body.idempotencyKey, 'Exception desk <desk@example.com>');
    expect(id).toMatch(/^<[0-9a-f]{40}@example\.com>$/);
    expect(messageIdFor(body.idempotencyKey, 'desk@example.com')).toBe(id);
    expect(messageIdFor('po-assist:EMEA:pv-1#5#li', 'desk@example.com')).not.toBe(id);
  });
});

describe('unreachable owner gap', () => {
  const T0 = '2026-11-01T00:00:00.000Z';
  const input = (unreachable: GapInputs['people'][string]['unreachable'], status = 'active'): GapInputs => ({
    rollouts: [{ capability: 'po-assist', region: 'NA', maxChainIndex: 0, since: T0 }],
    cells: ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training'].map((area) => ({ capability: 'po-assist', region: 'NA', area, owner: area === 'business-rules' ? 'priya' : 'o', backup: 'b', escalation: ['m'], since: T0 })),
    people: { priya: { status, since: T0, unreachable }, o: { status: 'active', since: T0 }, b: { status: 'active', since: T0 }, m: { status: 'active', since: T0 } },
    openExceptions: [],
    thresholds: { maxCellsPerPerson: 6, maxOpenPerOwner: 25 },
  });

  it('reports each cell of an owner whose address was refused for good, since the refusal', () => {
    const findings = findGaps(input({ since: '2026-12-01T10:00:00.000Z', reason: '550 5.1.1 no such user' }));
    expect(findings).toEqual([
      { capability: 'po-assist', region: 'NA', area: 'business-rules', kind: 'unreachable-owner', detail: 'owner priya cannot be reached by e-mail: 550 5.1.1 no such user', person: 'priya', since: '2026-12-01T10:00:00.000Z' },
    ]);
  });

  it('says nothing once a mail got through, nor for an owner who is away (owner-inactive says it)', () => {
    expect(findGaps(input(null))).toEqual([]);
    expect(findGaps(input({ since: T0, reason: '550' }, 'on-leave')).map((f) => f.kind)).toEqual(['owner-inactive']);
  });
});
