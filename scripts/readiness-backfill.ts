import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv } from '../config/index.js';
import { ledgerLocation, migrateLedger, openLedger } from '../ledger/db.js';
import { backfillSnapshots } from '../ledger/readiness-daily.js';
import { exitWithError } from '../platform/fatal.js';

/**
 * `npm run readiness:backfill -- --days 30 [--replace]`: computes the daily readiness snapshots of the
 * past days from the ledger, oldest first, with the same settings as `npm start`. A day that already
 * has a snapshot keeps it unless --replace. Each day's ownership criterion reads the matrix and the
 * directory as they stood at its end (ledger/gaps-history.ts).
 */
async function main() {
  loadDotEnv();
  const { values } = parseArgs({ options: { days: { type: 'string', default: '30' }, replace: { type: 'boolean', default: false } } });
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new Error('--days must be a whole number from 1 to 366');
  const config = loadConfig();
  const ledger = openLedger(ledgerLocation(config));
  await migrateLedger(ledger);
  const results = await backfillSnapshots(ledger, {
    days,
    replace: values.replace,
    gapThresholds: { maxCellsPerPerson: config.GAP_MAX_CELLS_PER_PERSON, maxOpenPerOwner: config.GAP_MAX_OPEN_PER_OWNER },
  });
  for (const r of results) process.stdout.write(`${r.day}\twritten ${r.written}\tkept ${r.kept}\n`);
  await ledger.destroy();
}

main().catch((err: unknown) => exitWithError(err, 'backfill the readiness snapshots'));
