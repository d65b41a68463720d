import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, loadDotEnv } from '../config/index.js';
import { startApi } from '../api/server.js';
import { loadSigningSecret } from '../api/auth.js';
import { ledgerFile, ledgerLocation, migrateLedger, openLedger } from '../ledger/db.js';
import { startWorker } from '../worker/run.js';
import { registerSearchAttributes, startDevServer, stopLeftoverDevServer, type DevServer } from './dev-server.js';
import { startTracing, tracing } from '../platform/tracing.js';
import { version } from '../api/version.js';
import { exitWithError, StartupError } from '../platform/fatal.js';
import { seedDemo } from './demo.js';
import { createLogger, installTemporalRuntime } from '../platform/logger.js';
import { freePort, isPortFree } from '../platform/ports.js';
import { makePrivateDir } from '../platform/private-files.js';
import { resolveTemporalCli } from './temporal-cli.js';
import { loadTemplates } from './templates.js';
import { connectClient, temporalTarget } from '../platform/temporal-connection.js';

/** `npm start`: the embedded Temporal dev server (unless one is configured), the worker and the API. */
async function main() {
  loadDotEnv();
  const config = loadConfig();
  // Before anything serves or connects, so the first request is traced too (on when OTEL_EXPORTER_OTLP_ENDPOINT is set).
  startTracing({ serviceName: 'exception-desk', version });
  const logger = createLogger(config);
  // METRICS=off: the Temporal SDK's runtime records and serves no worker metrics either.
  installTemporalRuntime(logger, config.METRICS === 'off' ? {} : { metricsAddress: `127.0.0.1:${await freePort()}` });
  const target = temporalTarget(config);
  const dbFile = path.join(config.DATA_DIR, 'temporal.sqlite');
  const freshDataDir = !existsSync(dbFile) && !existsSync(ledgerFile(config.DATA_DIR));
  if (makePrivateDir(config.DATA_DIR)) logger.warn(`DATA_DIR ${config.DATA_DIR} is open to other users; its files are kept 0600, but consider chmod 700 on it`);

  let devServer: DevServer | undefined;
  if (target.external) {
    logger.info({ address: target.options.address, namespace: target.namespace }, 'using the configured Temporal service');
    const { connection } = await connectClient(target);
    await registerSearchAttributes(connection, target.namespace).catch((err: Error) =>
      logger.warn(`could not register search attributes (${err.message}); register them with your Temporal operator tools`),
    );
    await connection.close();
  } else {
    // Crash-only: a server our last run left behind on this DATA_DIR is stopped, not refused.
    const pidFile = path.join(config.DATA_DIR, 'temporal.pid');
    const leftover = await stopLeftoverDevServer(pidFile, dbFile);
    if (leftover) logger.warn({ serverPid: leftover.pid, stoppedBy: leftover.stoppedBy }, 'stopped a Temporal dev server an earlier run left on this DATA_DIR');
    for (const [name, port] of [['TEMPORAL_PORT', config.TEMPORAL_PORT], ['TEMPORAL_UI_PORT', config.TEMPORAL_UI_PORT]] as const) {
      if (!(await isPortFree(port))) throw new StartupError(`${name} ${port} is already in use (another exception-desk or Temporal running?). Stop it or set ${name}.`);
    }
    const cli = await resolveTemporalCli({ log: (line) => logger.info(line), allowSdkDownload: true });
    logger.info({ cli: cli.kind === 'binary' ? `${cli.path} (${cli.source})` : 'SDK download' }, 'starting the embedded Temporal dev server');
    devServer = await startDevServer({
      cli,
      port: config.TEMPORAL_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      dbFile,
      namespace: target.namespace,
      readyTimeoutMs: config.TEMPORAL_READY_TIMEOUT_MS,
      logFile: path.join(config.DATA_DIR, 'temporal-server.log'),
      pidFile,
    });
  }

  const ledger = openLedger(ledgerLocation(config));
  const applied = await migrateLedger(ledger);
  if (applied.length) logger.info({ applied }, 'ledger migrated');
  if (!config.AUTH_OIDC_ISSUER && !config.AUTH_JWKS_URL) loadSigningSecret(config);
  await loadTemplates(ledger, logger);

  const worker = await startWorker({ config, target, ledger, logger, workflowBundle: config.WORKFLOW_BUNDLE ? { codePath: config.WORKFLOW_BUNDLE } : undefined });
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(config.HOST);
  const demoUsers = config.DEMO_USERS ?? (devServer !== undefined && loopback);
  const api = await startApi({ config, target, ledger, logger, demoUsers });
  if (config.DEMO ?? freshDataDir) {
    await seedDemo({ client: api.client, taskQueue: config.TEMPORAL_TASK_QUEUE, ledger }, logger);
  }

  let stopping = false;
  const shutdown = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info(`shutting down (${why})`);
    await api.close().catch((err: Error) => logger.error({ err }, 'API close failed'));
    await worker.shutdown();
    await ledger.destroy();
    await devServer?.stop();
    await tracing()?.shutdown().catch(() => undefined);
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown('SIGINT', 0));
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  void devServer?.exited.then((exit) => {
    if (exit.expected) return;
    logger.error(
      { code: exit.code, signal: exit.signal, serverOutput: exit.tail.trim().split('\n').slice(-20).join('\n') },
      'the embedded Temporal dev server exited unexpectedly',
    );
    void shutdown('Temporal dev server crashed', 1);
  });
  worker.done.catch((err: Error) => {
    logger.error({ err }, 'the worker stopped with an error');
    void shutdown('worker failed', 1);
  });

  const lines = [
    '',
    `exception-desk is running.`,
    `  Web console:    ${api.url}/${demoUsers && !config.AUTH_OIDC_ISSUER && !config.AUTH_JWKS_URL ? '   (sign in as a demo user, or paste a token)' : ''}`,
    `  API and docs:   ${api.url}/docs   (OpenAPI: ${api.url}/openapi.json)`,
    `  Health:         ${api.url}/healthz   ${api.url}/readyz`,
    devServer
      ? `  Temporal UI:    ${devServer.uiUrl}   (gRPC ${devServer.address}, data in ${config.DATA_DIR})`
      : `  Temporal:       ${target.options.address} namespace ${target.namespace}`,
    `  Get a token:    npm run token -- --sub alice --role operator`,
    `  Stop:           Ctrl-C`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch(exitWithError);
