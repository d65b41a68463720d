/**
 * Records the workflow histories that test/replay/replay.test.ts replays against the current workflow
 * code (docs/decisions/0005-replay-protection.md).
 *
 *   npx tsx scripts/record-histories.ts
 *   RECORD_ONLY=decision-deferred-decided,decision-triggers npx tsx scripts/record-histories.ts   (only those files)
 *   npx tsx scripts/record-histories.ts --only attestation-completed,attestation-cancelled
 *
 * Starts its own Temporal dev server (in memory, on a free port), a worker and the API, drives a few
 * representative scenarios through the HTTP API, then writes one history per workflow execution to
 * test/histories/<scenario>.json in the JSON form `historyFromJSON` and `Worker.runReplayHistory` read.
 * Files are written only once every scenario has been recorded; each replaces the file of the same
 * scenario, and other files there (histories kept from earlier code, see the decision record) stay.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { priceVarianceIntake } from './fixtures.js';
import { calendarBroadcastId } from '../workflows/calendar/messages.js';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils.js';
import { pino } from 'pino';
import YAML from 'yaml';
import { mintToken } from '../api/auth.js';
import { startApi, type RunningApi } from '../api/server.js';
import { loadConfig } from '../config/index.js';
import type { Role } from '../domain/principal.js';
import { ledgerFile, migrateLedger, openLedger, type LedgerDb } from '../ledger/db.js';
import { startDevServer, type DevServer } from '../server/dev-server.js';
import { installTemporalRuntime } from '../platform/logger.js';
import { freePort } from '../platform/ports.js';
import { resolveTemporalCli } from '../server/temporal-cli.js';
import { temporalTarget } from '../platform/temporal-connection.js';
import { startWorker, type RunningWorker } from '../worker/run.js';
import { workCalendar } from '../domain/rules/calendar.js';
import { calendarChanged, intake as intakeUpdate, type ExceptionInput } from '../workflows/exception/messages.js';

const HISTORIES_DIR = fileURLToPath(new URL('../test/histories/', import.meta.url));
const TEMPLATE_FILE = fileURLToPath(new URL('../templates/po-assist.yaml', import.meta.url));
const NAMESPACE = 'histories';

/** Hour-long SLAs: nothing fires on its own while a scenario runs. */
const slowPolicy = {
  claimWithin: '1h',
  resolveWithin: '2h',
  claimLease: '1h',
  escalation: [
    { after: '1s', notify: 'backup' },
    { after: '2s', notify: 'escalation[0]' },
    { after: '3s', notify: 'manager-of-owner' },
  ],
  repeat: { every: '2s', times: 2 },
};
/** Second-long SLAs, so escalation, lease expiry and snooze happen within the recording. */
const fastPolicy = { ...slowPolicy, claimWithin: '2s', resolveWithin: '20s', claimLease: '3s' };

const SLOW = 'po-replay';
const FAST = 'po-replay-fast';
/** On a business calendar that is always open (but for the last second of a day): warnings, waiting, a calendar change. */
const CAL = 'po-replay-cal';
const allDays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const openCalendar = { workdays: allDays, hours: { start: '00:00', end: '23:59:59' } };

interface Recorded {
  scenario: string;
  workflowId: string;
  /** True when the scenario ends with the workflow closed; false for entity workflows and in-flight cases. */
  closed: boolean;
}

interface HttpResult {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON responses of many shapes
}

function log(line: string) {
  console.log(`record-histories: ${line}`);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'exception-desk-histories-'));
  let server: DevServer | undefined;
  let ledger: LedgerDb | undefined;
  let worker: RunningWorker | undefined;
  let api: RunningApi | undefined;
  try {
    const cli = await resolveTemporalCli({ log });
    server = await startDevServer({
      cli,
      port: await freePort(),
      namespace: 'default',
      extraNamespaces: [NAMESPACE],
      readyTimeoutMs: 60_000,
      logFile: path.join(dataDir, 'temporal-server.log'),
    });
    log(`Temporal dev server at ${server.address}`);

    const secret = randomBytes(32).toString('hex');
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      AUTH_JWT_SECRET: secret,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: `record-histories-${randomUUID()}`,
      // Keep the caller's ~/.config/temporal profile out of it.
      TEMPORAL_CONFIG_FILE: path.join(dataDir, 'no-temporal-profile.toml'),
    };
    const config = loadConfig(env);
    const target = temporalTarget(config, env);
    ledger = openLedger({ file: ledgerFile(dataDir) });
    await migrateLedger(ledger);
    const logger = pino({ level: 'silent' });
    installTemporalRuntime(pino({ level: 'warn' }));
    worker = await startWorker({ config, target, ledger, logger });
    api = await startApi({ config, target, ledger, logger });
    log(`worker on ${config.TEMPORAL_TASK_QUEUE}, API at ${api.url}`);

    const recorded = await runScenarios(api.url, new TextEncoder().encode(secret), api.client, config.TEMPORAL_TASK_QUEUE);
    await writeHistories(api.client, recorded);
  } finally {
    await api?.close().catch((err: Error) => log(`API close failed: ${err.message}`));
    await worker?.shutdown();
    await ledger?.destroy();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runScenarios(url: string, secret: Uint8Array, client: Client, taskQueue: string): Promise<Recorded[]> {
  const token = (sub: string, ...roles: Role[]) => mintToken(secret, { sub, roles });
  const t = {
    admin: await token('root', 'admin'),
    erp: await token('erp', 'integration'),
    grace: await token('grace', 'manager'),
    priya: await token('priya', 'owner'),
    olivia: await token('olivia', 'operator'),
    omar: await token('omar', 'operator'),
  };
  const call = async (method: string, route: string, tok: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> => {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${tok}`, ...headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { ...init.headers, 'content-type': 'application/json' };
    }
    const res = await fetch(`${url}${route}`, init);
    const text = await res.text();
    return { status: res.status, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  };
  const expectStatus = (res: HttpResult, status: number, what: string): HttpResult => {
    if (res.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  const ex = (id: string) => `/api/v1/exceptions/${encodeURIComponent(id)}`;
  const act = (id: string, action: string, tok: string, body: unknown = {}) => call('POST', `${ex(id)}/${action}`, tok, body);
  const detail = async (id: string) => expectStatus(await call('GET', ex(id), t.admin), 200, `read ${id}`).body;
  const timeline = async (id: string): Promise<Array<{ action: string }>> =>
    expectStatus(await call('GET', `${ex(id)}/timeline`, t.admin), 200, `timeline of ${id}`).body.items;
  const count = (items: Array<{ action: string }>, action: string) => items.filter((e) => e.action === action).length;
  const raise = async (capability: string, body = intake(capability)) => {
    const res = expectStatus(await call('POST', '/api/v1/exceptions', t.erp, body), 201, `intake for ${capability}`);
    return res.body.id as string;
  };

  // The world: six people, two capabilities rolled out to NA with every cell owned.
  const people: Array<[string, string | null, Role[]]> = [
    ['grace', null, ['manager']],
    ['priya', 'grace', ['owner']],
    ['li', 'grace', ['operator']],
    ['dana', 'grace', ['owner']],
    ['olivia', 'dana', ['operator']],
    ['omar', 'dana', ['operator']],
  ];
  for (const [id, managerId, roles] of people) {
    expectStatus(await call('PUT', `/api/v1/people/${id}`, t.admin, { name: id, email: `${id}@example.com`, managerId, roles }), 201, `create ${id}`);
  }
  const template = YAML.parse(readFileSync(TEMPLATE_FILE, 'utf8')) as Record<string, unknown>;
  const { businessCalendar: _calendar, ...wallTime } = template;
  for (const [capability, policy, base] of [
    [SLOW, slowPolicy, template],
    // Second-long SLAs fire whenever this runs: wall time.
    [FAST, fastPolicy, wallTime],
    [CAL, { ...slowPolicy, claimWithin: '2s' }, { ...template, timeZone: 'Europe/Berlin', businessCalendar: openCalendar }],
  ] as const) {
    const body = { ...base, id: capability, slaPolicies: { critical: policy, high: policy, medium: policy, low: policy } };
    expectStatus(await call('PUT', `/api/v1/capabilities/${capability}`, t.admin, body), 201, `create ${capability}`);
    expectStatus(await call('PUT', `/api/v1/capabilities/${capability}/regions/NA`, t.admin, {}), 201, `roll ${capability} out to NA`);
    for (const area of ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training']) {
      const res = await call('PUT', `/api/v1/capabilities/${capability}/ownership/NA/${area}`, t.admin, { owner: 'priya', backup: 'li', escalation: ['dana'], reason: 'initial owners' });
      expectStatus(res, 200, `own ${capability} NA/${area}`);
    }
  }
  log('world built');

  // (a) Intake → claim → comment → resolve with a value event.
  const lifecycle = await raise(SLOW);
  expectStatus(await act(lifecycle, 'claim', t.olivia), 200, 'claim');
  expectStatus(await act(lifecycle, 'claim', t.olivia), 200, 'claim again: the lease renews, recorded');
  expectStatus(await act(lifecycle, 'comments', t.olivia, { text: 'Checked the contract: the price list expired.' }), 200, 'comment');
  expectStatus(await act(lifecycle, 'resolve', t.olivia, { code: 'supplier-price-corrected', note: 'Re-issued at contract price', valueEvent: 'rework-avoided' }), 200, 'resolve');
  log(`(a) lifecycle: ${lifecycle}`);

  // (e) The same intake again, then three at once: all answer the one exception. Omar claims it; it
  // stays open (in flight), so the matrix change and omar's departure below reach it too.
  const dupBody = intake(SLOW);
  const duplicate = await raise(SLOW, dupBody);
  const again = expectStatus(await call('POST', '/api/v1/exceptions', t.erp, dupBody), 200, 'duplicate intake');
  const burst = await Promise.all([1, 2, 3].map(() => call('POST', '/api/v1/exceptions', t.erp, dupBody)));
  for (const res of [again, ...burst]) {
    expectStatus(res, 200, 'duplicate intake');
    if (res.body.id !== duplicate) throw new Error(`duplicate intake answered ${res.body.id}, not ${duplicate}`);
  }
  expectStatus(await act(duplicate, 'claim', t.omar), 200, 'claim the duplicate');
  log(`(e) duplicate intake: ${duplicate}`);

  // (b), (c) and (d) run on timers of a few seconds; run them side by side.
  // (g) An exception raised before calendars (shape 3, as the API started them then) hears of a calendar
  // change: it asks patched('calendar-changes') and counts in the new calendar from then on.
  const shape3 = `exception:${SLOW}:PO-REPLAY-SHAPE3-${randomUUID().slice(0, 8)}`;
  {
    const facts = intake(SLOW);
    const input: ExceptionInput = {
      id: shape3,
      intakeId: randomUUID(),
      shape: 3,
      route: { owner: 'priya', ownerSource: 'owner', backup: 'li', escalation: ['dana'], managerOfOwner: 'grace', matrixVersion: 1 },
      capability: SLOW,
      region: 'NA',
      type: 'price-variance',
      area: 'business-rules',
      severity: 'high',
      title: facts.title,
      confidence: facts.confidence,
      sourceRefs: facts.sourceRefs,
      qualityChecks: facts.qualityChecks,
      payload: facts.payload,
      policy: slowPolicy,
      valueEvents: ['rework-avoided'],
      webhook: null,
      raisedBy: 'erp',
    };
    const handle = await client.workflow.start('exceptionWorkflow', { workflowId: shape3, taskQueue, args: [input] });
    await handle.executeUpdate(intakeUpdate, { args: [{ intakeId: input.intakeId }] });
    await handle.signal(calendarChanged, { calendar: workCalendar('Europe/Berlin', openCalendar), actor: 'root', reason: 'the business calendar changed' });
    await waitFor(`${shape3} to take the calendar change`, () => timeline(shape3), (items) => count(items, 'calendar-changed') >= 1, 15_000);
    expectStatus(await act(shape3, 'claim', t.olivia), 200, 'claim the shape-3 exception');
    expectStatus(await act(shape3, 'resolve', t.olivia, { code: 'supplier-price-corrected' }), 200, 'resolve the shape-3 exception');
    log(`(g) shape 3 with a calendar change: ${shape3}`);
  }

  const [escalated, leased, snoozed, waited] = await Promise.all([
    (async () => {
      // (b) Nobody claims: backup, escalation[0], manager-of-owner, then two repeats; then the owner dismisses.
      const id = await raise(FAST);
      await waitFor(`${id} to escalate five times`, () => timeline(id), (items) => count(items, 'escalated') >= 5, 30_000);
      expectStatus(await act(id, 'dismiss', t.priya, { reason: 'Duplicate of a supplier ticket already being handled' }), 200, 'dismiss');
      return id;
    })(),
    (async () => {
      // (c) A claim whose lease runs out returns to the queue; another operator claims and resolves it.
      const id = await raise(FAST);
      expectStatus(await act(id, 'claim', t.olivia), 200, 'claim');
      await waitFor(`${id} lease to expire`, () => detail(id), (e) => e.status === 'open', 30_000);
      expectStatus(await act(id, 'claim', t.omar), 200, 'reclaim');
      expectStatus(await act(id, 'resolve', t.omar, { code: 'price-confirmed', valueEvent: 'recommendation-accepted' }), 200, 'resolve');
      return id;
    })(),
    (async () => {
      // (d) The owner snoozes it for three seconds; once it wakes, the owner resolves it.
      const id = await raise(FAST);
      const until = new Date(Date.now() + 3000).toISOString();
      expectStatus(await act(id, 'snooze', t.priya, { until, reason: 'waiting for the supplier' }), 200, 'snooze');
      await waitFor(`${id} snooze to end`, () => timeline(id), (items) => count(items, 'snooze-ended') >= 1, 30_000);
      expectStatus(await act(id, 'resolve', t.priya, { code: 'supplier-data-fixed', valueEvent: 'supplier-data-fixed' }), 200, 'resolve');
      return id;
    })(),
    (async () => {
      // (f) Calendars (shape 4): claim warnings at 50 % and 75 %; claimed, waiting on a supplier; the
      // region's calendar changes (a signal); fresh data resumes it; waiting again until a date, which
      // resumes it by timer; resolved.
      const body = intake(CAL);
      const id = await raise(CAL, body);
      await waitFor(`${id} to warn twice`, () => timeline(id), (items) => count(items, 'warning') >= 2, 15_000);
      expectStatus(await act(id, 'claim', t.olivia), 200, 'claim on a calendar');
      expectStatus(await act(id, 'waiting', t.olivia, { reason: 'supplier', note: 'asked for the price list' }), 200, 'wait on a supplier');
      const changed = { businessCalendar: { ...openCalendar, holidays: ['2031-01-01'] } };
      expectStatus(await call('PUT', `/api/v1/capabilities/${CAL}/regions/NA`, t.admin, changed), 200, 'change the calendar');
      await waitFor(`${id} to take the calendar change`, () => timeline(id), (items) => count(items, 'calendar-changed') >= 1, 15_000);
      const fresh = { ...body, payload: { ...body.payload, unitPrice: 10.0 } };
      expectStatus(await call('POST', '/api/v1/exceptions', t.erp, fresh), 200, 'fresh data');
      await waitFor(`${id} to resume on fresh data`, () => timeline(id), (items) => count(items, 'resumed') >= 1, 15_000);
      expectStatus(await act(id, 'waiting', t.olivia, { reason: 'another-team', until: new Date(Date.now() + 1500).toISOString() }), 200, 'wait until a date');
      await waitFor(`${id} to resume at its date`, () => timeline(id), (items) => count(items, 'resumed') >= 2, 15_000);
      expectStatus(await act(id, 'resolve', t.olivia, { code: 'supplier-price-corrected' }), 200, 'resolve after waiting');
      return id;
    })(),
  ]);
  log(`(b) escalation: ${escalated}`);
  log(`(c) lease expiry: ${leased}`);
  log(`(d) snooze: ${snoozed}`);

  // (f) The people directory: a new person, updates, a leave and return (a status change reroutes
  // their work), and refusals (a cycle, an unknown manager).
  const person = (id: string, body: object) => call('PUT', `/api/v1/people/${id}`, t.admin, { name: id, email: `${id}@example.com`, ...body });
  expectStatus(await call('PUT', '/api/v1/people/amara', t.grace, { name: 'Amara O', email: 'amara@example.com', managerId: 'grace', reason: 'joined the run team' }), 201, 'create amara');
  expectStatus(await call('PUT', '/api/v1/people/amara', t.grace, { name: 'Amara Okafor', email: 'amara@example.com', managerId: 'dana', reason: 'moved teams' }), 200, 'update amara');
  expectStatus(await person('li', { name: 'Li Wei', managerId: 'dana', roles: ['operator'] }), 200, 'update li');
  expectStatus(await person('olivia', { managerId: 'dana', roles: ['operator'], status: 'on-leave', reason: 'parental leave' }), 200, 'olivia on leave');
  expectStatus(await person('olivia', { managerId: 'dana', roles: ['operator'], status: 'active', reason: 'back from leave' }), 200, 'olivia back');
  expectStatus(await person('grace', { managerId: 'li', roles: ['manager'] }), 422, 'refuse a management cycle');
  expectStatus(await person('omar', { managerId: 'nobody' }), 422, 'refuse an unknown manager');
  log('(f) people directory: people:directory');

  // (f) The ownership matrix of the slow capability: EMEA rolled out, assignments (one moves the open
  // duplicate to Dana), and a refused stale version.
  const own = `/api/v1/capabilities/${SLOW}/ownership`;
  expectStatus(await call('PUT', `/api/v1/capabilities/${SLOW}/regions/EMEA`, t.admin, {}), 201, 'roll out to EMEA');
  const version = expectStatus(await call('GET', own, t.grace), 200, 'read matrix').body.version as number;
  expectStatus(await call('PUT', `${own}/EMEA/business-rules`, t.grace, { owner: 'dana', backup: 'li', escalation: ['grace'], reason: 'regional lead', expectedVersion: version }), 200, 'assign EMEA');
  const stale = await call('PUT', `${own}/EMEA/model-retraining`, t.grace, { owner: 'priya', reason: 'stale write' }, { 'if-match': `"${version}"` });
  expectStatus(stale, 409, 'refuse a stale version');
  expectStatus(await call('PUT', `${own}/EMEA/model-retraining`, t.grace, { owner: 'priya', backup: 'dana', reason: 'model owner', expectedVersion: version + 1 }), 200, 'assign EMEA');
  expectStatus(await call('PUT', `${own}/NA/adoption-training`, t.grace, { owner: 'dana', backup: 'omar', escalation: ['grace'], reason: 'training moves to Dana' }), 200, 'reassign NA');
  expectStatus(await call('PUT', `${own}/NA/business-rules`, t.grace, { owner: 'dana', backup: 'li', escalation: ['grace'], reason: 'pricing moves to Dana' }), 200, 'reassign NA');
  await waitFor(`${duplicate} to move to dana`, () => detail(duplicate), (e) => e.owner === 'dana', 30_000);
  const matrixId = ownershipId(SLOW);
  log(`(f) ownership matrix: ${matrixId}`);

  // Omar leaves: his backup cell passes on and his claim on the open duplicate is released.
  const sweep = expectStatus(await call('POST', '/api/v1/people/omar/departure', t.grace, { reason: 'left the company' }), 200, 'departure sweep');
  const departureId = sweep.body.sweepId as string;
  await waitFor(`${duplicate} claim to be released`, () => detail(duplicate), (e) => e.claimant === null, 30_000);
  log(`(f) departure sweep: ${departureId}`);

  // (g) Attestation campaigns on the fast capability: one runs to its deadline (a confirm, a decline,
  // the reminder, the rest expire); another is cancelled by its manager.
  const attest = `/api/v1/capabilities/${FAST}/attestations`;
  const campaign = expectStatus(await call('POST', attest, t.grace, { within: '5s', remindBefore: '3s' }), 201, 'start a campaign').body.campaignId as string;
  const answers = `${attest}/${encodeURIComponent(campaign)}/answers`;
  expectStatus(await call('POST', answers, t.priya, { region: 'NA', area: 'business-rules', answer: 'confirm' }), 200, 'confirm');
  expectStatus(await call('POST', answers, t.priya, { region: 'NA', area: 'business-rules', answer: 'confirm' }), 409, 'refuse a second answer');
  expectStatus(await call('POST', answers, await token('li', 'operator'), { region: 'NA', area: 'exception-queue', answer: 'decline', reason: 'moving teams' }), 200, 'decline');
  await waitFor(`${campaign} to close`, () => call('GET', `${attest}/${encodeURIComponent(campaign)}`, t.grace), (r) => r.body.status === 'completed', 30_000);
  log(`(g) attestation campaign: ${campaign}`);
  const cancelled = expectStatus(await call('POST', attest, t.grace, { within: '1h', remindBefore: '10m' }), 201, 'start a campaign').body.campaignId as string;
  expectStatus(await call('POST', `${attest}/${encodeURIComponent(cancelled)}/cancel`, t.grace, { reason: 'wrong quarter' }), 200, 'cancel');
  log(`(g) cancelled attestation campaign: ${cancelled}`);

  // The deep readiness check runs the self-check workflow through the worker.
  expectStatus(await call('GET', '/readyz?deep=true', t.admin), 200, 'deep readiness');
  const selfCheck = await waitFor(
    'the self-check workflow to be listed',
    async () => {
      for await (const execution of client.workflow.list({ query: "WorkflowType = 'selfCheckWorkflow'" })) return execution.workflowId;
      return undefined;
    },
    (id) => id !== undefined,
    15_000,
  );
  log(`self-check: ${selfCheck}`);

  // The readiness-daily Schedule's workflow, started by hand (the Schedule fires after midnight UTC).
  const readinessDaily = `readiness-daily-recorded-${randomUUID()}`;
  await client.workflow.execute('readinessDailyWorkflow', { workflowId: readinessDaily, taskQueue, args: [{}] });
  log(`readiness daily: ${readinessDaily}`);

  // A decision item (workflows/decision), on a capability of its own whose one trigger fires on a single
  // resolution and falls due in two seconds: raised and routed, escalated, deferred and raised again by its
  // timer, moved by a matrix change, decided. Then the schedule's workflow by hand: the trigger is quiet.
  const DECIDE = 'po-replay-decide';
  const decideTemplate = {
    ...template,
    id: DECIDE,
    slaPolicies: { critical: slowPolicy, high: slowPolicy, medium: slowPolicy, low: slowPolicy },
    decisionTriggers: { 'price-repeats': { area: 'business-rules', kind: 'repeated-resolution', exceptionType: 'price-variance', threshold: 1, window: '1d', dueIn: '2s', escalation: [{ after: '1s', notify: 'backup' }] } },
  };
  expectStatus(await call('PUT', `/api/v1/capabilities/${DECIDE}`, t.admin, decideTemplate), 201, `create ${DECIDE}`);
  expectStatus(await call('PUT', `/api/v1/capabilities/${DECIDE}/regions/NA`, t.admin, {}), 201, `roll ${DECIDE} out to NA`);
  expectStatus(await call('PUT', `/api/v1/capabilities/${DECIDE}/ownership/NA/business-rules`, t.admin, { owner: 'priya', backup: 'li', escalation: ['dana'], reason: 'initial owners' }), 200, 'own business-rules');
  const priced = await raise(DECIDE);
  expectStatus(await act(priced, 'claim', t.olivia), 200, 'claim');
  expectStatus(await act(priced, 'resolve', t.olivia, { code: 'accepted-supplier-price' }), 200, 'resolve');
  const fired = expectStatus(await call('POST', '/api/v1/decisions/evaluate', t.grace, { capability: DECIDE }), 200, 'evaluate triggers');
  const decision = fired.body.raised[0] as string;
  const dec = `/api/v1/decisions/${encodeURIComponent(decision)}`;
  const readDecision = async () => expectStatus(await call('GET', dec, t.grace), 200, `read ${decision}`).body;
  await waitFor(`${decision} to escalate`, readDecision, (d) => d.escalationLevel >= 1, 30_000);
  expectStatus(await call('POST', `${dec}/outcome`, t.priya, { outcome: 'deferred', until: new Date(Date.now() + 2000).toISOString(), reason: 'after the quarter close' }), 200, 'defer');
  await waitFor(`${decision} to be raised again`, readDecision, (d) => d.status === 'open', 30_000);
  expectStatus(await call('PUT', `/api/v1/capabilities/${DECIDE}/ownership/NA/business-rules`, t.grace, { owner: 'dana', backup: 'li', escalation: ['grace'], reason: 'pricing moves to Dana' }), 200, 'reassign');
  await waitFor(`${decision} to move to dana`, readDecision, (d) => d.owner === 'dana', 30_000);
  const dana = await token('dana', 'owner');
  expectStatus(await call('POST', `${dec}/outcome`, dana, { outcome: 'decided', action: 'change-rule', rule: 'price-variance tolerance', change: 'from 5% to 8% for SUP-0042' }), 200, 'decide');
  const decisionWorkflowIdOf = (id: string) => id.slice(0, id.lastIndexOf('@'));
  log(`decision: ${decision}`);
  const triggersRun = `decision-triggers-recorded-${randomUUID()}`;
  await client.workflow.execute('decisionTriggersWorkflow', { workflowId: triggersRun, taskQueue, args: [{ capability: DECIDE }] });
  log(`decision triggers: ${triggersRun}`);

  return [
    { scenario: 'decision-deferred-decided', workflowId: decisionWorkflowIdOf(decision), closed: true },
    { scenario: 'decision-triggers', workflowId: triggersRun, closed: true },
    { scenario: 'exception-lifecycle-resolved', workflowId: lifecycle, closed: true },
    { scenario: 'exception-escalated-dismissed', workflowId: escalated, closed: true },
    { scenario: 'exception-lease-expired-reclaimed', workflowId: leased, closed: true },
    { scenario: 'exception-snoozed-resolved', workflowId: snoozed, closed: true },
    { scenario: 'exception-calendar-waiting-resolved', workflowId: waited, closed: true },
    { scenario: 'exception-shape3-calendar-change', workflowId: shape3, closed: true },
    // The calendar change above (PUT …/regions/NA) was told by the region's broadcast workflow.
    { scenario: 'calendar-broadcast', workflowId: calendarBroadcastId(CAL, 'NA'), closed: true },
    { scenario: 'exception-duplicate-intake-open', workflowId: duplicate, closed: false },
    { scenario: 'people-directory', workflowId: 'people:directory', closed: false },
    { scenario: 'ownership-matrix', workflowId: matrixId, closed: false },
    { scenario: 'departure-sweep', workflowId: departureId, closed: true },
    { scenario: 'self-check', workflowId: selfCheck!, closed: true },
    { scenario: 'readiness-daily', workflowId: readinessDaily, closed: true },
    { scenario: 'attestation-completed', workflowId: campaign, closed: true },
    { scenario: 'attestation-cancelled', workflowId: cancelled, closed: true },
  ];
}

/** Waits until each workflow is closed, or (still running) has no workflow task in flight, then writes its history. */
async function writeHistories(client: Client, recorded: Recorded[]): Promise<void> {
  const files: Array<{ file: string; json: string; line: string }> = [];
  // `--only a,b` (or RECORD_ONLY=a,b) writes only those scenarios' files: a new workflow's history without re-recording the others.
  const onlyAt = process.argv.indexOf('--only');
  const onlyList = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '') : (process.env.RECORD_ONLY ?? '');
  const only = onlyList ? new Set(onlyList.split(',').map((x) => x.trim()).filter(Boolean)) : null;
  for (const { scenario, workflowId, closed } of recorded.filter((r) => !only || only.has(r.scenario))) {
    const handle = client.workflow.getHandle(workflowId);
    const description = await waitFor(
      `${workflowId} to settle`,
      () => handle.describe(),
      (d) => (closed ? d.status.name === 'COMPLETED' : d.status.name === 'RUNNING' && !d.raw.pendingWorkflowTask),
      30_000,
    );
    const history = await handle.fetchHistory();
    const json = `${toJSON(history)}\n`;
    const events = history.events?.length ?? 0;
    // The file must read back as the same history.
    const back = fromJSON(JSON.parse(json));
    if ((back.events?.length ?? 0) !== events || events === 0) throw new Error(`${scenario}: the history does not round-trip (${events} events)`);
    const file = `${scenario}.json`;
    files.push({ file, json, line: `${file}: ${description.type} ${workflowId} (${description.status.name}, ${events} events)` });
  }
  mkdirSync(HISTORIES_DIR, { recursive: true });
  for (const { file, json } of files) writeFileSync(path.join(HISTORIES_DIR, file), json);
  log(`wrote ${files.length} histories to ${path.relative(process.cwd(), HISTORIES_DIR) || HISTORIES_DIR}:`);
  for (const { line } of files) log(`  ${line}`);
  const written = new Set(files.map((f) => f.file));
  const kept = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json') && !written.has(f));
  if (kept.length) log(`kept (not recorded by this script): ${kept.join(', ')}`);
}

/**
 * `historyToJSON` / `historyFromJSON` from @temporalio/common, with a fallback for the install this
 * project has: npm nests a second copy of protobufjs 8 under @temporalio/common and @temporalio/proto
 * (the hoisted one is grpc's 7.x), so common's protojson refuses the History type that proto's copy
 * built ("type must be a Type"). The fallback does the same conversion with protobufjs from the
 * @temporalio/proto that @temporalio/common loads. test/replay/replay.test.ts reads files the same way.
 */
function toJSON(history: History): string {
  try {
    return historyToJSON(history);
  } catch (err) {
    if (!isSplitProtobufjs(err)) throw err;
    const { root, type, protojson } = protoCopy();
    return JSON.stringify(protojson.toJson(type, root.temporal.api.history.v1.History.fromObject(history)), null, 2);
  }
}

function fromJSON(json: unknown): History {
  try {
    return historyFromJSON(json);
  } catch (err) {
    if (!isSplitProtobufjs(err)) throw err;
    const { type, protojson } = protoCopy();
    return protojson.fromJson(type, json, { ignoreUnknownFields: true });
  }
}

const isSplitProtobufjs = (err: unknown) => err instanceof TypeError && err.message === 'type must be a Type';

function protoCopy() {
  const requireFromCommon = createRequire(createRequire(import.meta.url).resolve('@temporalio/common'));
  const protoEntry = requireFromCommon.resolve('@temporalio/proto');
  const root = requireFromCommon(protoEntry) as {
    lookupType(name: string): unknown;
    temporal: { api: { history: { v1: { History: { fromObject(history: object): unknown } } } } };
  };
  const protojson = createRequire(protoEntry)('protobufjs/ext/protojson') as {
    toJson(type: unknown, message: unknown): unknown;
    fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History;
  };
  return { root, type: root.lookupType('temporal.api.history.v1.History'), protojson };
}

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const ownershipId = (capability: string) => `ownership:${capability}`;

let counter = 0;
/** A valid price-variance intake in NA (business-rules, high severity). */
function intake(capability: string) {
  counter += 1;
  return priceVarianceIntake(capability, 'NA', `PO-REPLAY-${counter}-${randomUUID().slice(0, 8)}`);
}

main().catch((err: unknown) => {
  console.error(`record-histories failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
