import { loadConfig, loadDotEnv } from '../config/index.js';
import { ledgerLocation, migrateLedger, openLedger } from '../ledger/db.js';
import { startTracing, tracing } from '../platform/tracing.js';
import { version } from './version.js';
import { exitWithError } from '../platform/fatal.js';
import { createLogger } from '../platform/logger.js';
import { loadTemplates } from '../server/templates.js';
import { temporalTarget } from '../platform/temporal-connection.js';
import { startApi } from './server.js';

/** `npm run api`: the HTTP API alone, for scale-out. It is stateless; run as many as load needs. */
async function main() {
  loadDotEnv();
  const config = loadConfig();
  // Before anything serves or connects, so the first request is traced too (on when OTEL_EXPORTER_OTLP_ENDPOINT is set).
  startTracing({ serviceName: 'exception-desk-api', version });
  const logger = createLogger(config, 'exception-desk-api');
  const ledger = openLedger(ledgerLocation(config));
  await migrateLedger(ledger);
  await loadTemplates(ledger, logger);
  const api = await startApi({ config, target: temporalTarget(config), ledger, logger, demoUsers: config.DEMO_USERS === true });
  logger.info(`API listening on ${api.url}`);
  const stop = () => {
    void api
      .close()
      .then(() => ledger.destroy())
      .then(() => tracing()?.shutdown())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch(exitWithError);
