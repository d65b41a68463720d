/**
 * Errors a user can act on (a bad setting, a port in use, a missing binary) say so with
 * `actionable = true`; they print as a message, and only the unexpected keep their stack. Duck-typed so
 * that this low folder imports none of the layers above it.
 */
export function exitWithError(err: unknown, action = 'start'): never {
  const message = isActionable(err) ? err.message : `Unexpected error: ${(err as Error)?.stack ?? String(err)}`;
  process.stderr.write(`\nexception-desk could not ${action}.\n${message}\n`);
  process.exit(1);
}

function isActionable(err: unknown): err is Error {
  return err instanceof Error && (err as { actionable?: unknown }).actionable === true;
}

export class StartupError extends Error {
  override name = 'StartupError';
  readonly actionable = true;
}
