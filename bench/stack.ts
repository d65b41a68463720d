import { closeSync, createWriteStream, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { pino, type Logger } from 'pino';
import { startApi, type RunningApi } from '../api/server.js';
import { loadConfig, type Config } from '../config/index.js';
import { ledgerFile, migrateLedger, openLedger, type LedgerDb } from '../ledger/db.js';
import { startDevServer, SQLITE_PRAGMAS, type DevServer } from '../server/dev-server.js';
import { freePort } from '../platform/ports.js';
import { resolveTemporalCli } from '../server/temporal-cli.js';
import { temporalTarget, type TemporalTarget } from '../platform/temporal-connection.js';
import { startWorker, type RunningWorker } from '../worker/run.js';
import { bundleWorkflows } from '../worker/worker.js';
import { findServerPid } from './procstat.js';

export const BENCH_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';
export const DESK_QUEUE = 'exception-desk-bench';
export const BARE_QUEUE = 'bare-baseline-bench';

/** Worker settings shared by the exception-desk worker and the bare one; undefined = the SDK default. */
export interface WorkerSettings {
  maxCachedWorkflows?: number;
}

/** An API and a desk worker of their own, started with METRICS=off (the "metrics cost" figure's other side). */
export interface DeskWithoutMetrics {
  api: RunningApi;
  desk: RunningWorker;
  close(): Promise<void>;
}

export interface BenchStack {
  tmp: string;
  server: DevServer;
  /** The Temporal CLI binary the dev server runs. */
  cliPath: string | null;
  /** The dev server's process id, for CPU accounting. */
  serverPid: number | null;
  config: Config;
  target: TemporalTarget;
  ledger: LedgerDb;
  api: RunningApi;
  /** The load generator's own Temporal client (the API has another). */
  client: Client;
  desk: RunningWorker;
  bare: RunningWorker;
  settings: WorkerSettings;
  /** Warnings and errors logged by the API, the worker and the SDK runtime, normalised (see logText). */
  logLines: string[];
  logFile: string;
  /** The dev server's own log (WARN and ERROR lines: slow calls, failed tasks, deadline exceeded). */
  serverLogFile: string;
  /** Size of the server log now, to read what it gains later with serverLogSince. */
  serverLogOffset(): number;
  /** Server log lines written since `offset`, grouped by message and error, with counts. */
  serverLogSince(offset: number): Array<{ text: string; count: number }>;
  timings: Record<string, number>;
  /**
   * A second API and desk worker on the same server, ledger and worker settings, with METRICS=off
   * and a task queue of their own; the API and worker above keep metrics on.
   */
  startDeskWithoutMetrics(): Promise<DeskWithoutMetrics>;
  /** Replaces both workers with ones using `settings` (same settings for both, as in every phase). */
  restartWorkers(settings: WorkerSettings): Promise<void>;
  close(): Promise<void>;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** One pino line as `level message: error type: error message`, with ids blanked so repeats group together. */
export function logText(line: string): string {
  let text = line.trim();
  try {
    const entry = JSON.parse(text) as { level?: number; msg?: string; err?: { type?: string; message?: string }; error?: unknown; url?: string; res?: { status?: number } };
    const err = entry.err ? `: ${entry.err.type ?? 'Error'}: ${entry.err.message ?? ''}` : entry.error ? `: ${JSON.stringify(entry.error)}` : '';
    const http = entry.res?.status ? ` (HTTP ${entry.res.status})` : '';
    text = `${LEVELS[entry.level ?? 0] ?? entry.level} ${entry.msg ?? ''}${http}${err}`;
  } catch {
    // not JSON; keep the raw line
  }
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/exception:[\w.:/-]+/g, 'exception:<id>')
    .replace(/\s+/g, ' ')
    .slice(0, 400);
}

/** `level msg: error` for each WARN/ERROR line of the dev server's log after `offset`, counted. */
function serverLogSummary(file: string, offset: number): Array<{ text: string; count: number }> {
  let text = '';
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    const buffer = Buffer.alloc(Math.max(0, Math.min(size - offset, 64 * 1024 * 1024)));
    readSync(fd, buffer, 0, buffer.length, offset);
    closeSync(fd);
    text = buffer.toString('utf8');
  } catch {
    return [];
  }
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const level = /level=(WARN|ERROR)/.exec(line)?.[1];
    if (!level) continue;
    const msg = /msg="([^"]*)"/.exec(line)?.[1] ?? '';
    const error = /error="([^"]*)"/.exec(line)?.[1];
    const key = `${level} ${msg}${error ? `: ${error}` : ''}`.slice(0, 300);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([t, count]) => ({ text: t, count }));
}

const bareWorkflowsPath = fileURLToPath(new URL('./baseline-workflows.ts', import.meta.url));

/**
 * Everything `npm start` runs, on private ports and a temp dir: the embedded dev server on a
 * file-backed SQLite with the same pragmas, the real worker (real activities, file ledger) and the
 * API; plus a bare worker on its own task queue for the baseline.
 */
export async function startBenchStack(log: (line: string) => void, keepTmp: boolean): Promise<BenchStack> {
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'exception-desk-bench-'));
  const dataDir = path.join(tmp, 'data');
  const logFile = path.join(tmp, 'bench.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  // If stopping is cut short, the temp dir still goes (the dev server, our child, is killed on exit too).
  if (!keepTmp) process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const logLines: string[] = [];
  const logger: Logger = pino(
    { level: 'warn' },
    {
      write(line: string) {
        logStream.write(line);
        if (logLines.length < 200_000) logLines.push(logText(line));
      },
    },
  );
  // Like server/logger.ts, but Rust core's own warnings are forwarded too, so they reach the log
  // (and the overload scan) instead of stdout.
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => logger[level === 'ERROR' ? 'error' : 'warn']({ component: 'temporal-sdk', ...meta }, message)),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }), forward: {} } },
  });

  const cli = await resolveTemporalCli({ log, allowSdkDownload: false });
  const dbFile = path.join(dataDir, 'temporal.sqlite');
  log(`bench: starting the dev server (${cli.kind === 'binary' ? cli.path : 'sdk'}) on ${dbFile} with ${SQLITE_PRAGMAS.join(', ')}`);
  const serverLogFile = path.join(tmp, 'temporal-server.log');
  const deskBundle = path.join(tmp, 'desk-workflows.js');
  const bareBundle = path.join(tmp, 'bare-workflows.js');
  // The server starts in its own process while the two workflow bundles build here.
  const serverStarting = startDevServer({
    cli,
    port: await freePort(),
    dbFile,
    namespace: 'default',
    readyTimeoutMs: 60_000,
    logFile: serverLogFile,
  }).then((server) => {
    timings.devServerMs = performance.now() - t0;
    return server;
  });
  try {
    writeFileSync(deskBundle, (await bundleWorkflows()).code);
    writeFileSync(bareBundle, (await bundleWorkflowCode({ workflowsPath: bareWorkflowsPath, logger: new DefaultLogger('WARN') })).code);
  } catch (err) {
    await (await serverStarting.catch(() => undefined))?.stop();
    throw err;
  }
  timings.bundleMs = performance.now() - t0;
  const server = await serverStarting;

  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    AUTH_JWT_SECRET: BENCH_SECRET,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: DESK_QUEUE,
    TEMPORAL_CONFIG_FILE: path.join(tmp, 'no-temporal-profile.toml'),
  };
  const config = loadConfig(env);
  const target = temporalTarget(config, env);
  const ledger = openLedger({ file: ledgerFile(dataDir) });
  await migrateLedger(ledger);

  const startDesk = (settings: WorkerSettings) =>
    startWorker({ config, target, ledger, logger, workflowBundle: { codePath: deskBundle }, maxCachedWorkflows: settings.maxCachedWorkflows });
  const startBare = async (settings: WorkerSettings): Promise<RunningWorker> => {
    const connection = await NativeConnection.connect(target.options);
    const worker = await Worker.create({
      connection,
      namespace: target.namespace,
      taskQueue: BARE_QUEUE,
      workflowBundle: { codePath: bareBundle },
      ...(settings.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: settings.maxCachedWorkflows } : {}),
    });
    const done = worker.run().finally(() => connection.close());
    return {
      worker,
      done,
      confirmer: { stats: { confirmed: 0, repaired: 0, unrepairable: 0, checked: 0 }, settle: async () => undefined, stop: async () => undefined },
      async shutdown() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await done.catch(() => undefined);
      },
    };
  };

  let settings: WorkerSettings = {};
  let desk = await startDesk(settings);
  let bare = await startBare(settings);
  const api = await startApi({ config, target, ledger, logger });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: target.namespace });
  timings.setupMs = performance.now() - t0;

  return {
    tmp,
    server,
    cliPath: cli.kind === 'binary' ? cli.path : null,
    serverPid: findServerPid(dbFile),
    config,
    target,
    ledger,
    api,
    client,
    get desk() {
      return desk;
    },
    get bare() {
      return bare;
    },
    get settings() {
      return settings;
    },
    logLines,
    logFile,
    serverLogFile,
    serverLogOffset: () => {
      try {
        return statSync(serverLogFile).size;
      } catch {
        return 0;
      }
    },
    serverLogSince: (offset) => serverLogSummary(serverLogFile, offset),
    timings,
    async startDeskWithoutMetrics() {
      const plain = loadConfig({ ...env, METRICS: 'off', PORT: String(await freePort()), TEMPORAL_TASK_QUEUE: `${DESK_QUEUE}-metrics-off` });
      const plainDesk = await startWorker({ config: plain, target, ledger, logger, workflowBundle: { codePath: deskBundle }, maxCachedWorkflows: settings.maxCachedWorkflows });
      const plainApi = await startApi({ config: plain, target, ledger, logger }).catch(async (err: unknown) => {
        await plainDesk.shutdown();
        throw err;
      });
      return {
        api: plainApi,
        desk: plainDesk,
        async close() {
          await plainApi.close().catch(() => undefined);
          await plainDesk.shutdown();
        },
      };
    },
    async restartWorkers(next) {
      await Promise.all([desk.shutdown(), bare.shutdown()]);
      settings = next;
      desk = await startDesk(settings);
      bare = await startBare(settings);
    },
    async close() {
      await api.close().catch(() => undefined);
      await Promise.all([desk.shutdown(), bare.shutdown()]);
      await connection.close().catch(() => undefined);
      await ledger.destroy().catch(() => undefined);
      await server.stop();
      logStream.end();
      if (!keepTmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}
