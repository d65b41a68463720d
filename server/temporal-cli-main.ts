import { exitWithError } from '../platform/fatal.js';
import { resolveTemporalCli } from './temporal-cli.js';

/** `npm run temporal:cli`: finds or builds the pinned Temporal CLI and prints its path. */
async function main() {
  const cli = await resolveTemporalCli({ allowSdkDownload: true, log: (line) => process.stderr.write(`${line}\n`) });
  if (cli.kind === 'binary') process.stdout.write(`${cli.path}\n`);
  else process.stderr.write('exception-desk: the Temporal SDK will download the dev server when it first starts one.\n');
}

main().catch((err: unknown) => exitWithError(err, 'find the Temporal CLI'));
