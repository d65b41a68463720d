import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../api/auth.js';
import type { Role } from '../../domain/principal.js';
import { openLedger, type LedgerDb } from '../../ledger/db.js';
import { startCluster, type Cluster } from '../../server/cluster.js';
import { verifyLedger } from '../../worker/ledger-verify.js';
import { ledgerAnomalies } from '../reliability/ledger-checks.js';
import type { Stack } from '../stack.js';
import { buildWorld, enrolOperators, eventually, priceVariance, slowPolicy } from '../world.js';
import { Clients, withClients } from './clients.js';
import { CpuMeter } from '../../bench/cluster-cpu.js';

/**
 * `npm run test:cluster` (issue 14, item 5): exception-desk on the cluster `npm run cluster` starts
 * (PostgreSQL, the full Temporal server with 8 history shards as four processes, 2 APIs, 2 workers),
 * under load from several clients spread over both APIs, while a worker, an API and Temporal's history
 * service are killed with kill -9. Then every exception must be accounted for, every escalation that
 * fell due must have fired, and ledger:verify must find 0 differences.
 *
 * CLUSTER_EXCEPTIONS sets the lifecycle count (default 1000, the figure: about 5 minutes for the
 * whole file on 2 shared cores, see docs/scale-out.md); CLUSTER_CLIENTS the clients at once;
 * CLUSTER_KEEP=1 keeps the cluster's folder (logs of every process) after the run, as a failure does.
 */
const LIFECYCLES = Number(process.env.CLUSTER_EXCEPTIONS ?? 1000);
const CLIENTS = Number(process.env.CLUSTER_CLIENTS ?? 8);
const RACES = 20;
const RACERS = 50;
/** Left unclaimed: the claim SLA lapses mid-load, and the first escalation step is due a second later. */
const ESCALATING = Math.max(10, Math.round(LIFECYCLES / 10));
const escalationPolicy = { ...slowPolicy, claimWithin: '30s', escalation: [{ after: '1s', notify: 'backup' }, { after: '1h', notify: 'escalation[0]' }] };

const report = (what: string, figures: Record<string, unknown>) => console.error(`[cluster] ${what} ${JSON.stringify(figures)}`);

let dir: string;
let cluster: Cluster;
let ledger: LedgerDb;
let connection: Connection;
let temporal: Client;
let clients: Clients;
let w: Awaited<ReturnType<typeof buildWorld>>;
let operators: string[];
let owner: string;
let failed = false;
const raced: string[] = [];
const escalating: string[] = [];
const lifecycles: Array<{ id: string; expect: 'resolved' | 'dismissed' }> = [];
const started = Date.now();

beforeAll(async () => {
  dir = mkdtempSync(nodePath.join(os.tmpdir(), 'exception-desk-test-cluster-'));
  cluster = await startCluster({ dir, apis: 2, workers: 2, env: { LOG_LEVEL: 'warn' }, log: (line) => console.error(`[cluster] ${line}`) });
  report('started', { seconds: (Date.now() - started) / 1000, temporal: cluster.temporal.address, apis: cluster.apis.map((a) => a.url) });
  ledger = openLedger({ url: cluster.ledgerUrl });
  connection = await Connection.connect({ address: cluster.temporal.address });
  temporal = new Client({ connection, namespace: cluster.namespace });
  clients = new Clients(() => cluster.apis.map((a) => a.url!));
  const secret = new TextEncoder().encode(readFileSync(cluster.secretFile, 'utf8').trim());
  const token = (sub: string, ...roles: Role[]) => mintToken(secret, { sub, roles, ttl: '2h' });
  const viaFirstApi = { url: cluster.apis[0]!.url, token } as unknown as Stack;
  w = await buildWorld(viaFirstApi, { id: 'po-cluster' });
  await buildWorld(viaFirstApi, { id: 'po-cluster-sla', policy: escalationPolicy });
  operators = await enrolOperators(viaFirstApi, w.admin, 'cluster-op', RACERS);
  owner = w.priya;
}, 600_000);

afterAll(async () => {
  await ledger?.destroy();
  await connection?.close();
  await cluster?.stop();
  if (failed || process.env.CLUSTER_KEEP) console.error(`[cluster] kept ${dir} (logs in ${dir}/logs)`);
  else if (dir) rmSync(dir, { recursive: true, force: true });
  report('total', { seconds: (Date.now() - started) / 1000 });
}, 180_000);

/** Raising goes to the client's API; a retried intake finds the exception its first attempt raised (200). */
async function raise(client: number, capability: string): Promise<string> {
  const res = await clients.send(client, '/api/v1/exceptions', { token: w.integration, body: priceVariance(capability) });
  expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  return res.body.id as string;
}

const track = <T>(run: () => Promise<T>) =>
  run().catch((err: unknown) => {
    failed = true;
    throw err;
  });

describe(`exception-desk on a multi-shard Temporal cluster on PostgreSQL (${LIFECYCLES} lifecycles, ${CLIENTS} clients)`, () => {
  it(`gives each of ${RACES} exceptions one winner in a ${RACERS}-way claim race spread over both APIs`, () =>
    track(async () => {
      const t0 = Date.now();
      await withClients(Array.from({ length: RACES }), 2, async (_, lane, race) => {
        const id = await raise(race, 'po-cluster');
        raced.push(id);
        const claims = await Promise.all(operators.map((token, i) => clients.send(i, `/api/v1/exceptions/${encodeURIComponent(id)}/claim`, { token, body: {} })));
        expect(claims.filter((c) => c.status !== 200 && c.status !== 409).map((c) => c.body)).toEqual([]);
        expect(claims.filter((c) => c.status === 200), `race ${race} on ${id}`).toHaveLength(1);
        const timeline = await clients.send(lane + 1, `/api/v1/exceptions/${encodeURIComponent(id)}/timeline`, { method: 'GET', token: w.admin });
        expect(timeline.body.items.filter((e: { action: string }) => e.action === 'claimed')).toHaveLength(1);
      });
      report('claim-race', { races: RACES, racers: RACERS, seconds: (Date.now() - t0) / 1000 });
    }), 600_000);

  it(`carries ${LIFECYCLES} exceptions through full lifecycles while a worker, an API and Temporal's history service are killed with kill -9`, () =>
    track(async () => {
      const t0 = Date.now();
      // Their claim SLA lapses while the faults below happen: their timers must survive them.
      await withClients(Array.from({ length: ESCALATING }), CLIENTS, async (_, client) => void escalating.push(await raise(client, 'po-cluster-sla')));
      let done = 0;
      const cpu = new CpuMeter(cluster);
      const faults: Array<Record<string, unknown>> = [];
      const whenDone = async (share: number) => {
        while (done < LIFECYCLES * share) await new Promise((r) => setTimeout(r, 100));
      };
      const chaos = (async () => {
        await whenDone(0.2);
        faults.push({ fault: 'kill -9 worker-1 and api-1', atLifecycle: done });
        cpu.settle('worker-1');
        cpu.settle('api-1');
        await Promise.all([cluster.kill('worker-1'), cluster.kill('api-1')]);
        await whenDone(0.4);
        const down = Date.now();
        faults.push({ fault: 'kill -9 temporal-history', atLifecycle: done });
        cpu.settle('temporal-history');
        await cluster.kill('temporal-history');
        await new Promise((r) => setTimeout(r, 3_000));
        await cluster.restart('temporal-history');
        faults.push({ fault: 'temporal-history serving again', atLifecycle: done, secondsDown: (Date.now() - down) / 1000 });
        await whenDone(0.6);
        await Promise.all([cluster.restart('api-1'), cluster.restart('worker-1')]);
        faults.push({ fault: 'api-1 and worker-1 started again', atLifecycle: done });
      })();

      const failures: string[] = [];
      await withClients(Array.from({ length: LIFECYCLES }), CLIENTS, async (_, client, i) => {
        try {
          const id = await raise(client, 'po-cluster');
          const operator = operators[i % operators.length]!;
          const claimedBy = (by: string) => (e: any) => e.claimant === by || e.status === 'resolved';
          if (i % 10 === 9) {
            await clients.act(client, id, 'dismiss', owner, { reason: 'duplicate of another PO line' }, (e) => e.status === 'dismissed');
            lifecycles.push({ id, expect: 'dismissed' });
          } else {
            if (i % 10 === 8) {
              // Claimed, handed back, then claimed and resolved by someone else.
              await clients.act(client, id, 'claim', w.olivia, {}, claimedBy('olivia'));
              await clients.act(client, id, 'release', w.olivia, { reason: 'needs the buyer' }, (e) => e.status === 'open');
            }
            const resolver = i % 10 === 8 ? w.omar : operator;
            const sub = i % 10 === 8 ? 'omar' : `cluster-op${i % operators.length}`;
            await clients.act(client, id, 'claim', resolver, {}, claimedBy(sub));
            await clients.act(client, id, 'resolve', resolver, { code: 'supplier-price-corrected' }, (e) => e.status === 'resolved');
            lifecycles.push({ id, expect: 'resolved' });
          }
        } catch (err) {
          failures.push((err as Error).message);
        } finally {
          done++;
        }
      });
      await chaos;
      const seconds = (Date.now() - t0) / 1000;
      const used = cpu.finish();
      const cpuMsPerLifecycle = Object.fromEntries(Object.entries(used.cpuSeconds).map(([k, v]) => [k, Math.round((v * 1000) / LIFECYCLES)]));
      // What the machine's cores gave the cluster, against what they could have (others share them).
      const busy = Object.values(used.cpuSeconds).reduce((a, b) => a + b, 0);
      report('cpu', { ...used, cpuMsPerLifecycle, clusterShareOfCores: Math.round((busy / (used.wallSeconds * os.cpus().length)) * 100) / 100 });
      report('load', { lifecycles: LIFECYCLES, escalating: ESCALATING, clients: CLIENTS, seconds, perSecond: LIFECYCLES / seconds, retried: clients.retried, failedOver: clients.failedOver, faults });
      expect(failures.slice(0, 5)).toEqual([]);
      expect(lifecycles).toHaveLength(LIFECYCLES);
      // Each fault happened while work was still in flight.
      expect(faults.filter((f) => String(f.fault).startsWith('kill') && (f.atLifecycle as number) >= LIFECYCLES)).toEqual([]);
    }), 1_200_000);

  it('fires every escalation that fell due, once, and none early', () =>
    track(async () => {
      const escalatedEvents = async (ids: string[]) =>
        new Map(
          (await ledger.selectFrom('exception_events').select(['exception_id', (eb) => eb.fn.countAll<number>().as('n')]).where('action', '=', 'escalated').where('exception_id', 'in', ids).groupBy('exception_id').execute()).map((r) => [
            r.exception_id,
            Number(r.n),
          ]),
        );
      const rows = await ledger.selectFrom('exceptions').select(['id', 'claim_by']).where('id', 'in', escalating).execute();
      expect(rows).toHaveLength(ESCALATING);
      // A short run may end before the last first step is due; the check waits for it.
      const lastDue = Math.max(...rows.map((r) => r.claim_by + 1_000));
      await new Promise((r) => setTimeout(r, Math.max(0, lastDue + 1_000 - Date.now())));
      const due = rows.map((r) => r.id);
      const fired = await eventually(() => escalatedEvents(due), (m) => m.size === due.length, 120_000);
      expect([...fired.values()].filter((n) => n !== 1)).toEqual([]);
      expect(fired.size).toBe(due.length);
      const levels = await ledger.selectFrom('exceptions').select('escalation_level').where('id', 'in', escalating).execute();
      expect(new Set(levels.map((l) => l.escalation_level))).toEqual(new Set([1]));
      // Nothing else was due: every other exception had hours to go.
      expect((await escalatedEvents([...raced, ...lifecycles.map((l) => l.id)])).size).toBe(0);
      report('escalations', { due: due.length, fired: fired.size });
    }), 300_000);

  it('accounts for every exception: one ledger row and one workflow each, in the state its client left it', () =>
    track(async () => {
      const expected = new Map<string, string>([...raced.map((id) => [id, 'claimed'] as const), ...escalating.map((id) => [id, 'open'] as const), ...lifecycles.map((l) => [l.id, l.expect] as const)]);
      expect(expected.size, 'every intake raised a new exception').toBe(RACES + ESCALATING + LIFECYCLES);
      const rows = await ledger.selectFrom('exceptions').select(['id', 'status']).execute();
      expect(rows).toHaveLength(expected.size);
      expect(rows.filter((r) => expected.get(r.id) !== r.status).map((r) => `${r.id} ${r.status}, expected ${expected.get(r.id)}`)).toEqual([]);
      expect(await ledgerAnomalies(ledger)).toEqual([]);
      const workflows = await eventually(async () => (await temporal.workflow.count(`WorkflowType = 'exceptionWorkflow'`)).count, (n) => n === expected.size, 60_000);
      expect(workflows).toBe(expected.size);
      report('accounted', { exceptions: expected.size, ledgerRows: rows.length, workflows });
    }), 300_000);

  it('leaves ledger:verify with 0 differences', () =>
    track(async () => {
      const t0 = Date.now();
      const result = await verifyLedger({ ledger, client: temporal, recheckAfterMs: 3_000 });
      report('ledger-verify', { checked: result.checked, differences: result.differences.length, sample: result.differences.slice(0, 3), seconds: (Date.now() - t0) / 1000 });
      expect(result.differences).toEqual([]);
      expect(result.checked).toBe(RACES + ESCALATING + LIFECYCLES);
      // The command an operator runs, as the cluster prints it.
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/ledger-verify.ts'], {
        env: { ...process.env, LEDGER_URL: cluster.ledgerUrl, TEMPORAL_ADDRESS: cluster.temporal.address, TEMPORAL_CONFIG_FILE: nodePath.join(dir, 'none.toml'), LOG_LEVEL: 'warn' },
      });
      expect(stdout).toContain(`checked ${RACES + ESCALATING + LIFECYCLES} exceptions and 0 decision items: 0 difference(s)`);
    }), 600_000);
});
