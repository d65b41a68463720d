import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, dayOf } from '../../domain/rules/readiness.js';
import { READINESS_SCHEDULE_ID } from '../../worker/readiness-schedule.js';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { startReceiver } from '../reliability/receiver.js';
import { buildWorld, eventually } from '../world.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const cell = (area: string) => `${stack.url}/api/v1/capabilities/po-daily/ownership/NA/${area}`;
const areas = ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training'];

beforeAll(async () => {
  // priya owns every cell of three capabilities here; that is a test world, not a single point of failure.
  // The region's webhook receiver is on loopback, which webhooks reach only when the allowlist says so.
  receiver = await startReceiver();
  stack = await startStack({ env: { GAP_MAX_CELLS_PER_PERSON: '20', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
  w = await buildWorld(stack);
  // po-daily: the shipped template, stable after 4 days.
  const template = YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, any>;
  template.id = 'po-daily';
  template.cutover.minDaysStable = 4;
  expect((await http(`${stack.url}/api/v1/capabilities/po-daily`, { method: 'PUT', token: w.admin, body: template })).status).toBe(201);
  expect((await http(`${stack.url}/api/v1/capabilities/po-daily/regions/NA`, { method: 'PUT', token: w.admin, body: { notifications: { channel: { webhook: receiver.url } } } })).status).toBe(201);
  for (const area of areas) {
    expect((await http(cell(area), { method: 'PUT', token: w.admin, body: { owner: 'priya', backup: 'li', escalation: ['dana', 'grace'], reason: 'daily world' } })).status).toBe(200);
  }
  // Decisions on each of the last six days, and today.
  const today = dayOf(Date.now());
  const events = Array.from({ length: 7 }, (_, i) => ({
    kind: 'decision',
    key: `daily-${i}`,
    capability: 'po-daily',
    region: 'NA',
    quantity: 40,
    occurredAt: new Date(Math.min(today - i * DAY_MS + 3_600_000, Date.now() - 1000)).toISOString(),
  }));
  expect((await http(`${stack.url}/api/v1/reports`, { token: w.integration, body: { events } })).body.stored).toBe(7);
});
afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

const snapshots = (capability: string) =>
  stack.ledger.selectFrom('readiness_snapshots').select(['day', 'held', 'origin']).where('capability', '=', capability).where('region', '=', 'NA').orderBy('day').execute();
const readiness = async () => (await http(`${stack.url}/api/v1/capabilities/po-daily/regions/NA/readiness`, { token: w.grace })).body;
const stable = (card: { criteria: Array<{ id: string; measured: number }> }) => card.criteria.find((c) => c.id === 'days-stable')!.measured;

/** Triggers the schedule and waits for the run it started; answers that run's result. */
async function runSchedule(): Promise<{ day: string; written: number; kept: number; flagged: string[]; cleared: string[] }> {
  const handle = stack.api.client.schedule.getHandle(READINESS_SCHEDULE_ID);
  const before = (await handle.describe()).info.recentActions.length;
  await handle.trigger();
  const deadline = Date.now() + 20_000;
  for (;;) {
    const actions = (await handle.describe()).info.recentActions;
    if (actions.length > before) {
      const started = actions.at(-1)!.action;
      return stack.api.client.workflow.getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId).result();
    }
    if (Date.now() > deadline) throw new Error('the schedule started no run');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the daily readiness schedule', () => {
  it('exists once the worker runs: every day at 00:05 UTC, on the worker\'s task queue, never overlapping', async () => {
    const description = await stack.api.client.schedule.getHandle(READINESS_SCHEDULE_ID).describe();
    expect(description.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 5, end: 5, step: 1 }] });
    expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'readinessDailyWorkflow', taskQueue: stack.config.TEMPORAL_TASK_QUEUE });
    expect(description.policies.overlap).toBe('SKIP');
  });

  it('snapshots every region for the day that ended, once: a second run of the same day keeps the first', async () => {
    const first = await runSchedule();
    const yesterday = new Date(dayOf(Date.now()) - DAY_MS).toISOString().slice(0, 10);
    expect(first).toMatchObject({ day: yesterday, written: 2, kept: 0 });
    const second = await runSchedule();
    expect(second).toMatchObject({ day: yesterday, written: 0, kept: 2 });
    expect((await snapshots('po-daily')).map((s) => [new Date(Number(s.day)).toISOString().slice(0, 10), s.origin])).toEqual([[yesterday, 'schedule']]);
  });
});

describe('the backfill command', () => {
  it('grades each past day against the matrix and the directory as they stood at its end, oldest first, so days stable is a fact; a day already snapshotted is kept', async () => {
    expect(stable(await readiness())).toBe(2);
    // A ledger with history: the people and the matrix were set up a week ago; business-rules lost its
    // backup four days ago and had it back the day after. (Made through the API now, then dated back.)
    const today = dayOf(Date.now());
    const at = (daysAgo: number) => new Date(today - daysAgo * DAY_MS + 12 * 3_600_000).toISOString();
    expect((await http(cell('business-rules'), { method: 'PUT', token: w.admin, body: { owner: 'priya', backup: null, escalation: ['dana', 'grace'], reason: 'li away (history)' } })).status).toBe(200);
    expect((await http(cell('business-rules'), { method: 'PUT', token: w.admin, body: { owner: 'priya', backup: 'li', escalation: ['dana', 'grace'], reason: 'li back (history)' } })).status).toBe(200);
    const dateBack = (reason: string, daysAgo: number) => stack.ledger.updateTable('ownership_changes').set({ at: at(daysAgo) }).where('capability', '=', 'po-daily').where('reason', '=', reason).execute();
    await dateBack('daily world', 7);
    await dateBack('li away (history)', 4);
    await dateBack('li back (history)', 3);
    await stack.ledger.updateTable('audit_log').set({ at: at(8) }).where('subject_type', '=', 'person').where('action', '=', 'person.created').execute();
    // Today's scorecard reads today's matrix: unchanged.
    expect(stable(await readiness())).toBe(2);

    const { stdout } = await promisify(execFile)('npx', ['tsx', 'scripts/readiness-backfill.ts', '--days', '6'], { env: { ...process.env, DATA_DIR: stack.config.DATA_DIR, LOG_LEVEL: 'silent', GAP_MAX_CELLS_PER_PERSON: '20' } });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines.at(-1)).toMatch(/\twritten 0\tkept 2$/);
    expect(lines[0]).toMatch(/\twritten 2\tkept 0$/);

    // Four days ago business-rules had no backup: that day did not hold, whatever the matrix says today.
    const rows = await snapshots('po-daily');
    expect(rows.map((r) => Number(r.held))).toEqual([1, 1, 0, 1, 1, 1]);
    expect(rows.map((r) => r.origin)).toEqual(['backfill', 'backfill', 'backfill', 'backfill', 'backfill', 'schedule']);
    const card = await readiness();
    expect(stable(card)).toBe(4);
    expect(card).toMatchObject({ ready: true, failing: [] });

    const history = await http(`${stack.url}/api/v1/capabilities/po-daily/regions/NA/readiness/history?days=10`, { token: w.grace });
    expect(history.body.items).toHaveLength(6);
    expect(history.body.items[0].criteria.find((c: { id: string }) => c.id === 'automation-rate')).toMatchObject({ measured: 1, pass: true });
    expect(history.body.items[2].criteria.find((c: { id: string }) => c.id === 'ownership')).toMatchObject({ measured: 1, pass: false });
    // Yesterday's scheduled snapshot was taken before the backfill and stands, with the count it had then;
    // the run of held days is what today's count reads.
    expect(history.body.items.map((i: { criteria: Array<{ id: string; measured: number }> }) => i.criteria.find((c) => c.id === 'days-stable')!.measured)).toEqual([1, 2, 0, 1, 2, 1]);
  });
});

describe('a region in production', () => {
  const notices = async (token: string) => (await http(`${stack.url}/api/v1/me/inbox?limit=100`, { token })).body.items.filter((i: { kind: string }) => i.kind === 'readiness-flagged');

  it('is flagged, never demoted, when its scorecard falls below a threshold; its owners and backups are told once, in their inbox and on the webhook; the flag clears when it holds again', async () => {
    const promoted = await http(`${stack.url}/api/v1/capabilities/po-daily/regions/NA/stage`, { method: 'PUT', token: w.grace, body: { stage: 'production' } });
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(200);

    expect((await http(cell('business-rules'), { method: 'PUT', token: w.admin, body: { owner: 'priya', backup: null, escalation: ['dana', 'grace'], reason: 'li left the area' } })).status).toBe(200);
    expect((await runSchedule()).flagged).toEqual(['po-daily:NA']);
    const flagged = await readiness();
    expect(flagged).toMatchObject({ stage: 'production', ready: false, flaggedAt: expect.any(String) });
    const audit = await http(`${stack.url}/api/v1/audit-log?subjectType=rollout&subjectId=po-daily:NA&limit=1`, { token: w.admin });
    expect(audit.body.items[0]).toMatchObject({ actor: 'system', action: 'rollout-flagged', detail: { failing: expect.arrayContaining(['ownership']), notify: ['li', 'priya'] } });

    // priya (owner) and li (backup of the other areas) each find one notice in their inbox, linked to the scorecard.
    const li = await stack.token('li', 'operator');
    for (const token of [w.priya, li]) {
      const told = await notices(token);
      expect(told).toHaveLength(1);
      expect(told[0]).toMatchObject({
        exceptionId: null,
        capability: 'po-daily',
        region: 'NA',
        title: 'po-daily in NA: below its cutover thresholds in production',
        reason: expect.stringMatching(/fell below its cutover thresholds .*Ownership readiness .*priya has no backup/),
        link: '/api/v1/capabilities/po-daily/regions/NA/readiness',
      });
    }
    // The region's webhook hears it once per person, signed and keyed like an exception's notifications.
    const flagTime = Date.parse(flagged.flaggedAt);
    const keys = [`rollout:po-daily:NA#${flagTime}#li`, `rollout:po-daily:NA#${flagTime}#priya`];
    await eventually(async () => keys.every((k) => receiver.deliveries.has(k)), Boolean, 15_000);
    expect(keys.map((k) => receiver.deliveries.get(k))).toEqual([1, 1]);
    // Nobody outside the region's scope sees it, owner or not.
    expect(await notices(await stack.mint({ sub: 'priya', roles: ['owner'], scope: ['po-daily:EMEA'] }))).toEqual([]);

    // The same day again, and the next: flagged once, told once.
    expect((await runSchedule()).flagged).toEqual([]);
    expect(await notices(w.priya)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.deliveries.size).toBe(2);

    expect((await http(cell('business-rules'), { method: 'PUT', token: w.admin, body: { owner: 'priya', backup: 'li', escalation: ['dana', 'grace'], reason: 'priya is back' } })).status).toBe(200);
    expect((await runSchedule()).cleared).toEqual(['po-daily:NA']);
    expect(await readiness()).toMatchObject({ stage: 'production', flaggedAt: null });
  });
});
