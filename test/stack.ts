import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { pino, type Logger } from 'pino';
import { inject } from 'vitest';
import { mintToken, type MintOptions } from '../api/auth.js';
import { startApi, type RunningApi } from '../api/server.js';
import { loadConfig, type Config } from '../config/index.js';
import type { Role } from '../domain/principal.js';
import { ledgerLocation, migrateLedger, openLedger, type LedgerDb } from '../ledger/db.js';
import { installTemporalRuntime } from '../platform/logger.js';
import { freePort } from '../platform/ports.js';
import { temporalTarget, type TemporalTarget } from '../platform/temporal-connection.js';
import { startWorker, type RunningWorker } from '../worker/run.js';
import { freshPostgresDatabase, type LedgerKind } from './ledgers.js';

/** mkdir is atomic across the suite's processes: the first to create test-N owns that namespace. */
function claimNamespace(): string {
  for (let i = 0; i < inject('namespaceCount'); i++) {
    try {
      mkdirSync(path.join(inject('namespaceLocks'), String(i)));
      return `test-${i}`;
    } catch {
      // taken; try the next
    }
  }
  throw new Error('every test namespace is taken; raise NAMESPACES in test/global-setup.ts');
}

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface Stack {
  config: Config;
  ledgerKind: LedgerKind;
  target: TemporalTarget;
  ledger: LedgerDb;
  api: RunningApi;
  worker?: RunningWorker;
  url: string;
  token(sub: string, ...roles: Role[]): Promise<string>;
  mint(options: MintOptions): Promise<string>;
  restartWorker(): Promise<void>;
  /** True when the workflow's current run was continued from an earlier one. */
  continuedAsNew(workflowId: string): Promise<boolean>;
  close(): Promise<void>;
}

let defaultLedger: LedgerKind | undefined;

/** The ledger kind startStack uses when its caller names none (a file that reruns another suite on PostgreSQL). */
export function useLedgerByDefault(kind: LedgerKind): void {
  defaultLedger = kind;
}

/**
 * The real thing against the suite's Temporal server: a worker on its own task queue, the API on a
 * free port and a ledger: SQLite in a temporary folder, or (`ledger: 'postgres'`) a fresh database on
 * the suite's PostgreSQL, as LEDGER_URL. TEST_LEDGER=postgres makes PostgreSQL the default for a run.
 */
export async function startStack(
  options: { worker?: boolean; env?: Record<string, string>; demoUsers?: boolean; ledger?: LedgerKind; logger?: Logger; workflowBundle?: WorkflowBundleOption } = {},
): Promise<Stack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'exception-desk-test-'));
  const kind = options.ledger ?? defaultLedger ?? (process.env.TEST_LEDGER === 'postgres' ? 'postgres' : 'sqlite');
  const database = kind === 'postgres' ? await freshPostgresDatabase() : undefined;
  const env = {
    TEMPORAL_NAMESPACE: claimNamespace(),
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    AUTH_JWT_SECRET: TEST_SECRET,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    TEMPORAL_CONFIG_FILE: path.join(dataDir, 'no-temporal-profile.toml'),
    ...(database ? { LEDGER_URL: database.url } : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const target = temporalTarget(config, env);
  const ledger = openLedger(ledgerLocation(config));
  await migrateLedger(ledger);
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  installTemporalRuntime(pino({ level: 'warn' }), { metricsAddress: `127.0.0.1:${await freePort()}` });
  const newWorker = () => startWorker({ config, target, ledger, logger, workflowBundle: options.workflowBundle ?? { codePath: inject('workflowBundlePath') }, shutdownForceTime: '3 seconds' });
  let worker = options.worker === false ? undefined : await newWorker();
  const api = await startApi({ config, target, ledger, logger, demoUsers: options.demoUsers });
  const secret = new TextEncoder().encode(TEST_SECRET);
  return {
    config,
    ledgerKind: kind,
    target,
    ledger,
    api,
    get worker() {
      return worker;
    },
    url: api.url,
    token: (sub, ...roles) => mintToken(secret, { sub, roles }),
    mint: (mint) => mintToken(secret, mint),
    async restartWorker() {
      await worker?.shutdown();
      worker = await newWorker();
    },
    async continuedAsNew(workflowId) {
      const history = await api.client.workflow.getHandle(workflowId).fetchHistory();
      return Boolean(history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId);
    },
    async close() {
      await api.close();
      await worker?.shutdown();
      await ledger.destroy();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

