import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { startTestSmtp, type TestSmtp } from '../smtp.js';
import { buildWorld, path, priceVariance } from '../world.js';

const FROM = 'desk@example.com';
let smtp: TestSmtp;
let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;

beforeAll(async () => {
  smtp = await startTestSmtp();
  stack = await startStack({ env: { SMTP_URL: smtp.url, SMTP_FROM: FROM, PUBLIC_URL: 'https://desk.example.com', DEPARTURE_WAIT_MAX_MS: '0' } });
  w = await buildWorld(stack);
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await smtp?.stop();
});

const prefsUrl = (id: string) => `${stack.url}/api/v1/people/${id}/notification-preferences`;
const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));

describe('notification preferences', () => {
  it('reads your own (defaults: every kind at once), a manager reads anyone\'s, an operator only their own', async () => {
    const own = await http(prefsUrl('priya'), { token: w.priya });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ personId: 'priya', emailEnabled: true, unreachable: null, preferences: { assignment: 'now', escalation: 'now', reassignment: 'now', moved: 'now' } });
    expect((await http(prefsUrl('priya'), { token: w.grace })).status).toBe(200);
    expectProblem(await http(prefsUrl('priya'), { token: w.olivia }), 403);
    expectProblem(await http(prefsUrl('nobody-here'), { token: w.admin }), 404);
  });

  it('sets only your own, refuses a delivery it does not know with its field path, and audits the change with the actor', async () => {
    expectProblem(await http(prefsUrl('priya'), { method: 'PUT', token: w.grace, body: { reassignment: 'inbox' } }), 403);
    const bad = await http(prefsUrl('priya'), { method: 'PUT', token: w.priya, body: { reassignment: 'pigeon', fax: 'now' } });
    expectProblem(bad, 400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['reassignment']));
    const set = await http(prefsUrl('priya'), { method: 'PUT', token: w.priya, body: { reassignment: 'inbox', escalation: 'digest' } });
    expect(set.status).toBe(200);
    expect(set.body.preferences).toEqual({ assignment: 'now', escalation: 'digest', reassignment: 'inbox', moved: 'now', warning: 'now' });
    const audit = await stack.ledger.selectFrom('audit_log').selectAll().where('action', '=', 'person.notification-preferences').where('subject_id', '=', 'priya').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe('priya');
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ before: { reassignment: 'now' }, after: { reassignment: 'inbox' } });
  });
});

describe('mail from the real workflow', () => {
  it('mails the owner an assignment, the new assignee a reassignment, and nothing to one who chose the inbox', async () => {
    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() });
    expect(raised.status, JSON.stringify(raised.body)).toBe(201);
    const id = raised.body.id as string;
    await smtp.waitFor(1);
    const [assigned] = mailsTo('priya@example.com');
    expect(assigned!.subject).toBe(`Assigned to you: ${raised.body.title}`);
    expect(assigned!.headers['message-id']).toMatch(/^<[0-9a-f]{40}@example\.com>$/);
    expect(assigned!.text).toContain(`https://desk.example.com/#/exception/${path(id)}`);
    expect(assigned!.text).toMatch(/Due: \w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC/); // the template's zone (UTC)

    const toDana = await http(`${stack.url}/api/v1/exceptions/${path(id)}/reassign`, { token: w.admin, body: { to: 'dana', reason: 'dana knows this supplier' } });
    expect(toDana.status, JSON.stringify(toDana.body)).toBe(200);
    await smtp.waitFor(2);
    expect(mailsTo('dana@example.com').map((m) => m.subject)).toEqual([`Reassigned to you: ${raised.body.title}`]);
    expect(mailsTo('dana@example.com')[0]!.text).toContain('dana knows this supplier');

    // priya chose the inbox for reassignments: the inbox has it, the outbox files no mail.
    const back = await http(`${stack.url}/api/v1/exceptions/${path(id)}/reassign`, { token: w.admin, body: { to: 'priya', reason: 'back to the owner' } });
    expect(back.status).toBe(200);
    const inbox = await http(`${stack.url}/api/v1/me/inbox`, { token: w.priya });
    expect(JSON.stringify(inbox.body)).toContain('back to the owner');
    const mailRows = await stack.ledger.selectFrom('outbox').select(['person', 'kind', 'channel']).where('exception_id', '=', id).orderBy('id').execute();
    expect(mailRows).toEqual([
      { person: 'priya', kind: 'email:assignment', channel: 'email' },
      { person: 'dana', kind: 'email:reassignment', channel: 'email' },
    ]);
    expect(mailsTo('priya@example.com')).toHaveLength(1);
  });

  it("mails the backup a 'moved' notice when the owner departs and the sweep moves their work", async () => {
    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() });
    expect(raised.status).toBe(201);
    const before = mailsTo('li@example.com').length;
    const sweep = await http(`${stack.url}/api/v1/people/priya/departure`, { token: w.admin, body: { reason: 'left the company' } });
    expect(sweep.status, JSON.stringify(sweep.body)).toBeLessThan(300);
    const until = Date.now() + 20_000;
    while (!mailsTo('li@example.com').some((m) => m.subject === `Moved to you: ${raised.body.title}`) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const moved = mailsTo('li@example.com').slice(before).find((m) => m.subject === `Moved to you: ${raised.body.title}`);
    expect(moved, mailsTo('li@example.com').map((m) => m.subject).join('; ')).toBeDefined();
    expect(moved!.text).toContain('Why it came to you: now yours:');
  }, 30_000);
});
