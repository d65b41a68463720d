import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../platform/ports.js';
import { spawnWatched } from '../platform/watchdog.js';

/**
 * A throwaway PostgreSQL for the suite: Debian's server binaries, a cluster in a temporary folder on a
 * free loopback port, without fsync (a crash loses nothing a test needs). Never the system cluster on
 * 5432. The server runs in the foreground under the watchdog (platform/watchdog.ts), not daemonized by
 * pg_ctl, so a test run killed with -9 leaves no server behind.
 */
export interface TestPostgres {
  /** The `postgres` database, as the superuser: for creating and dropping test databases. */
  adminUrl: string;
  stop(): Promise<void>;
}

/** How the suite reaches PostgreSQL: a cluster's admin URL, a reason to skip, or an error to report. */
export type PostgresAvailability = { adminUrl: string } | { skip: string } | { error: string };

/** Why PostgreSQL tests cannot run here (no server binaries, no user to run them as), if they cannot. */
export function postgresUnavailable(): string | undefined {
  const bin = serverBinDir();
  if (!bin) return 'no PostgreSQL server binaries (looked in /usr/lib/postgresql/*/bin; apt-get install postgresql, or set POSTGRES_BIN_DIR)';
  if (process.getuid?.() === 0 && !postgresUser()) return 'running as root and there is no postgres user to run initdb as';
  return undefined;
}

function serverBinDir(): string | undefined {
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

export async function startTestPostgres(): Promise<TestPostgres> {
  const unavailable = postgresUnavailable();
  if (unavailable) throw new Error(unavailable);
  const bin = serverBinDir()!;
  const user = process.getuid?.() === 0 ? postgresUser() : undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'exception-desk-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  try {
    await promisify(execFile)(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync'], {
      cwd: dir,
      ...(user ?? {}),
    });
    // A port can be taken between freePort and the server's bind: try another.
    for (let attempt = 1; ; attempt++) {
      try {
        return await runServer(bin, dir, data, await freePort(), user !== undefined);
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function runServer(bin: string, dir: string, data: string, port: number, switchUser: boolean): Promise<TestPostgres> {
  const server = [path.join(bin, 'postgres'), '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  // setpriv execs the server itself (no process between), so the watchdog's signals reach it.
  const child = switchUser
    ? spawnWatched('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', ...server], { graceSeconds: 5 })
    : spawnWatched(server[0]!, server.slice(1), { graceSeconds: 5 });
  let log = '';
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (gone) throw new Error(`the test PostgreSQL exited while starting:\n${log}`);
    const client = new pg.Client({ connectionString: adminUrl });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new Error(`the test PostgreSQL did not accept connections within 30 s (${(err as Error).message}):\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    adminUrl,
    async stop() {
      // A fast shutdown (SIGINT to the postmaster) ends any session still open; SIGTERM would wait for them.
      try {
        const pid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
        if (Number.isInteger(pid) && pid > 1) process.kill(pid, 'SIGINT');
      } catch {
        child.kill('SIGTERM');
      }
      const timeout = setTimeout(() => child.kill('SIGTERM'), 10_000);
      await exited;
      clearTimeout(timeout);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let databases = 0;

/** A new, empty database on the cluster; `drop` removes it, ending any session still on it. */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `desk_${process.pid}_${++databases}_${Math.random().toString(36).slice(2, 8)}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(adminUrl, `drop database if exists ${name} with (force)`),
  };
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** The suite's one cluster (test/global-setup.ts), started alongside Temporal; never throws. */
export async function suitePostgres(): Promise<{ availability: PostgresAvailability; stop(): Promise<void> }> {
  const skip = postgresUnavailable();
  // CI (.ci/run) installs PostgreSQL and sets REQUIRE_POSTGRES: there, its absence fails the tests.
  if (skip && process.env.REQUIRE_POSTGRES) return { availability: { error: `REQUIRE_POSTGRES is set, but ${skip}` }, stop: async () => undefined };
  if (skip) {
    console.error(`PostgreSQL tests skip: ${skip}`);
    return { availability: { skip }, stop: async () => undefined };
  }
  try {
    const cluster = await startTestPostgres();
    console.error(`test PostgreSQL at ${cluster.adminUrl}`);
    return { availability: { adminUrl: cluster.adminUrl }, stop: () => cluster.stop() };
  } catch (err) {
    // Binaries present but no server: the PostgreSQL tests fail with this rather than skip.
    return { availability: { error: (err as Error).message }, stop: async () => undefined };
  }
}
