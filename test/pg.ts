import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { postgresUnavailable, startPostgres } from '../server/postgres.js';

/**
 * A throwaway PostgreSQL for the suite (server/postgres.ts): a cluster in a temporary folder on a free
 * loopback port, without fsync (a crash loses nothing a test needs), under the watchdog, so a test run
 * killed with -9 leaves no server behind; the folder is removed when it stops.
 */
export interface TestPostgres {
  /** The `postgres` database, as the superuser: for creating and dropping test databases. */
  adminUrl: string;
  stop(): Promise<void>;
}

/** How the suite reaches PostgreSQL: a cluster's admin URL, a reason to skip, or an error to report. */
export type PostgresAvailability = { adminUrl: string } | { skip: string } | { error: string };

export { postgresUnavailable };

export async function startTestPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'exception-desk-pg-'));
  try {
    const server = await startPostgres({ dir, durable: false });
    return {
      adminUrl: server.adminUrl,
      async stop() {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
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
