import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../worker/ledger-verify.js';
import { expectProblem, http } from '../http.js';
import { startTestSmtp, type TestSmtp } from '../smtp.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, path, priceVariance, slowPolicy } from '../world.js';

/**
 * Decision items through the real server: triggers graded from the ledger, one open item per trigger ×
 * region, routing, escalation on second-long due dates, a departure mid-decision, every outcome, the
 * re-raise of a deferred item and the before/after link of a retraining decision; the inbox entries and
 * mail its routing, escalations and reroutes send; `ledger:verify` over the items. One stack, SQLite
 * (the facts' SQL and the notices' writes run on both ledgers in test/decisions/facts.test.ts and
 * notices.test.ts).
 */
let smtp: TestSmtp;
let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
const url = (p: string) => `${stack.url}${p}`;

/** The shipped template with triggers that fire on a handful of exceptions and fall due in seconds. */
const triggers = {
  'price-repeats': { area: 'business-rules', kind: 'repeated-resolution', exceptionType: 'price-variance', threshold: 2, window: '1d', dueIn: '2s', escalation: [{ after: '1s', notify: 'backup' }, { after: '2s', notify: 'manager-of-owner' }] },
  'buyer-overrides': { area: 'adoption-training', kind: 'repeated-by-actor', exceptionType: 'recommendation-overridden-repeatedly', threshold: 2, window: '1d', dueIn: '1h' },
  'new-model': { area: 'model-retraining', kind: 'new-model-version', window: '1d', dueIn: '1h' },
  'queue-age': { area: 'exception-queue', kind: 'queue-age', threshold: 2, dueIn: '1h' },
};

const lowConfidence = (version: string) => ({
  capability: 'po-test',
  region: 'NA',
  type: 'low-confidence-recommendation',
  sourceKey: `LC-${version}-${Math.random().toString(36).slice(2, 8)}`,
  title: `Low confidence from ${version}`,
  confidence: 0.4,
  payload: { poNumber: 'PO-00412610', supplierId: 'SUP-0042', sku: 'BRK-2210', quantity: 250, unitPrice: 10.1, currency: 'USD', needByDate: new Date().toISOString().slice(0, 10), recommendedAction: 'expedite', modelVersion: version, confidence: 0.4, recommendedAt: new Date().toISOString() },
});
const override = (buyer: string) => ({
  capability: 'po-test',
  region: 'NA',
  type: 'recommendation-overridden-repeatedly',
  sourceKey: `OV-${buyer}-${Math.random().toString(36).slice(2, 8)}`,
  title: `${buyer} overrides BRK-2210`,
  payload: { buyerId: buyer, sku: 'BRK-2210', overrideCount: 4, windowDays: 7, lastOverrideAt: new Date().toISOString(), modelVersion: 'po-rec-2.3.1' },
});

const raise = async (body: object) => {
  const res = await http(url('/api/v1/exceptions'), { token: w.integration, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
};
const evaluate = () => http(url('/api/v1/decisions/evaluate'), { token: w.grace, body: { capability: 'po-test' } });
const log = (query = '') => http(url(`/api/v1/decisions?capability=po-test${query}`), { token: w.grace });
const detail = (id: string, token = w.grace) => http(url(`/api/v1/decisions/${path(id)}`), { token });
const outcome = (id: string, token: string, body: object) => http(url(`/api/v1/decisions/${path(id)}/outcome`), { token, body });
const byTrigger = async (trigger: string) => ((await log(`&trigger=${trigger}`)).body.items as Array<{ id: string }>)[0]!.id;

beforeAll(async () => {
  smtp = await startTestSmtp();
  stack = await startStack({ env: { DEPARTURE_WAIT_MAX_MS: '1000', SMTP_URL: smtp.url, SMTP_FROM: 'desk@example.com', PUBLIC_URL: 'https://desk.example.com' } });
  w = await buildWorld(stack);
  const template = YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, any>;
  template.id = 'po-test';
  template.slaPolicies = { critical: slowPolicy, high: slowPolicy, medium: slowPolicy, low: slowPolicy };
  template.decisionTriggers = triggers;
  template.version = Number(template.version) + 1;
  const put = await http(url('/api/v1/capabilities/po-test'), { method: 'PUT', token: w.admin, body: template });
  expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
  // A published version reaches NA when NA adopts it (decision 0014).
  const adopted = await http(url('/api/v1/capabilities/po-test/regions/NA/adoption'), { token: w.admin, body: { version: template.version, reason: 'decision triggers for the test' } });
  expect(adopted.status, JSON.stringify(adopted.body)).toBeLessThan(300);
  // Adoption's owner is dana, who leaves mid-decision: the item moves to the backup, priya.
  const cell = await http(url('/api/v1/capabilities/po-test/ownership/NA/adoption-training'), { method: 'PUT', token: w.admin, body: { owner: 'dana', backup: 'priya', escalation: ['grace'], reason: 'test' } });
  expect(cell.status).toBe(200);

  // Two price variances resolved the same way; two overrides by one buyer; a model version after another.
  for (let i = 0; i < 2; i++) {
    const id = await raise(priceVariance());
    expect((await http(url(`/api/v1/exceptions/${path(id)}/claim`), { token: w.olivia, method: 'POST' })).status).toBe(200);
    expect((await http(url(`/api/v1/exceptions/${path(id)}/resolve`), { token: w.olivia, body: { code: 'accepted-supplier-price' } })).status).toBe(200);
  }
  await raise(override('buyer-li'));
  await raise(override('buyer-li'));
  await raise(lowConfidence('po-rec-2.3.1'));
  await raise(lowConfidence('po-rec-2.4.0'));
});
afterAll(async () => {
  await stack?.close();
  await smtp?.stop();
});

type Entry = { decisionId: string | null; exceptionId: string | null; kind: string; level: number; link: string };
const decisionInbox = async (token: string) => ((await http(url('/api/v1/me/inbox?limit=100'), { token })).body.items as Entry[]).filter((i) => i.decisionId !== null);
const decisionMails = (to: string) => smtp.received.filter((m) => m.to.includes(to) && m.text.includes('#/decision/'));

describe('decision items', () => {
  it('raises one item per fired trigger, routed to the area owner, with the figures and the exceptions behind them', async () => {
    const first = await evaluate();
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ regions: 1, triggers: 4, fired: 3 });
    expect(first.body.raised).toHaveLength(3);

    // Evaluated again while open: the same items, none raised twice.
    const again = await evaluate();
    expect(again.body.raised).toEqual([]);
    expect(again.body.kept.sort()).toEqual(['decision:po-test:NA:buyer-overrides', 'decision:po-test:NA:new-model', 'decision:po-test:NA:price-repeats']);
    const items = (await log()).body.items as Array<{ triggerId: string; owner: string; status: string }>;
    expect(items.map((i) => [i.triggerId, i.owner, i.status]).sort()).toEqual([
      ['buyer-overrides', 'dana', 'open'],
      ['new-model', 'priya', 'open'],
      ['price-repeats', 'priya', 'open'],
    ]);

    const price = (await detail(await byTrigger('price-repeats'))).body;
    expect(price.evidence).toMatchObject({ measured: 2, threshold: 2, figures: { code: 'accepted-supplier-price', resolutions: 2 } });
    expect(price.evidence.exceptionIds).toHaveLength(2);
    expect(price.evidence.series.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(2);
    expect(price.timeline.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['raised', 'routed']));

    // Each owner learns of their items in the inbox, linked to the decision, and by mail.
    const priyas = await decisionInbox(w.priya);
    expect(priyas.map((i) => [i.kind, i.exceptionId]).sort()).toEqual([['decision-routed', null], ['decision-routed', null]]);
    expect(priyas.map((i) => i.link)).toContain(`/api/v1/decisions/${path(price.id)}`);
    expect((await decisionInbox(await stack.token('dana', 'owner'))).map((i) => i.kind)).toEqual(['decision-routed']);
    const mails = await eventually(async () => decisionMails('priya@example.com'), (m) => m.length >= 2);
    expect(mails.map((m) => m.subject)).toContain(`Assigned to you: ${price.summary}`);
    expect(mails.map((m) => m.text).join('\n')).toContain(`https://desk.example.com/#/decision/${path(price.id)}`);
  });

  it('escalates past its due date along the template steps, and counts against readiness while past due', async () => {
    const id = await byTrigger('price-repeats');
    const escalated = await eventually(() => detail(id).then((r) => r.body), (d) => d.escalationLevel >= 2, 20_000);
    expect(escalated).toMatchObject({ escalationLevel: 2, escalatedTo: 'grace', overdue: true });
    expect(escalated.timeline.filter((e: { action: string }) => e.action === 'escalated').map((e: { detail: { to: string } }) => e.detail.to)).toEqual(['li', 'grace']);
    // Grace sees it in her inbox view (owned by or escalated to her), and among what is overdue.
    const mine = await http(url('/api/v1/decisions?mine=true'), { token: w.grace });
    expect(mine.body.items.map((i: { id: string }) => i.id)).toContain(id);
    expect((await log('&overdue=true')).body.items.map((i: { id: string }) => i.id)).toEqual([id]);
    const card = await http(url('/api/v1/capabilities/po-test/regions/NA/readiness'), { token: w.grace });
    expect(card.body.criteria.find((c: { id: string }) => c.id === 'decisions-overdue')).toMatchObject({ measured: 1, threshold: 0, pass: false });

    // Each step reached its person: an inbox entry at its level, linked to the decision, and a mail.
    expect((await decisionInbox(w.grace)).filter((i) => i.kind === 'decision-escalated').map((i) => [i.level, i.link])).toEqual([[2, `/api/v1/decisions/${path(id)}`]]);
    expect((await decisionInbox(await stack.token('li', 'operator'))).filter((i) => i.kind === 'decision-escalated').map((i) => i.level)).toEqual([1]);
    const mail = await eventually(async () => decisionMails('grace@example.com'), (m) => m.length >= 1);
    expect(mail[0]!.subject).toBe(`Escalated to you (level 2): ${escalated.summary}`);
    expect(mail[0]!.text).toContain(`https://desk.example.com/#/decision/${path(id)}`);

    // While items run, ledger:verify asks them by query and finds the ledger as history has it.
    const report = await verifyLedger({ ledger: stack.ledger, client: stack.api.client, skipVisibility: true, recheckAfterMs: 1000 });
    expect(report.decisions).toBe(3);
    expect(report.differences).toEqual([]);
  });

  it('declined: says why, is audited, refuses a second outcome and quiets its trigger', async () => {
    const id = await byTrigger('price-repeats');
    expectProblem(await outcome(id, w.priya, { outcome: 'declined' }), 400);
    const declined = await outcome(id, w.priya, { outcome: 'declined', reason: 'the tolerance is right; the supplier raised prices' });
    expect(declined.status, JSON.stringify(declined.body)).toBe(200);
    expect(declined.body).toMatchObject({ status: 'declined', overdue: false, outcome: { outcome: 'declined', by: 'priya' } });
    expectProblem(await outcome(id, w.priya, { outcome: 'declined', reason: 'again' }), 409);
    const audit = await stack.ledger.selectFrom('audit_log').selectAll().where('subject_id', '=', id).execute();
    expect(audit.map((a) => [a.action, a.actor])).toEqual([['decision.declined', 'priya']]);
    const next = await evaluate();
    expect(next.body.raised).toEqual([]);
  });

  it('moves with a departure mid-decision, then a deferral is raised again by its timer', async () => {
    const id = await byTrigger('buyer-overrides');
    const left = await http(url('/api/v1/people/dana/departure'), { token: w.admin, body: { reason: 'moved to another team' } });
    expect(left.status, JSON.stringify(left.body)).toBeLessThan(300);
    const moved = await eventually(() => detail(id).then((r) => r.body), (d) => d.owner === 'priya');
    expect(moved.owner).toBe('priya');
    expect(moved.timeline.find((e: { action: string }) => e.action === 'rerouted').detail).toMatchObject({ from: 'dana', to: 'priya' });
    expect((await decisionInbox(w.priya)).filter((i) => i.kind === 'decision-rerouted').map((i) => i.link)).toEqual([`/api/v1/decisions/${path(id)}`]);

    // Off the route: refused by the workflow's validator, nothing written.
    const before = moved.timeline.length;
    expectProblem(await outcome(id, await stack.token('omar', 'owner'), { outcome: 'declined', reason: 'not mine' }), 403);
    expectProblem(await outcome(id, w.priya, { outcome: 'deferred', until: new Date(Date.now() - 1000).toISOString() }), 422);
    expect((await detail(id)).body.timeline).toHaveLength(before);

    const deferred = await outcome(id, w.priya, { outcome: 'deferred', until: new Date(Date.now() + 2000).toISOString(), reason: 'after the training calendar is out' });
    expect(deferred.body).toMatchObject({ status: 'deferred', outcome: { outcome: 'deferred', by: 'priya' } });
    expect((await evaluate()).body.kept).toContain('decision:po-test:NA:buyer-overrides');
    const reraised = await eventually(() => detail(id).then((r) => r.body), (d) => d.status === 'open');
    expect(reraised.status).toBe('open');
    expect(reraised.timeline.map((e: { action: string }) => e.action)).toContain('re-raised');

    const decided = await outcome(id, w.priya, { outcome: 'decided', action: 'schedule-training', training: 'overrides and confidence, 1h', trainees: 'buyer-li' });
    expect(decided.body).toMatchObject({ status: 'decided', outcome: { action: 'schedule-training', trainees: 'buyer-li' } });
  });

  it('a retraining decision names its target version and links before/after rates once intake carries it', async () => {
    const id = await byTrigger('new-model');
    expect((await detail(id)).body.evidence.figures).toMatchObject({ modelVersion: 'po-rec-2.4.0', previous: 'po-rec-2.3.1' });
    // A retrain without data: the workflow's validator refuses it (422), nothing is written.
    expectProblem(await outcome(id, w.priya, { outcome: 'decided', action: 'retrain' }), 422);
    const decided = await outcome(id, w.priya, { outcome: 'decided', action: 'retrain', data: 'NA overrides since October, labelled', targetModelVersion: 'po-rec-2.5.0' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(decided.body.beforeAfter).toMatchObject({ modelVersion: 'po-rec-2.5.0', status: 'waiting' });

    await raise(lowConfidence('po-rec-2.5.0'));
    const linked = (await detail(id)).body.beforeAfter;
    expect(linked).toMatchObject({ status: 'linked', before: { exceptions: 2 }, after: { exceptions: 1 } });

    const csv = await http(url('/api/v1/decisions?capability=po-test&format=csv'), { token: w.grace });
    expect(csv.contentType).toContain('text/csv');
    const lines = (csv.body as string).trim().split('\r\n');
    expect(lines[0]).toMatch(/^id,capability,region,area,triggerId/);
    expect(lines.find((l) => l.includes('new-model'))).toContain('target po-rec-2.5.0');
    expect((await log('&q=po-rec-2.5.0')).body.items.map((i: { id: string }) => i.id)).toEqual([id]);
  });
});

describe('ledger:verify over decision items', () => {
  it('reports nothing on a clean ledger, then each tampered row, timeline, inbox and missing row by its own kind', async () => {
    const clean = await verifyLedger({ ledger: stack.ledger, client: stack.api.client, recheckAfterMs: 500, settledAfterMs: 0 });
    expect(clean.decisions).toBe(3);
    expect(clean.differences).toEqual([]);

    const [price, buyer, model] = await Promise.all(['price-repeats', 'buyer-overrides', 'new-model'].map(byTrigger));
    await stack.ledger.updateTable('decisions').set({ owner: 'mallory' }).where('id', '=', price!).execute();
    await stack.ledger.updateTable('decision_events').set({ detail: JSON.stringify({ owner: 'mallory', ownerSource: 'owner', matrixVersion: 1 }) }).where('decision_id', '=', model!).where('action', '=', 'routed').execute();
    await stack.ledger.deleteFrom('inbox').where('decision_id', '=', buyer!).where('kind', '=', 'decision-rerouted').execute();
    const tampered = await verifyLedger({ ledger: stack.ledger, client: stack.api.client, recheckAfterMs: 0, settledAfterMs: 0 });
    expect(tampered.differences.map((d) => [d.kind, d.id]).sort()).toEqual(
      [
        ['decision-state', price],
        ['decision-timeline', model],
        ['decision-inbox', buyer],
      ].sort(),
    );
    expect(tampered.differences.find((d) => d.kind === 'decision-state')!.detail).toContain('(differs: owner)');

    // A decision workflow whose row is gone: found from Temporal's side.
    await stack.ledger.deleteFrom('decisions').where('id', '=', price!).execute();
    const missing = await verifyLedger({ ledger: stack.ledger, client: stack.api.client, recheckAfterMs: 0, settledAfterMs: 0 });
    expect(missing.differences.filter((d) => d.kind === 'decision-ledger-missing').map((d) => d.id)).toEqual([price]);
  });
});
