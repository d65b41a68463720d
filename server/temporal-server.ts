import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isExecutable, onPath, run } from './temporal-cli.js';

/**
 * The full Temporal server (not the dev server), for a cluster of separate processes on PostgreSQL
 * with several history shards. Same server version as the pinned CLI's dev server (CLI v1.5.1 runs
 * server v1.29.1); v1.29.1's go.mod has no `replace`, so `go install` builds it.
 */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const MODULE = 'go.temporal.io/server';
const PACKAGES = { server: `${MODULE}/cmd/server`, sql: `${MODULE}/cmd/tools/sql` } as const;

/** Files from the module's source kept beside the binaries: the PostgreSQL config to start from, and its dynamic config. */
const CONFIG_FILES = ['config/development-postgres12.yaml', 'config/dynamicconfig/development-sql.yaml'];

export interface TemporalServerBinaries {
  /** `server --root … --config … --env … start` */
  server: string;
  /** temporal-sql-tool: create a database, setup-schema, update-schema (it carries the schemas). */
  sql: string;
  /** The copied config files, by their path in the module (config/…). */
  configDir: string;
}

export function serverCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'exception-desk', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

function cached(dir: string): TemporalServerBinaries | undefined {
  const found = { server: path.join(dir, 'server'), sql: path.join(dir, 'sql'), configDir: path.join(dir, 'config') };
  const complete = isExecutable(found.server) && isExecutable(found.sql) && CONFIG_FILES.every((f) => existsSync(path.join(dir, f)));
  return complete ? found : undefined;
}

/**
 * The cached server and schema tool, built with Go on first use (about 3 minutes on 2 cores; the
 * binaries are 128 MB and 57 MB). Built into a private folder and renamed into place, so a concurrent
 * builder never sees half a binary.
 */
export async function resolveTemporalServer(options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): Promise<TemporalServerBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));
  const dir = serverCacheDir(env);
  const ready = cached(dir);
  if (ready) return ready;
  const go = onPath('go', env);
  if (!go) throw new Error(`The full Temporal server is not built in ${dir}, and there is no Go to build it (https://go.dev/dl): go install ${PACKAGES.server}@${TEMPORAL_SERVER_VERSION}`);

  mkdirSync(dir, { recursive: true });
  const staging = mkdtempSync(path.join(dir, '.build-'));
  const started = Date.now();
  log(`exception-desk: building the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL schema tool with Go into ${dir}; this takes several minutes once.`);
  const ticker = setInterval(() => log(`exception-desk: still building the Temporal server (${Math.round((Date.now() - started) / 1000)} s)…`), 30_000);
  try {
    const buildEnv = { ...env, GOBIN: staging, CGO_ENABLED: '0' };
    await run(go, ['install', `${PACKAGES.server}@${TEMPORAL_SERVER_VERSION}`, `${PACKAGES.sql}@${TEMPORAL_SERVER_VERSION}`], buildEnv);
    // The module's source is in Go's module cache now; keep the config files we start from beside the binaries.
    const source = path.join((await run(go, ['env', 'GOMODCACHE'], env)).trim(), `${MODULE}@${TEMPORAL_SERVER_VERSION}`);
    for (const file of CONFIG_FILES) {
      mkdirSync(path.dirname(path.join(staging, file)), { recursive: true });
      copyFileSync(path.join(source, file), path.join(staging, file));
    }
    for (const name of ['server', 'sql']) {
      if (!isExecutable(path.join(staging, name))) throw new Error(`go install finished but produced no ${name} binary`);
    }
    rmSync(path.join(dir, 'config'), { recursive: true, force: true });
    renameSync(path.join(staging, 'config'), path.join(dir, 'config'));
    // The binaries last: their presence is what says the cache is complete.
    renameSync(path.join(staging, 'sql'), path.join(dir, 'sql'));
    renameSync(path.join(staging, 'server'), path.join(dir, 'server'));
    log(`exception-desk: Temporal server built in ${Math.round((Date.now() - started) / 1000)} s.`);
  } finally {
    clearInterval(ticker);
    rmSync(staging, { recursive: true, force: true });
  }
  const built = cached(dir);
  if (!built) throw new Error(`the Temporal server build in ${dir} is incomplete`);
  return built;
}
