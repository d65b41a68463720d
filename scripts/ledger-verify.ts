import { loadConfig, loadDotEnv } from '../config/index.js';
import { ledgerLocation, openLedger } from '../ledger/db.js';
import { exitWithError } from '../platform/fatal.js';
import { connectClient, temporalTarget } from '../platform/temporal-connection.js';
import { verifyLedger } from '../worker/ledger-verify.js';

/**
 * `npm run ledger:verify`: compares the ledger with the workflows, against the same settings as
 * `npm start` (DATA_DIR, TEMPORAL_ADDRESS, …), also while it runs. Prints each difference; exits 1 on any.
 */
async function main() {
  loadDotEnv();
  const config = loadConfig();
  const ledger = openLedger(ledgerLocation(config));
  const target = temporalTarget(config);
  const { connection, client } = await connectClient(target);
  const report = await verifyLedger({ ledger, client });
  for (const d of report.differences) process.stdout.write(`${d.kind}\t${d.id}\t${d.detail}\n`);
  process.stdout.write(`checked ${report.checked} exceptions and ${report.decisions} decision items: ${report.differences.length} difference(s)\n`);
  await connection.close();
  await ledger.destroy();
  process.exit(report.differences.length ? 1 : 0);
}

main().catch((err: unknown) => exitWithError(err, 'verify the ledger'));
