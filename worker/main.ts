import { loadConfig, loadDotEnv } from '../config/index.js';
import { ledgerLocation, migrateLedger, openLedger } from '../ledger/db.js';
import { exitWithError } from '../platform/fatal.js';
import { createLogger, installTemporalRuntime } from '../platform/logger.js';
import { temporalTarget } from '../platform/temporal-connection.js';
import { startWorker } from './run.js';

/** `npm run worker`: a worker alone, for scale-out. It is stateless; run as many as load needs. */
async function main() {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config, 'exception-desk-worker');
  installTemporalRuntime(logger);
  const ledger = openLedger(ledgerLocation(config));
  await migrateLedger(ledger);
  const workflowBundle = config.WORKFLOW_BUNDLE ? { codePath: config.WORKFLOW_BUNDLE } : undefined;
  const worker = await startWorker({ config, target: temporalTarget(config), ledger, logger, workflowBundle });
  const stop = () => void worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await worker.done;
  await ledger.destroy();
}

main().catch(exitWithError);
