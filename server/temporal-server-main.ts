import { exitWithError } from '../platform/fatal.js';
import { resolveTemporalServer } from './temporal-server.js';

/** `npm run temporal:server`: finds or builds the full Temporal server and its SQL schema tool, and prints where they are. */
async function main() {
  const found = await resolveTemporalServer({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`server\t${found.server}\nsql\t${found.sql}\nconfig\t${found.configDir}\n`);
}

main().catch((err: unknown) => exitWithError(err, 'build the Temporal server'));
