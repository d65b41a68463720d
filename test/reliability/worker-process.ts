/**
 * A worker as its own OS process, so a test can `kill -9` it. Like `npm run worker`, but it runs the
 * suite's prebuilt workflow bundle (WORKFLOW_BUNDLE) instead of bundling from source on every start.
 */
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { ledgerLocation, migrateLedger, openLedger } from '../../ledger/db.js';
import { installTemporalRuntime } from '../../platform/logger.js';
import { temporalTarget } from '../../platform/temporal-connection.js';
import { startWorker } from '../../worker/run.js';

const config = loadConfig();
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
installTemporalRuntime(logger);
const ledger = openLedger(ledgerLocation(config));
await migrateLedger(ledger);
const bundle = process.env.WORKFLOW_BUNDLE;
const worker = await startWorker({
  config,
  target: temporalTarget(config),
  ledger,
  logger,
  workflowBundle: bundle ? { codePath: bundle } : undefined,
  shutdownForceTime: '3 seconds',
});
process.stdout.write('worker ready\n');
const stop = () => void worker.shutdown();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
await worker.done;
await ledger.destroy();
