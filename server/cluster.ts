import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { localSecret } from '../config/secrets.js';
import { migrateLedger, openLedger, type LedgerDb } from '../ledger/db.js';
import { connectClient } from '../platform/temporal-connection.js';
import { seedDemo } from './demo.js';
import { freePort } from '../platform/ports.js';
import { bundleWorkflows } from '../worker/worker.js';
import { databaseUrl, ensureDatabase, startPostgres, type PostgresServer } from './postgres.js';
import { startService, stopLeftoverService, type ServiceProcess, type ServiceSpec } from './service-process.js';
import { startTemporalCluster, type TemporalCluster } from './temporal-cluster.js';
import { resolveTemporalServer } from './temporal-server.js';

/**
 * `npm run cluster`: exception-desk scaled out on one machine, every part a separate process on
 * loopback: PostgreSQL (Temporal's persistence and visibility, and the ledger), the full Temporal server
 * with several history shards (server/temporal-cluster.ts), N API and M worker processes, each with a
 * DATA_DIR of its own, all sharing the ledger through LEDGER_URL. What it proves on one machine is what
 * a deployment does on many (docs/scale-out.md).
 */
export interface ClusterOptions {
  /** Everything goes under it; a temporary folder (removed by `stop`) when omitted. Reused when given again. */
  dir?: string;
  apis?: number;
  workers?: number;
  /** History shards; fixed at the cluster's first start. */
  historyShards?: number;
  /** The four Temporal services in one process instead of four. */
  singleTemporalProcess?: boolean;
  namespace?: string;
  taskQueue?: string;
  /** Load the demo data (people, ownership, exceptions) into a new cluster's ledger, as `npm start` does on a fresh DATA_DIR. */
  demo?: boolean;
  /** More environment for the API and worker processes (LOG_LEVEL, TEMPORAL_CALL_TIMEOUT, …). */
  env?: Record<string, string>;
  log?: (line: string) => void;
  /** Called when a process stops without being asked to (a crash, or kill -9 from outside). */
  onUnexpectedExit?: (name: string, exit: { code: number | null; signal: NodeJS.Signals | null }) => void;
}

export interface DeskProcess {
  name: string;
  kind: 'api' | 'worker';
  dataDir: string;
  /** The API's base URL (APIs only). */
  url?: string;
  service: ServiceProcess;
}

export interface Cluster {
  dir: string;
  postgres: PostgresServer;
  temporal: TemporalCluster;
  ledgerUrl: string;
  namespace: string;
  taskQueue: string;
  /** The signing secret every API shares (`DATA_DIR=<dir> npm run token` signs with it). */
  secretFile: string;
  logDir: string;
  apis: DeskProcess[];
  workers: DeskProcess[];
  /** Any process by name: postgres, temporal-frontend|history|matching|worker (or temporal), api-N, worker-N. */
  process(name: string): ServiceProcess;
  /** kill -9 (or `signal`) to one process, as a crash would. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped or killed process again, on its ports and folder, and waits until it serves. */
  restart(name: string): Promise<void>;
  /** What runs where, for a terminal. */
  describe(): string;
  /** Everything, in order: APIs, workers, Temporal, PostgreSQL. */
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../', import.meta.url));
const ENTRY = { api: path.join(root, 'api/main.ts'), worker: path.join(root, 'worker/main.ts') };

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const log = options.log ?? (() => undefined);
  const temporary = !options.dir;
  const dir = path.resolve(options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'exception-desk-cluster-')));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Others may pass through (as root, PostgreSQL runs as `postgres` in dir/postgres), not list or read.
  chmodSync(dir, 0o711);
  const logDir = path.join(dir, 'logs');
  const runDir = path.join(dir, 'run');
  for (const d of [logDir, runDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const namespace = options.namespace ?? 'default';
  const taskQueue = options.taskQueue ?? 'exception-desk';
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((err: Error) => log(`stopping: ${err.message}`));
    if (temporary) (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
  };

  try {
    const binaries = await resolveTemporalServer({ log });
    // The workers' bundle, built once while PostgreSQL and Temporal start. With tracing on, each worker
    // bundles its own: the tracing interceptors go into a bundle only where tracing runs (worker/worker.ts).
    const traced = Boolean(options.env?.OTEL_EXPORTER_OTLP_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
    const bundlePath = traced ? undefined : path.join(dir, 'workflows.js');
    const bundling = bundlePath ? bundleWorkflows().then((bundle) => writeFileSync(bundlePath, bundle.code, { mode: 0o600 })) : Promise.resolve();
    bundling.catch(() => undefined);

    log('starting PostgreSQL');
    const postgres = await startPostgres({ dir: path.join(dir, 'postgres'), durable: true, maxConnections: 300, logFile: path.join(logDir, 'postgres.log') });
    stops.push(() => postgres.stop());
    log(`PostgreSQL on ${postgres.adminUrl}; starting Temporal`);
    const temporal = await startTemporalCluster({
      dir: path.join(dir, 'temporal'),
      logDir,
      runDir,
      binaries,
      postgres,
      historyShards: options.historyShards ?? 8,
      namespace,
      singleProcess: options.singleTemporalProcess,
      log,
    });
    stops.push(() => temporal.stop());

    await ensureDatabase(postgres.adminUrl, 'desk');
    const ledgerUrl = databaseUrl(postgres.adminUrl, 'desk');
    // Migrated here once, so the processes starting together find nothing to migrate.
    const ledger = openLedger({ url: ledgerUrl, poolSize: 2 });
    let ledgerClosed: Promise<void> | undefined;
    const closeLedger = () => (ledgerClosed ??= ledger.destroy());
    stops.push(closeLedger);
    const fresh = (await migrateLedger(ledger)).length > 0;
    await bundling;

    const shared = {
      ...options.env,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      // No envconfig profile from the user's home may point a process elsewhere.
      TEMPORAL_CONFIG_FILE: path.join(dir, 'no-temporal-profile.toml'),
      LEDGER_URL: ledgerUrl,
      HOST: '127.0.0.1',
      // One signing secret for every API, kept where `npm run token` with DATA_DIR=<dir> finds it.
      AUTH_JWT_SECRET: localSecret(dir, 'auth-secret'),
      WEBHOOK_SECRET: localSecret(dir, 'webhook-secret'),
      DEMO_USERS: options.env?.DEMO_USERS ?? 'true',
    };

    const desk = new Map<string, { process: DeskProcess; spec: ServiceSpec; ready: () => Promise<boolean> }>();
    const define = async (kind: 'api' | 'worker', index: number) => {
      const name = `${kind}-${index}`;
      const dataDir = path.join(dir, name);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const port = kind === 'api' ? await freePort() : undefined;
      const env = {
        ...process.env,
        ...shared,
        DATA_DIR: dataDir,
        ...(port ? { PORT: String(port) } : {}),
        ...(kind === 'worker' && bundlePath ? { WORKFLOW_BUNDLE: bundlePath } : {}),
      };
      const spec: ServiceSpec = { name, command: process.execPath, args: ['--import', 'tsx', ENTRY[kind]], env, cwd: root, logFile: path.join(logDir, `${name}.log`), pidFile: path.join(runDir, `${name}.pid`), graceSeconds: 15 };
      const url = port ? `http://127.0.0.1:${port}` : undefined;
      const entry: { spec: ServiceSpec; process: DeskProcess; ready: () => Promise<boolean> } = {
        spec,
        process: { name, kind, dataDir, url } as DeskProcess,
        ready: kind === 'api' ? () => apiHealthy(url!) : () => workerPolling(temporal, namespace, taskQueue, entry.process.service.pid()),
      };
      desk.set(name, entry);
    };
    for (let i = 1; i <= (options.apis ?? 2); i++) await define('api', i);
    for (let i = 1; i <= (options.workers ?? 2); i++) await define('worker', i);

    const launch = async (name: string) => {
      const entry = desk.get(name)!;
      await stopLeftoverService(entry.spec, { environment: [`DATA_DIR=${entry.process.dataDir}`] });
      const service = startService(entry.spec);
      entry.process.service = service;
      void service.exited.then((exit) => {
        if (!exit.expected && entry.process.service === service) options.onUnexpectedExit?.(name, exit);
      });
      await untilReady(name, service, entry.ready, 180_000);
    };
    stops.push(async () => {
      // APIs first (no new work), then workers (they finish their tasks), then Temporal and PostgreSQL.
      for (const kind of ['api', 'worker'] as const) {
        await Promise.all([...desk.values()].filter((e) => e.process.kind === kind && e.process.service).map((e) => e.process.service.stop('SIGTERM', 30_000)));
      }
    });
    log(`Temporal on ${temporal.address}; starting ${options.apis ?? 2} API and ${options.workers ?? 2} worker processes`);
    await Promise.all([...desk.keys()].map(launch));
    if (fresh && options.demo) await loadDemo(temporal.address, namespace, taskQueue, ledger, log);
    await closeLedger();

    for (const [name, service] of temporal.services) {
      void service.exited.then((exit) => {
        if (!exit.expected && temporal.services.get(name) === service) options.onUnexpectedExit?.(name, exit);
      });
    }
    void postgres.service.exited.then((exit) => {
      if (!exit.expected) options.onUnexpectedExit?.('postgres', exit);
    });

    const byKind = (kind: 'api' | 'worker') => [...desk.values()].filter((e) => e.process.kind === kind).map((e) => e.process);
    const processOf = (name: string): ServiceProcess => {
      if (name === 'postgres') return postgres.service;
      const found = desk.get(name)?.process.service ?? temporal.services.get(name);
      if (!found) throw new Error(`no process named ${name}`);
      return found;
    };
    const cluster: Cluster = {
      dir,
      postgres,
      temporal,
      ledgerUrl,
      namespace,
      taskQueue,
      secretFile: path.join(dir, 'auth-secret'),
      logDir,
      apis: byKind('api'),
      workers: byKind('worker'),
      process: processOf,
      async kill(name, signal = 'SIGKILL') {
        await processOf(name).kill(signal);
      },
      async restart(name) {
        if (desk.has(name)) {
          const current = desk.get(name)!.process.service;
          if (current.running()) await current.stop();
          await launch(name);
          return;
        }
        if (name === 'postgres') throw new Error('PostgreSQL is not restarted by the cluster; stop the cluster instead');
        await temporal.restart(name);
        const service = temporal.services.get(name)!;
        void service.exited.then((exit) => {
          if (!exit.expected && temporal.services.get(name) === service) options.onUnexpectedExit?.(name, exit);
        });
      },
      describe: () => describeCluster(cluster),
      stop: stopAll,
    };
    return cluster;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The demo data, written through the services the API uses (the templates are in: the APIs loaded them). */
async function loadDemo(address: string, namespace: string, taskQueue: string, ledger: LedgerDb, log: (line: string) => void): Promise<void> {
  const { connection, client } = await connectClient({ external: true, namespace, options: { address } });
  try {
    await seedDemo({ client, taskQueue, ledger }, pino({ level: 'silent' }));
    log('demo data loaded: po-assist in NA and EMEA');
  } finally {
    await connection.close();
  }
}

async function untilReady(name: string, service: ServiceProcess, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!service.running()) throw new Error(`${name} exited while starting:\n${service.tail().trim().split('\n').slice(-15).join('\n')}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${name} was not ready within ${timeoutMs / 1000} s:\n${service.tail().trim().split('\n').slice(-15).join('\n')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function apiHealthy(url: string): Promise<boolean> {
  return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) })).ok;
}

/** A worker is ready once Temporal lists it (its identity names its pid) among the task queue's pollers. */
async function workerPolling(temporal: TemporalCluster, namespace: string, taskQueue: string, pid: number | undefined): Promise<boolean> {
  if (pid === undefined) return false;
  const { Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address: temporal.address, connectTimeout: 2_000 });
  try {
    const described = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
    return (described.pollers ?? []).some((p) => p.identity?.startsWith(`exception-desk-worker/${pid}@`));
  } finally {
    await connection.close();
  }
}

function describeCluster(cluster: Cluster): string {
  const pid = (s: ServiceProcess) => `pid ${s.pid() ?? '?'}`;
  const lines = [
    '',
    `exception-desk cluster in ${cluster.dir}`,
    `  PostgreSQL:     ${cluster.postgres.adminUrl}   (${pid(cluster.postgres.service)}; ledger ${cluster.ledgerUrl})`,
    `  Temporal:       ${cluster.temporal.address}   namespace ${cluster.namespace}, task queue ${cluster.taskQueue}`,
    ...[...cluster.temporal.services.entries()].map(([name, s]) => `    ${name.padEnd(18)} ${pid(s)}`),
    ...cluster.apis.map((a) => `  ${a.name.padEnd(14)}  ${a.url}/   (console; API docs at ${a.url}/docs; ${pid(a.service)}; DATA_DIR ${a.dataDir})`),
    ...cluster.workers.map((w) => `  ${w.name.padEnd(14)}  ${pid(w.service)}; DATA_DIR ${w.dataDir}`),
    `  Logs:           ${cluster.logDir}/<name>.log`,
    `  Get a token:    DATA_DIR=${cluster.dir} npm run token -- --sub alice --role operator`,
    `  Verify:         LEDGER_URL=${cluster.ledgerUrl} TEMPORAL_ADDRESS=${cluster.temporal.address} npm run ledger:verify`,
    `  Stop:           Ctrl-C`,
    '',
  ];
  return lines.join('\n');
}

export const clusterExists = (dir: string) => existsSync(path.join(dir, 'postgres', 'data', 'PG_VERSION'));
