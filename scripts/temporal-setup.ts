import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv } from '../config/index.js';
import { exitWithError } from '../platform/fatal.js';
import { connectClient, temporalTarget } from '../platform/temporal-connection.js';
import { prepareNamespace } from '../server/namespace.js';

/**
 * `npm run temporal:setup [-- --retention-days 30]`: on the Temporal service the settings name
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, an envconfig profile…), creates the namespace if it is missing
 * and registers exception-desk's search attributes. Idempotent; the deployment runs it as a Job
 * (deploy/kubernetes/temporal-setup-job.yaml) before the API and workers.
 */
async function main() {
  loadDotEnv();
  const { values } = parseArgs({ options: { 'retention-days': { type: 'string', default: '30' } } });
  const retentionDays = Number(values['retention-days']);
  if (!Number.isInteger(retentionDays) || retentionDays < 1) throw new Error('--retention-days must be a whole number of days, at least 1');
  const target = temporalTarget(loadConfig());
  const { connection } = await connectClient(target);
  try {
    const prepared = await prepareNamespace(connection, target.namespace, retentionDays);
    process.stdout.write(
      `namespace ${target.namespace} on ${target.options.address}: ${prepared.created ? 'created' : 'present'}; search attributes ${prepared.added.length ? `added ${prepared.added.join(', ')}` : 'all present'}\n`,
    );
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => exitWithError(err, 'set up the Temporal namespace'));
