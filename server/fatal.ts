import { ConfigError } from '../config/index.js';
import { LedgerConfigError } from '../ledger/db.js';
import { DevServerError } from './dev-server.js';
import { TemporalCliError } from './temporal-cli.js';

/** Errors a user can act on print as a message; only the unexpected keep their stack. */
export function exitWithError(err: unknown, action = 'start'): never {
  const known = err instanceof ConfigError || err instanceof TemporalCliError || err instanceof DevServerError || err instanceof StartupError || err instanceof LedgerConfigError;
  const message = known ? (err as Error).message : `Unexpected error: ${(err as Error)?.stack ?? String(err)}`;
  process.stderr.write(`\nexception-desk could not ${action}.\n${message}\n`);
  process.exit(1);
}

export class StartupError extends Error {
  override name = 'StartupError';
}
