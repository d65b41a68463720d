import { parseArgs } from 'node:util';
import { z } from 'zod';
import { exitWithError, StartupError } from '../platform/fatal.js';
import { startCluster } from './cluster.js';

const usage = `Usage: npm run cluster -- [--apis 2] [--workers 2] [--dir <folder>] [--shards 8] [--single-temporal-process] [--empty]
Starts PostgreSQL, the full Temporal server (frontend, history, matching and worker as separate processes)
and exception-desk's API and worker processes on loopback, on free ports. Without --dir everything lives in
a temporary folder that is removed on exit; with --dir it is kept and reused by the next start. A new
cluster gets the demo data (people, ownership, exceptions) unless --empty.
Ctrl-C (or SIGTERM) stops everything.`;

const Args = z.object({
  apis: z.coerce.number().int().min(1).max(16).default(2),
  workers: z.coerce.number().int().min(1).max(16).default(2),
  shards: z.coerce.number().int().min(1).max(4096).default(8),
  dir: z.string().min(1).optional(),
  'single-temporal-process': z.boolean().default(false),
  empty: z.boolean().default(false),
});

async function main() {
  const { values } = parseArgs({
    options: {
      apis: { type: 'string' },
      workers: { type: 'string' },
      shards: { type: 'string' },
      dir: { type: 'string' },
      'single-temporal-process': { type: 'boolean' },
      empty: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const args = Args.safeParse(values);
  if (!args.success) throw new StartupError(`${args.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n\n${usage}`);

  const say = (line: string) => process.stderr.write(`cluster: ${line}\n`);
  const started = Date.now();
  const starting = startCluster({
    dir: args.data.dir,
    apis: args.data.apis,
    workers: args.data.workers,
    historyShards: args.data.shards,
    singleTemporalProcess: args.data['single-temporal-process'],
    demo: !args.data.empty,
    log: say,
    onUnexpectedExit: (name, exit) =>
      say(`${name} exited unexpectedly (${exit.signal ?? `code ${exit.code}`}); the rest keep running. See its log; restart the cluster to bring it back.`),
  });
  let stopping = false;
  // Ctrl-C reaches us alone: every process we start runs in its own group under a watchdog, and we stop
  // them in order. A second Ctrl-C leaves at once; the watchdogs still take every process down.
  const stop = (why: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    say(`stopping everything (${why}); again to leave at once`);
    void starting
      .catch(() => undefined)
      .then((cluster) => cluster?.stop())
      .then(() => {
        say('stopped');
        process.exit(0);
      });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));

  const cluster = await starting;
  if (stopping) return;
  process.stdout.write(`${cluster.describe()}\n`);
  say(`ready in ${Math.round((Date.now() - started) / 1000)} s`);
}

main().catch((err: unknown) => exitWithError(err, 'start the cluster'));
