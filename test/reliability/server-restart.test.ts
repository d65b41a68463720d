import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintToken } from '../../api/auth.js';
import { ledgerFile, openLedger, type LedgerDb } from '../../ledger/db.js';
import { http } from '../http.js';
import { TEST_SECRET, type Stack } from '../stack.js';
import { buildWorld, eventually, priceVariance } from '../world.js';
import { ledgerAnomalies, ledgerDisagreementsAt, statusCounts } from './ledger-checks.js';
import { startApiProcess, startOwnTemporal, startWorkerProcess, tempDir, type Deployment, type OwnTemporal, type Proc } from './processes.js';
import { inParallel, report, retried, retryBusy, scaled } from './soak.js';

/** Nobody claims: the claim SLA lapses after intake (longer in the soak, where raising takes longer), then the first escalation. */
const claimWithinSeconds = scaled(10, 120);
const outagePolicy = {
  claimWithin: `${claimWithinSeconds}s`,
  resolveWithin: '1h',
  claimLease: '1h',
  escalation: [
    { after: '1s', notify: 'backup' },
    { after: '1h', notify: 'escalation[0]' },
  ],
};

let temporal: OwnTemporal;
let deployment: Deployment;
let worker: Proc;
let api: Proc & { url: string };
let ledger: LedgerDb;
let w: Awaited<ReturnType<typeof buildWorld>>;
const secret = new TextEncoder().encode(TEST_SECRET);

beforeAll(async () => {
  const dataDir = tempDir('server-restart');
  const logDir = tempDir('server-restart-logs');
  temporal = await startOwnTemporal(dataDir, logDir);
  deployment = { temporalAddress: temporal.address, namespace: 'default', taskQueue: 'reliability', dataDir, logDir, workflowBundle: inject('workflowBundlePath') };
  worker = await startWorkerProcess(deployment);
  api = await startApiProcess(deployment);
  ledger = openLedger({ file: ledgerFile(dataDir) });
  const stackLike = { url: api.url, token: (sub: string, ...roles: string[]) => mintToken(secret, { sub, roles: roles as never }) } as unknown as Stack;
  w = await buildWorld(stackLike, { id: 'po-outage', policy: outagePolicy });
}, 240_000);

afterAll(async () => {
  await api?.kill();
  await worker?.kill();
  await temporal?.proc.kill('SIGTERM');
  await ledger?.destroy();
});

async function raiseBatch(count: number): Promise<string[]> {
  return inParallel(Array.from({ length: count }), 25, async () => {
    const body = priceVariance('po-outage');
    const res = await retryBusy(() => http(`${api.url}/api/v1/exceptions`, { token: w.integration, body }));
    // 200 when a retry finds the exception its first, refused attempt already raised.
    expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
    return res.body.id as string;
  });
}

async function runningExceptionWorkflows(): Promise<number> {
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const { count } = await client.workflow.count(`WorkflowType = 'exceptionWorkflow' AND ExecutionStatus = 'Running'`);
    return count;
  } finally {
    await connection.close();
  }
}

const escalatedAmong = async (ids: string[]) =>
  (await ledger.selectFrom('exceptions').select('id').where('id', 'in', ids).where('escalation_level', '>', 0).execute()).length;

describe('the Temporal dev server stopped with open exceptions and pending SLA timers', () => {
  const rounds: Array<{ signal: NodeJS.Signals; ids: string[] }> = [];
  const count = scaled(30, 1000);

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`keeps every open exception and fires the timers that fell due after a ${signal}`, async () => {
      const started = Date.now();
      const ids = await raiseBatch(count);
      rounds.push({ signal, ids });
      const raisedAt = Date.now();
      const escalatedBeforeStop = await escalatedAmong(ids);
      expect(escalatedBeforeStop, 'timers are pending when the server stops').toBeLessThan(count);
      await temporal.proc.kill(signal);
      // Down until every claim SLA and first escalation step has fallen due.
      await new Promise((r) => setTimeout(r, Math.max(0, raisedAt + (claimWithinSeconds + 3) * 1000 - Date.now())));
      await temporal.restart();
      const escalated = await eventually(() => escalatedAmong(ids), (n) => n === count, 120_000);
      expect(escalated).toBe(count);
      const open = rounds.reduce((n, r) => n + r.ids.length, 0);
      expect(await eventually(runningExceptionWorkflows, (n) => n === open, 30_000)).toBe(open);
      expect(await statusCounts(ledger)).toEqual({ open });
      expect(await ledgerAnomalies(ledger)).toEqual([]);
      expect(await ledgerDisagreementsAt(ledger, temporal.address, 'default')).toEqual([]);
      const workerSurvived = worker.child.exitCode === null && worker.child.signalCode === null;
      report(`server-restart.${signal}`, { raised: count, open, escalatedBeforeStop, escalatedAfterRestart: escalated, lost: open - (await statusCounts(ledger)).open!, workerSurvived, retriedBusy: retried.count, seconds: (Date.now() - started) / 1000 });
    }, scaled(600_000, 1_800_000));
  }

  it('keeps every exception through an API restart (kill -9) on the same ledger file, and the new API acts on them', async () => {
    const open = rounds.reduce((n, r) => n + r.ids.length, 0);
    await api.kill('SIGKILL');
    api = await startApiProcess(deployment, 'api-2');
    let listed = 0;
    let cursor: string | null = null;
    do {
      const page: { body: { items: unknown[]; nextCursor: string | null } } = await http(`${api.url}/api/v1/exceptions?status=open&limit=500${cursor ? `&cursor=${cursor}` : ''}`, { token: w.admin });
      listed += page.body.items.length;
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(listed).toBe(open);
    const sample = rounds.flatMap((r) => r.ids.slice(0, 5));
    for (const id of sample) {
      const claim = await http(`${api.url}/api/v1/exceptions/${encodeURIComponent(id)}/claim`, { token: w.olivia, body: {} });
      expect(claim.status, JSON.stringify(claim.body)).toBe(200);
      const resolve = await http(`${api.url}/api/v1/exceptions/${encodeURIComponent(id)}/resolve`, { token: w.olivia, body: { code: 'supplier-price-corrected' } });
      expect(resolve.status, JSON.stringify(resolve.body)).toBe(200);
    }
    expect(await statusCounts(ledger)).toEqual({ open: open - sample.length, resolved: sample.length });
    expect(await ledgerAnomalies(ledger)).toEqual([]);
    expect(await ledgerDisagreementsAt(ledger, temporal.address, 'default')).toEqual([]);
    report('server-restart.api', { listedAfterApiRestart: listed, actedOn: sample.length, lost: open - listed });
  }, scaled(300_000, 1_800_000));
});
