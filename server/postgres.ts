import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { StartupError } from '../platform/fatal.js';
import { stopLeftover } from '../platform/leftover.js';
import { freePort } from '../platform/ports.js';
import { startService, type ServiceProcess, type ServiceSpec } from './service-process.js';

/**
 * A PostgreSQL server of our own from the machine's server binaries (Debian's postgresql package):
 * a cluster in a folder we choose, on a loopback port, run in the foreground under the watchdog (never
 * daemonized by pg_ctl), so nothing outlives its launcher. Never the system cluster on 5432. Used by
 * `npm run cluster` (durable) and by the test suite (test/pg.ts, fsync off).
 */
export interface PostgresServer {
  port: number;
  /** The `postgres` database as the superuser (trust authentication on loopback). */
  adminUrl: string;
  dataDir: string;
  service: ServiceProcess;
  /** A fast shutdown: sessions still open are ended. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** The cluster's folder: data/ in it (made by initdb when missing), the socket, the pid file. */
  dir: string;
  /** A free one when omitted. */
  port?: number;
  /**
   * false: fsync, synchronous commit and full-page writes off (tests: a crash loses nothing a test
   * needs). true for anything that keeps data, such as `npm run cluster`.
   */
  durable: boolean;
  maxConnections?: number;
  logFile?: string;
}

/** Why no PostgreSQL can be started here (no server binaries, no user to run them as), if none can. */
export function postgresUnavailable(): string | undefined {
  const bin = postgresBinDir();
  if (!bin) return 'no PostgreSQL server binaries (looked in /usr/lib/postgresql/*/bin; apt-get install postgresql, or set POSTGRES_BIN_DIR)';
  if (process.getuid?.() === 0 && !postgresUser()) return 'running as root and there is no postgres user to run initdb as';
  return undefined;
}

export function postgresBinDir(): string | undefined {
  const candidates = process.env.POSTGRES_BIN_DIR
    ? [process.env.POSTGRES_BIN_DIR]
    : (existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [])
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => `/usr/lib/postgresql/${v}/bin`);
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres')));
}

/** initdb and postgres refuse to run as root: as root, they run as the `postgres` user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** initdb (once) and the server; a port taken between choosing and binding is retried on another. */
export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const unavailable = postgresUnavailable();
  if (unavailable) throw new Error(unavailable);
  const bin = postgresBinDir()!;
  const user = process.getuid?.() === 0 ? postgresUser() : undefined;
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  if (user) {
    chownSync(options.dir, user.uid, user.gid);
    await reachableByPostgres(options.dir);
  }
  const data = path.join(options.dir, 'data');
  if (!existsSync(path.join(data, 'PG_VERSION'))) {
    const args = ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', ...(options.durable ? [] : ['--no-sync'])];
    await promisify(execFile)(path.join(bin, 'initdb'), args, { cwd: options.dir, ...(user ?? {}) });
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await runServer(bin, options, data, options.port ?? (await freePort()), user !== undefined);
    } catch (err) {
      if (options.port !== undefined || attempt >= 3) throw err;
    }
  }
}

/** As root, the server runs as `postgres`, which must be able to walk down to its folder. */
async function reachableByPostgres(dir: string): Promise<void> {
  try {
    await promisify(execFile)('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', 'test', '-w', dir]);
  } catch {
    throw new StartupError(
      `The postgres user cannot reach ${dir}: a folder above it is closed to other users. Let them pass (chmod o+x on each folder above it) or choose a folder under ${os.tmpdir()}.`,
    );
  }
}

async function runServer(bin: string, options: PostgresOptions, data: string, port: number, switchUser: boolean): Promise<PostgresServer> {
  const settings = [`listen_addresses=127.0.0.1`, `max_connections=${options.maxConnections ?? 100}`];
  if (!options.durable) settings.push('fsync=off', 'synchronous_commit=off', 'full_page_writes=off');
  const server = [path.join(bin, 'postgres'), '-D', data, '-p', String(port), '-k', options.dir, ...settings.flatMap((s) => ['-c', s])];
  // setpriv execs the server itself (no process between), so signals to the pid reach the postmaster.
  const spec: ServiceSpec = {
    name: 'postgres',
    command: switchUser ? 'setpriv' : server[0]!,
    args: switchUser ? ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', ...server] : server.slice(1),
    logFile: options.logFile ?? path.join(options.dir, 'server.log'),
    pidFile: path.join(options.dir, 'postgres.pid'),
    graceSeconds: 5,
  };
  // A postmaster an earlier launcher left on this data folder (it would refuse to start beside it): any port.
  await stopLeftover(spec.pidFile, (argv) => path.basename(argv[0] ?? '') === 'postgres' && argv[1] === '-D' && argv[2] === data);
  const service = startService(spec);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!service.running()) throw new Error(`PostgreSQL exited while starting:\n${service.tail()}`);
    const client = new pg.Client({ connectionString: adminUrl });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        await service.stop('SIGINT');
        throw new Error(`PostgreSQL did not accept connections within 30 s (${(err as Error).message}):\n${service.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    adminUrl,
    dataDir: data,
    service,
    // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every session to end.
    stop: async () => void (await service.stop('SIGINT', 10_000)),
  };
}

/** A database on the server, unless it exists. Returns true when it was created. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<boolean> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`create database ${name}`);
    return true;
  } finally {
    await client.end();
  }
}

/** The URL of another database on the same server. */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
