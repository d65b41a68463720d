import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import YAML from 'yaml';
import { findGaps } from '../../domain/gaps.js';
import type { ExceptionEvent, ExceptionState, Notification } from '../../domain/rules/exception-model.js';
import type { LedgerDb } from '../../ledger/db.js';
import { gapInputs } from '../../ledger/gaps.js';
import { outboxBacklog } from '../../ledger/metrics.js';
import { savePreferences } from '../../ledger/mail-preferences.js';
import { projectPerson } from '../../ledger/people.js';
import { recordTransition } from '../../ledger/projection.js';
import { messageIdFor, smtpSender } from '../../platform/mailer.js';
import { startOutbox } from '../../worker/outbox.js';
import { eachLedger, openTestLedger } from '../ledgers.js';
import { exceptionState } from '../ledger/states.js';
import { startTestSmtp, type TestSmtp } from '../smtp.js';

const CAP = 'po-mail';
const FROM = 'Exception desk <desk@example.com>';
const CONSOLE = 'https://desk.example.com';
const DUE = Date.parse('2026-12-07T09:00:00Z');

const until = async (check: () => Promise<boolean>, timeoutMs = 15_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

/**
 * Mail through the outbox against a real SMTP listener (smtp-server on a free port), on both ledgers:
 * transitions are written as the workflow's local activity writes them, with mail on, and confirmed as
 * the confirmer would; the outbox worker sends what is confirmed.
 */
eachLedger('e-mail through the outbox', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  let smtp: TestSmtp;
  let outbox: ReturnType<typeof startOutbox>;
  let n = 0;

  /** One transition of a fresh exception that notifies `person`, written with mail on; confirmed unless told. */
  async function notify(person: string, over: Partial<ExceptionState> = {}, notice: Partial<Notification> = {}, options: { confirm?: boolean; events?: ExceptionEvent[] } = {}) {
    n += 1;
    const state = exceptionState(n, { region: 'EU', title: `Price variance ${n}`, owner: person, claimBy: DUE, resolveBy: DUE + 3_600_000, ...over }, CAP);
    const notification: Notification = { seq: 1, person, kind: 'assigned', level: 0, reason: 'assigned to you as owner of exception-queue in EU', at: Date.now(), ...notice };
    const events = options.events ?? [{ seq: 1, at: Date.now(), actor: 'erp', action: 'surfaced', from: null, to: null, reason: null }];
    await recordTransition(db, { fence: Date.now(), state, payload: {}, events, notifications: [notification] }, { mail: { digestHour: 7 } });
    if (options.confirm !== false) await confirm(state.id);
    return state;
  }
  const confirm = (id: string) => db.updateTable('exceptions').set({ confirmed_seq: 1 }).where('id', '=', id).execute();
  const rowsOf = (id: string) => db.selectFrom('outbox').selectAll().where('exception_id', '=', id).execute();
  const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));

  beforeAll(async () => {
    ({ db, close } = await openTestLedger(kind));
    smtp = await startTestSmtp();
    const template = { ...(YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, unknown>), id: CAP, timeZone: 'Europe/Berlin' };
    const at = new Date().toISOString();
    await db.insertInto('capabilities').values({ id: CAP, name: CAP, version: 1, template: JSON.stringify(template), source: 'test', updated_at: at, updated_by: 'test' }).execute();
    await db.insertInto('capability_regions').values({ capability_id: CAP, region: 'EU', overlay: '{}', effective: JSON.stringify(template), updated_at: at, updated_by: 'test' }).execute();
    for (const id of ['priya', 'li', 'bounce', 'omar', 'slow']) {
      await projectPerson(db, { id, name: id, email: `${id}@example.com`, managerId: null, status: 'active', roles: ['owner'], updatedAt: at, updatedBy: 'test' }, 1);
    }
    await db.insertInto('ownership_cells').values({ capability: CAP, region: 'EU', area: 'exception-queue', owner: 'bounce', backup: 'li', escalation: '["priya"]', version: 1 }).execute();
    await savePreferences(db, 'li', { assignment: 'digest', escalation: 'digest', moved: 'inbox' }, 'li');
    outbox = startOutbox({
      ledger: db,
      logger: pino({ level: 'silent' }),
      webhookSecret: 'x'.repeat(32),
      post: () => Promise.reject(new Error('no webhooks here')),
      pollEveryMs: 50,
      mail: { sender: smtpSender(smtp.url, FROM), from: FROM, consoleUrl: CONSOLE },
    });
  }, 60_000);
  afterAll(async () => {
    await outbox?.stop();
    await smtp?.stop();
    await close?.();
  });

  it('sends an assignment once its transition is confirmed: recipient, subject, body, and a Message-ID from its idempotency key', async () => {
    // With a webhook too: both rows of the one notification stand side by side in the outbox.
    const state = await notify('priya', { webhook: 'https://hooks.example.com/desk' }, {}, { confirm: false });
    await new Promise((r) => setTimeout(r, 400));
    expect(mailsTo('priya@example.com')).toHaveLength(0); // not confirmed in history yet: nothing leaves
    await confirm(state.id);
    const [mail] = await until(async () => mailsTo('priya@example.com').length === 1).then(() => mailsTo('priya@example.com'));
    expect(mail!.from).toBe('desk@example.com');
    expect(mail!.to).toEqual(['priya@example.com']);
    expect(mail!.subject).toBe(`Assigned to you: ${state.title}`);
    expect(mail!.text).toContain('Why it came to you: assigned to you as owner of exception-queue in EU');
    expect(mail!.text).toContain('Due: Mon 7 Dec 2026, 10:00 CET'); // the region's zone: Europe/Berlin
    expect(mail!.text).toContain(`${CONSOLE}/#/exception/${encodeURIComponent(state.id)}`);
    expect(mail!.headers['message-id']).toBe(messageIdFor(`${state.id}#1#priya`, FROM));
    expect(mail!.headers['x-exception-desk-idempotency-key']).toBe(`${state.id}#1#priya`);
    await until(async () => (await rowsOf(state.id)).find((r) => r.channel === 'email')!.delivered_at !== null);
    expect((await rowsOf(state.id)).map((r) => `${r.channel}/${r.kind}`).sort()).toEqual(['email/email:assignment', 'webhook/assigned']);
    // Nobody listens at that webhook: given up, so it is no backlog for the checks below.
    await db.updateTable('outbox').set({ failed_at: Date.now() }).where('exception_id', '=', state.id).where('channel', '=', 'webhook').execute();
  });

  it("batches a person's digest into one mail, sends it once, and still sends a critical escalation at once", async () => {
    const a = await notify('li');
    const b = await notify('li', {}, { kind: 'escalated', level: 1, reason: 'claim-by passed' });
    const moved = await notify('li', {}, {}, { events: [{ seq: 1, at: Date.now(), actor: 'system', action: 'owner-changed', from: 'bounce', to: 'li', reason: 'departure' }] });
    const critical = await notify('li', { severity: 'critical' }, { kind: 'escalated', level: 2, reason: 'resolve-by passed' });
    await until(async () => mailsTo('li@example.com').length === 1);
    expect(mailsTo('li@example.com')[0]!.subject).toBe(`Escalated to you (level 2): ${critical.title}`);
    expect(await rowsOf(moved.id)).toEqual([]); // 'moved' goes to the inbox only
    const digestRows = [...(await rowsOf(a.id)), ...(await rowsOf(b.id))];
    expect(digestRows.map((r) => r.channel)).toEqual(['digest', 'digest']);
    // Due at the next 07:00 in Berlin, not now.
    for (const r of digestRows) expect(new Date(Number(r.next_attempt_at)).toISOString()).toMatch(/T0[56]:00:00\.000Z$/);
    // A digest waiting for its hour is no backlog (the outbox-age alert would fire on every digest).
    await until(async () => (await outboxBacklog(db)).pending === 0);
    expect(mailsTo('li@example.com')).toHaveLength(1);
    // The day turns for the first row only: the person's whole digest goes with it.
    await db.updateTable('outbox').set({ next_attempt_at: Date.now() }).where('id', '=', digestRows[0]!.id).execute();
    await until(async () => mailsTo('li@example.com').length === 2);
    const digest = mailsTo('li@example.com')[1]!;
    expect(digest.subject).toBe('Your exception-desk digest: 2 notifications');
    expect(digest.text).toContain(`1. Assigned to you: ${a.title}`);
    expect(digest.text).toContain(`2. Escalated to you (level 1): ${b.title}`);
    await until(async () => [...(await rowsOf(a.id)), ...(await rowsOf(b.id))].every((r) => r.delivered_at !== null));
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsTo('li@example.com')).toHaveLength(2); // not sent twice
  });

  it('records a permanent refusal (5xx) on the person, and the gap audit shows an unreachable owner', async () => {
    smtp.refuse.set('bounce@example.com', { code: 550, message: '5.1.1 bounce@example.com: mailbox unavailable' });
    const state = await notify('bounce');
    await until(async () => (await rowsOf(state.id))[0]!.failed_at !== null);
    const [row] = await rowsOf(state.id);
    expect(row!.attempts).toBe(1); // not retried
    const person = await db.selectFrom('people').select(['unreachable_at', 'unreachable_reason']).where('id', '=', 'bounce').executeTakeFirstOrThrow();
    expect(person.unreachable_reason).toContain('mailbox unavailable');
    const gaps = findGaps(await gapInputs(db, { maxCellsPerPerson: 6, maxOpenPerOwner: 25 })).filter((g) => g.kind === 'unreachable-owner');
    expect(gaps).toEqual([expect.objectContaining({ capability: CAP, region: 'EU', area: 'exception-queue', person: 'bounce', since: person.unreachable_at })]);
    // An admin corrects the address: the refusal was about the old one, so the gap closes.
    await projectPerson(db, { id: 'bounce', name: 'bounce', email: 'bounce@mail.example.com', managerId: null, status: 'active', roles: ['owner'], updatedAt: new Date().toISOString(), updatedBy: 'test' }, 2);
    expect(findGaps(await gapInputs(db, { maxCellsPerPerson: 6, maxOpenPerOwner: 25 })).filter((g) => g.kind === 'unreachable-owner')).toEqual([]);
  });

  it('loses nothing while the mail server is away or answers 4xx: the mails arrive once it is back', async () => {
    const before = smtp.received.length;
    await smtp.stop();
    smtp.refuse.set('slow@example.com', { code: 451, message: '4.3.0 try again later' });
    const states = [await notify('omar'), await notify('omar'), await notify('priya')];
    await until(async () => (await Promise.all(states.map(async (s) => (await rowsOf(s.id))[0]!.attempts))).every((a) => a >= 1));
    await smtp.start();
    const slow = await notify('slow');
    await until(async () => (await rowsOf(slow.id))[0]!.attempts >= 1);
    expect((await rowsOf(slow.id))[0]!.last_error).toContain('try again later');
    smtp.refuse.delete('slow@example.com');
    await smtp.waitFor(before + 4, 20_000);
    const arrived = smtp.received.slice(before);
    expect(arrived.map((m) => m.subject).sort()).toEqual([...states, slow].map((s) => `Assigned to you: ${s.title}`).sort());
    for (const s of [...states, slow]) expect((await rowsOf(s.id))[0]!.failed_at).toBeNull();
  }, 40_000);
});
