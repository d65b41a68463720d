import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import YAML from 'yaml';
import { freePort } from '../platform/ports.js';
import { prepareNamespace } from './namespace.js';
import { databaseUrl } from './postgres.js';
import { startService, stopLeftoverService, type ServiceProcess, type ServiceSpec } from './service-process.js';
import { run } from './temporal-cli.js';
import type { TemporalServerBinaries } from './temporal-server.js';

/**
 * The full Temporal server (server/temporal-server.ts) on PostgreSQL: its four services as separate
 * processes (or one, `singleProcess`), on free loopback ports, from a config generated from the
 * module's development-postgres12.yaml. The services find each other through the cluster_membership
 * table, so any one of them can be killed and started again on its ports.
 */
export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

export interface TemporalClusterOptions {
  /** Config, logs and pid files go under it. */
  dir: string;
  logDir: string;
  runDir: string;
  binaries: TemporalServerBinaries;
  postgres: { port: number; adminUrl: string };
  /** Fixed at the cluster's first start: a later different value is ignored by the server. */
  historyShards: number;
  namespace: string;
  singleProcess?: boolean;
  log?: (line: string) => void;
}

export interface TemporalCluster {
  /** The frontend's gRPC address. */
  address: string;
  namespace: string;
  /** Process name (temporal-frontend, …, or temporal for one process) → the running process. */
  services: Map<string, ServiceProcess>;
  /** Starts a stopped or killed service again on its ports and waits until the cluster serves again. */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
] as const;

/**
 * The schema tool, as a new operator would run it: create each database once, set up the base schema
 * once, then update to the newest version (a no-op when current).
 */
export async function setupTemporalSchema(sqlTool: string, postgres: { port: number; adminUrl: string }): Promise<void> {
  const base = ['--ep', '127.0.0.1', '-p', String(postgres.port), '-u', 'postgres', '--pl', 'postgres12'];
  for (const db of DATABASES) {
    const state = await databaseState(postgres.adminUrl, db.name);
    if (state === 'missing') await run(sqlTool, [...base, '--db', db.name, 'create'], process.env);
    if (state !== 'ready') await run(sqlTool, [...base, '--db', db.name, 'setup-schema', '-v', '0.0'], process.env);
    await run(sqlTool, [...base, '--db', db.name, 'update-schema', '--schema-name', db.schema], process.env);
  }
}

async function databaseState(adminUrl: string, name: string): Promise<'missing' | 'empty' | 'ready'> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    if (!(await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount) return 'missing';
  } finally {
    await admin.end();
  }
  const db = new pg.Client({ connectionString: databaseUrl(adminUrl, name) });
  await db.connect();
  try {
    const found = await db.query(`select 1 from information_schema.tables where table_name = 'schema_version'`);
    return found.rowCount ? 'ready' : 'empty';
  } finally {
    await db.end();
  }
}

/** Distinct free ports (freePort never hands out the same one twice in a process). */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(await freePort());
  return ports;
}

/** The parts of the server's YAML config we set. */
interface ServerConfig {
  log: unknown;
  persistence: { numHistoryShards: number; datastores: Record<string, { sql: Record<string, unknown> }> };
  global: { pprof: unknown; metrics: { prometheus: { listenAddress: string } } };
  services: Record<TemporalService, { rpc: { grpcPort: number; membershipPort: number; httpPort?: number } }>;
  clusterMetadata: { clusterInformation: { active: { rpcAddress: string } } };
  dynamicConfigClient: { filepath: string };
  archival: unknown;
  namespaceDefaults?: unknown;
}

interface Ports {
  grpc: Record<TemporalService, number>;
  membership: Record<TemporalService, number>;
  frontendHttp: number;
  metrics: Record<string, number>;
}

/**
 * One config file per process (`--env <name>` reads <name>.yaml): the same cluster, each process with
 * its own Prometheus port. The dynamic config is the module's development-sql.yaml, copied beside it
 * (its path is relative to the module in the original) with the Nexus callback on our HTTP port.
 */
function writeConfigs(options: TemporalClusterOptions, ports: Ports, processes: string[]): string {
  const configDir = path.join(options.dir, 'config');
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const dynamicConfig = path.join(options.dir, 'dynamicconfig.yaml');
  const dynamic = readFileSync(path.join(options.binaries.configDir, 'dynamicconfig/development-sql.yaml'), 'utf8');
  writeFileSync(dynamicConfig, dynamic.replace('http://localhost:7243/', `http://127.0.0.1:${ports.frontendHttp}/`), { mode: 0o600 });

  const template = readFileSync(path.join(options.binaries.configDir, 'development-postgres12.yaml'), 'utf8');
  for (const name of processes) {
    const config = YAML.parse(template) as ServerConfig;
    config.log = { stdout: true, level: 'warn' };
    config.persistence.numHistoryShards = options.historyShards;
    for (const store of Object.values(config.persistence.datastores)) {
      Object.assign(store.sql, { connectAddr: `127.0.0.1:${options.postgres.port}`, user: 'postgres', password: '' });
    }
    config.global.pprof = { port: 0 };
    config.global.metrics.prometheus.listenAddress = `127.0.0.1:${ports.metrics[name]}`;
    for (const service of TEMPORAL_SERVICES) {
      const rpc = config.services[service].rpc;
      rpc.grpcPort = ports.grpc[service];
      rpc.membershipPort = ports.membership[service];
      if (service === 'frontend') rpc.httpPort = ports.frontendHttp;
    }
    config.clusterMetadata.clusterInformation.active.rpcAddress = `127.0.0.1:${ports.grpc.frontend}`;
    config.dynamicConfigClient.filepath = dynamicConfig;
    // Archival is off for every namespace; no provider should write under /tmp.
    config.archival = { history: { state: 'disabled' }, visibility: { state: 'disabled' } };
    delete config.namespaceDefaults;
    writeFileSync(path.join(configDir, `${name}.yaml`), YAML.stringify(config), { mode: 0o600 });
  }
  return configDir;
}

export async function startTemporalCluster(options: TemporalClusterOptions): Promise<TemporalCluster> {
  const log = options.log ?? (() => undefined);
  await setupTemporalSchema(options.binaries.sql, options.postgres);
  const processes = options.singleProcess ? ['temporal'] : TEMPORAL_SERVICES.map((s) => `temporal-${s}`);
  const [frontendHttp, ...rest] = await freePorts(1 + TEMPORAL_SERVICES.length + processes.length);
  const membership = await freePorts(TEMPORAL_SERVICES.length);
  const take = () => rest.shift()!;
  const ports: Ports = {
    grpc: Object.fromEntries(TEMPORAL_SERVICES.map((s) => [s, take()])) as Ports['grpc'],
    membership: Object.fromEntries(TEMPORAL_SERVICES.map((s, i) => [s, membership[i]!])) as Ports['membership'],
    frontendHttp: frontendHttp!,
    metrics: Object.fromEntries(processes.map((p) => [p, take()])),
  };
  const configDir = writeConfigs(options, ports, processes);
  const specs = new Map<string, ServiceSpec>(
    processes.map((name) => [
      name,
      {
        name,
        command: options.binaries.server,
        args: ['--root', options.dir, '--config', path.relative(options.dir, configDir), '--env', name, '--allow-no-auth', 'start', ...(name === 'temporal' ? [] : ['--service', name.slice('temporal-'.length)])],
        logFile: path.join(options.logDir, `${name}.log`),
        pidFile: path.join(options.runDir, `${name}.pid`),
        graceSeconds: 10,
      },
    ]),
  );
  const address = `127.0.0.1:${ports.grpc.frontend}`;
  const services = new Map<string, ServiceProcess>();
  const launch = async (name: string) => {
    const spec = specs.get(name)!;
    await stopLeftoverService(spec);
    services.set(name, startService(spec));
  };
  // Every service writes the cluster's metadata at its first start; two at once on a fresh database
  // collide ("failed to initialize current cluster metadata"). The first alone, until it has.
  await launch(processes[0]!);
  await untilClusterMetadata(options.postgres.adminUrl, services.get(processes[0]!)!);
  for (const name of processes.slice(1)) await launch(name);
  const cluster: TemporalCluster = {
    address,
    namespace: options.namespace,
    services,
    async restart(name) {
      if (!specs.has(name)) throw new Error(`no Temporal process named ${name}`);
      if (services.get(name)?.running()) await services.get(name)!.stop();
      await launch(name);
      await untilServing(cluster, 120_000);
    },
    async stop() {
      await Promise.all([...services.values()].map((s) => s.stop('SIGTERM', 20_000)));
    },
  };
  try {
    await untilServing(cluster, 120_000, true);
    log(`Temporal serves on ${address}`);
    await ensureNamespace(cluster);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

async function untilClusterMetadata(adminUrl: string, first: ServiceProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  const db = new pg.Client({ connectionString: databaseUrl(adminUrl, 'temporal') });
  await db.connect();
  try {
    for (;;) {
      if (!first.running()) throw new Error(`${first.spec.name} exited while starting:\n${first.tail().trim().split('\n').slice(-15).join('\n')}`);
      if ((await db.query('select 1 from cluster_metadata_info')).rowCount) return;
      if (Date.now() > deadline) throw new Error(`${first.spec.name} did not write the cluster metadata within 120 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await db.end();
  }
}

/**
 * Until the frontend answers and history serves the namespace: a probe workflow start goes through
 * frontend to the history shard that owns it (the namespace must be in history's cache too).
 */
async function untilServing(cluster: TemporalCluster, timeoutMs: number, beforeNamespace = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const crashed = [...cluster.services.values()].find((s) => !s.running());
    if (crashed) throw new Error(`${crashed.spec.name} exited while starting:\n${crashed.tail().trim().split('\n').slice(-15).join('\n')}`);
    try {
      const connection = await Connection.connect({ address: cluster.address, connectTimeout: 2_000 });
      try {
        if (beforeNamespace) {
          await connection.workflowService.getSystemInfo({});
          await connection.workflowService.describeNamespace({ namespace: 'temporal-system' });
        } else {
          await probe(connection, cluster.namespace);
        }
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`Temporal at ${cluster.address} was not serving within ${timeoutMs / 1000} s: ${last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function probe(connection: Connection, namespace: string): Promise<void> {
  const workflowId = `cluster-probe-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  await connection.withDeadline(Date.now() + 5_000, () =>
    connection.workflowService.startWorkflowExecution({
      namespace,
      workflowId,
      workflowType: { name: 'clusterProbe' },
      taskQueue: { name: 'cluster-probe' },
      requestId: workflowId,
    }),
  );
  await connection.workflowService.terminateWorkflowExecution({ namespace, workflowExecution: { workflowId }, reason: 'probe' });
}

/** The full server creates no namespace: ours, with exception-desk's search attributes, then until history serves it. */
async function ensureNamespace(cluster: TemporalCluster): Promise<void> {
  const connection = await Connection.connect({ address: cluster.address });
  try {
    await prepareNamespace(connection, cluster.namespace, 3);
  } finally {
    await connection.close();
  }
  await untilServing(cluster, 120_000);
}
