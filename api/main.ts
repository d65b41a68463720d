import { loadConfig, loadDotEnv } from '../config/index.js';
import { ledgerLocation, migrateLedger, openLedger } from '../ledger/db.js';
import { exitWithError } from '../platform/fatal.js';
import { createLogger } from '../platform/logger.js';
import { loadTemplates } from '../server/templates.js';
import { temporalTarget } from '../platform/temporal-connection.js';
import { startApi } from './server.js';

/** `npm run api`: the HTTP API alone, for scale-out. It is stateless; run as many as load needs. */
async function main() {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config, 'exception-desk-api');
  const ledger = openLedger(ledgerLocation(config));
  await migrateLedger(ledger);
  await loadTemplates(ledger, logger);
  const api = await startApi({ config, target: temporalTarget(config), ledger, logger, demoUsers: config.DEMO_USERS === true });
  logger.info(`API listening on ${api.url}`);
  const stop = () => {
    void api.close().then(() => ledger.destroy()).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch(exitWithError);
