import { loadConfig, loadDotEnv } from '../config/index.js';
import { ledgerLocation, migrateLedger, openLedger } from '../ledger/db.js';
import { startTracing, tracing } from '../platform/tracing.js';
import { exitWithError } from '../platform/fatal.js';
import { createLogger, installTemporalRuntime } from '../platform/logger.js';
import { freePort } from '../platform/ports.js';
import { temporalTarget } from '../platform/temporal-connection.js';
import { startWorker } from './run.js';

/** `npm run worker`: a worker alone, for scale-out. It is stateless; run as many as load needs. */
async function main() {
  loadDotEnv();
  const config = loadConfig();
  // Before anything serves or connects, so the first request is traced too (on when OTEL_EXPORTER_OTLP_ENDPOINT is set).
  startTracing({ serviceName: 'exception-desk-worker' });
  const logger = createLogger(config, 'exception-desk-worker');
  // METRICS=off: the Temporal SDK's runtime records and serves no worker metrics either.
  installTemporalRuntime(logger, config.METRICS === 'off' ? {} : { metricsAddress: `127.0.0.1:${await freePort()}` });
  const ledger = openLedger(ledgerLocation(config));
  await migrateLedger(ledger);
  const workflowBundle = config.WORKFLOW_BUNDLE ? { codePath: config.WORKFLOW_BUNDLE } : undefined;
  const worker = await startWorker({ config, target: temporalTarget(config), ledger, logger, workflowBundle });
  const stop = () => void worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await worker.done;
  await ledger.destroy();
  await tracing()?.shutdown();
}

main().catch(exitWithError);
