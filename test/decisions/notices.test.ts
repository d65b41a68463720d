import { afterAll, beforeAll, expect, it } from 'vitest';
import { inboxEntryView } from '../../api/views.js';
import type { DecisionEvent, DecisionState } from '../../domain/rules/decision.js';
import type { LedgerDb } from '../../ledger/db.js';
import { recordDecision } from '../../ledger/decisions.js';
import { inboxOf } from '../../ledger/exceptions.js';
import type { MailBody } from '../../ledger/mail.js';
import { renderMail } from '../../worker/mail-message.js';
import { startOutbox } from '../../worker/outbox.js';
import type { OutgoingMail } from '../../platform/mailer.js';
import { pino } from 'pino';
import { eachLedger, openTestLedger } from '../ledgers.js';
import { MIN, NOW } from '../ledger/states.js';

const CAP = 'po-notes';
const route = { owner: 'priya', ownerSource: 'owner' as const, backup: 'li', escalation: ['grace'], managerOfOwner: 'grace', matrixVersion: 1 };

/** A decision item's state after `seq` events, in `region` (two items of one region share seqs and people). */
const item = (trigger: string, seq: number, over: Partial<DecisionState> = {}): DecisionState => ({
  id: `decision:${CAP}:NA:${trigger}@${NOW}`,
  workflowId: `decision:${CAP}:NA:${trigger}`,
  capability: CAP,
  region: 'NA',
  area: 'business-rules',
  triggerId: trigger,
  kind: 'repeated-resolution',
  summary: `Resolved the same way again (${trigger})`,
  raisedAt: NOW,
  dueInMs: MIN,
  escalation: [{ afterMs: 0, notify: 'backup' }, { afterMs: MIN, notify: 'manager-of-owner' }],
  status: 'open',
  seq,
  route,
  owner: 'priya',
  dueAt: NOW + MIN,
  escalationLevel: 0,
  recentEscalations: [],
  deferrals: 0,
  deferUntil: null,
  outcome: null,
  updatedAt: NOW,
  ...over,
});
const surfaced: DecisionEvent[] = [
  { seq: 1, at: NOW, actor: 'system', action: 'raised', detail: { summary: 's', dueAt: NOW + MIN } },
  { seq: 2, at: NOW, actor: 'system', action: 'routed', detail: { owner: 'priya', ownerSource: 'owner', matrixVersion: 1 } },
];
const escalated: DecisionEvent[] = [
  { seq: 3, at: NOW + MIN, actor: 'system', action: 'escalated', detail: { to: 'li', step: 1, of: 2, notify: 'backup', dueAt: NOW + MIN } },
  { seq: 4, at: NOW + MIN, actor: 'system', action: 'escalated', detail: { to: 'grace', step: 2, of: 2, notify: 'manager-of-owner', dueAt: NOW + MIN } },
];
const rerouted: DecisionEvent = { seq: 5, at: NOW + 2 * MIN, actor: 'admin', action: 'rerouted', detail: { from: 'priya', to: 'dana', ownerSource: 'backup', reason: 'priya left' } };

/**
 * A decision item's notices, on both ledgers: the routed, rerouted and escalated events reach the person
 * they concern through the inbox (linked to the decision) and, with e-mail on, through the outbox as each
 * person chose, in the same write as the events; a retried write adds nothing.
 */
eachLedger('decision notices in the ledger', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestLedger(kind));
    const person = (id: string, status = 'active', prefs = '{}') => ({ id, name: id, email: `${id}@example.com`, manager_id: null, status, roles: '[]', version: 1, updated_at: new Date(NOW).toISOString(), updated_by: 'root', notify_prefs: prefs });
    await db
      .insertInto('people')
      .values([person('priya'), person('li', 'active', JSON.stringify({ escalation: 'digest' })), person('grace', 'active', JSON.stringify({ escalation: 'inbox' })), person('dana')])
      .execute();
  });
  afterAll(async () => close?.());

  it('writes an inbox entry per routed, escalated and rerouted event for its person, once however often the write is retried', async () => {
    const mail = { digestHour: 7 };
    await recordDecision(db, { state: item('repeats', 2), events: surfaced }, { mail, now: NOW });
    await recordDecision(db, { state: item('repeats', 4, { escalationLevel: 2 }), events: escalated }, { mail, now: NOW + MIN });
    // The activity retried: the same events again.
    await recordDecision(db, { state: item('repeats', 4, { escalationLevel: 2 }), events: escalated }, { mail, now: NOW + MIN });
    await recordDecision(db, { state: item('repeats', 5, { owner: 'dana' }), events: [rerouted] }, { mail, now: NOW + 2 * MIN });
    // A second item of the same region notifies priya at the same seq: its own entry, not a conflict.
    await recordDecision(db, { state: item('other', 2), events: surfaced }, { mail, now: NOW });

    const inbox = await db.selectFrom('inbox').select(['decision_id', 'seq', 'person', 'kind', 'level', 'capability', 'region']).where('decision_id', 'is not', null).orderBy('decision_id').orderBy('seq').execute();
    const repeats = item('repeats', 0).id;
    const other = item('other', 0).id;
    expect(inbox).toEqual([
      { decision_id: other, seq: 2, person: 'priya', kind: 'decision-routed', level: 0, capability: CAP, region: 'NA' },
      { decision_id: repeats, seq: 2, person: 'priya', kind: 'decision-routed', level: 0, capability: CAP, region: 'NA' },
      { decision_id: repeats, seq: 3, person: 'li', kind: 'decision-escalated', level: 1, capability: CAP, region: 'NA' },
      { decision_id: repeats, seq: 4, person: 'grace', kind: 'decision-escalated', level: 2, capability: CAP, region: 'NA' },
      { decision_id: repeats, seq: 5, person: 'dana', kind: 'decision-rerouted', level: 0, capability: CAP, region: 'NA' },
    ]);
  });

  it('shows a decision notice in the inbox titled by the item and linked to the decision, not to an exception', async () => {
    const { rows } = await inboxOf(db, 'grace', undefined, 10);
    expect(rows.map((r) => inboxEntryView(r))).toEqual([
      expect.objectContaining({
        exceptionId: null,
        decisionId: item('repeats', 0).id,
        kind: 'decision-escalated',
        level: 2,
        title: 'Resolved the same way again (repeats)',
        status: 'open',
        owner: 'dana',
        link: `/api/v1/decisions/${encodeURIComponent(item('repeats', 0).id)}`,
        reason: expect.stringMatching(/^A decision for business-rules in NA is past due and escalated to you \(step 2 of 2\)/),
      }),
    ]);
  });

  it('mails each notice as its person chose (assignment, escalation, move), never twice; the mail opens the decision', async () => {
    const rows = await db.selectFrom('outbox').select(['decision_id', 'seq', 'person', 'kind', 'channel', 'target', 'body', 'next_attempt_at']).where('decision_id', 'is not', null).orderBy('decision_id').orderBy('seq').execute();
    // grace chose the inbox for escalations: no mail; li a digest (due at 07:00 UTC, the template-less zone); the rest at once.
    expect(rows.map((r) => [r.decision_id === item('other', 0).id ? 'other' : 'repeats', r.seq, r.person, r.kind, r.channel])).toEqual([
      ['other', 2, 'priya', 'email:assignment', 'email'],
      ['repeats', 2, 'priya', 'email:assignment', 'email'],
      ['repeats', 3, 'li', 'email:escalation', 'digest'],
      ['repeats', 5, 'dana', 'email:moved', 'email'],
    ]);
    expect(rows[2]!.next_attempt_at).toBeGreaterThan(NOW + MIN);
    const body = JSON.parse(rows[3]!.body) as MailBody;
    expect(body).toMatchObject({ kind: 'moved', exceptionId: null, decisionId: item('repeats', 0).id, title: 'Resolved the same way again (repeats)', idempotencyKey: `${item('repeats', 0).id}#5#dana` });
    const mail = renderMail(body, 'https://desk.example.com/');
    expect(mail.subject).toBe('Moved to you: Resolved the same way again (repeats)');
    expect(mail.text).toContain(`https://desk.example.com/#/decision/${encodeURIComponent(item('repeats', 0).id)}`);
    expect(mail.text).not.toContain('#/exception/');
  });

  it('a departed person gets the inbox entry but no mail; without e-mail on, no mail rows at all', async () => {
    await db.updateTable('people').set({ status: 'departed' }).where('id', '=', 'dana').execute();
    const third = item('third', 2, { owner: 'dana', route: { ...route, owner: 'dana' } });
    await recordDecision(db, { state: third, events: [surfaced[0]!, { ...surfaced[1]!, detail: { owner: 'dana' } }] }, { mail: { digestHour: 7 }, now: NOW });
    const fourth = item('fourth', 2);
    await recordDecision(db, { state: fourth, events: surfaced }, { now: NOW });
    const count = (table: 'inbox' | 'outbox', id: string) => db.selectFrom(table).select('id').where('decision_id', '=', id).execute().then((r) => r.length);
    expect([await count('inbox', third.id), await count('outbox', third.id)]).toEqual([1, 0]);
    expect([await count('inbox', fourth.id), await count('outbox', fourth.id)]).toEqual([1, 0]);
  });
});

eachLedger('decision mail through the outbox', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestLedger(kind));
    const person = (id: string, prefs = '{}') => ({ id, name: id, email: `${id}@example.com`, manager_id: null, status: 'active', roles: '[]', version: 1, updated_at: new Date(NOW).toISOString(), updated_by: 'root', notify_prefs: prefs });
    await db.insertInto('people').values([person('priya'), person('li', JSON.stringify({ escalation: 'digest' }))]).execute();
  });
  afterAll(async () => close?.());

  it('sends a decision item\'s mail once it is written (no confirmation to wait for), and its digest rows with the person\'s digest', async () => {
    const mail = { digestHour: 7 };
    await recordDecision(db, { state: item('repeats', 2), events: surfaced }, { mail, now: NOW });
    await recordDecision(db, { state: item('repeats', 4, { escalationLevel: 2 }), events: escalated }, { mail, now: NOW });
    await recordDecision(db, { state: item('other', 3, { escalationLevel: 1 }), events: [...surfaced, { ...escalated[0]!, detail: { ...escalated[0]!.detail } }] }, { mail, now: NOW });
    // li's two digest rows (one per item): one falls due now, the other goes along with it.
    await db.updateTable('outbox').set({ next_attempt_at: 0 }).where('person', '=', 'li').where('decision_id', '=', item('repeats', 0).id).execute();
    await db.updateTable('outbox').set({ next_attempt_at: Date.now() + 86_400_000 }).where('person', '=', 'li').where('decision_id', '=', item('other', 0).id).execute();
    const sent: OutgoingMail[] = [];
    const outbox = startOutbox({
      ledger: db,
      logger: pino({ level: 'silent' }),
      webhookSecret: 's',
      pollEveryMs: 20,
      post: async () => 204,
      mail: { sender: { send: async (m) => void sent.push(m), close: () => undefined }, from: 'desk@example.com', consoleUrl: 'https://desk.example.com' },
    });
    const deadline = Date.now() + 10_000;
    while (sent.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    await outbox.stop();
    expect(sent.map((m) => [m.to, m.subject]).sort()).toEqual([
      ['li@example.com', 'Your exception-desk digest: 2 notifications'],
      ['priya@example.com', 'Assigned to you: Resolved the same way again (other)'],
      ['priya@example.com', 'Assigned to you: Resolved the same way again (repeats)'],
    ]);
    const digest = sent.find((m) => m.to === 'li@example.com')!;
    expect(digest.text).toContain(`#/decision/${encodeURIComponent(item('repeats', 0).id)}`);
    expect(digest.text).toContain(`#/decision/${encodeURIComponent(item('other', 0).id)}`);
    expect(await db.selectFrom('outbox').select('id').where('delivered_at', 'is', null).execute()).toEqual([]);
  });
});
