import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { makePrivate, makePrivateDir, sqliteFiles } from '../platform/private-files.js';
import { migrations } from './migrations.js';
import type { LedgerSchema } from './schema.js';

export type LedgerDb = Kysely<LedgerSchema>;

/** A SQLite file path (or ':memory:'), or a PostgreSQL URL. */
export type LedgerOptions = { file: string } | { url: string; poolSize?: number };

/**
 * The ledger's location: PostgreSQL when LEDGER_URL is set (every API and worker process on any machine
 * shares it), otherwise a SQLite file under DATA_DIR (one machine).
 */
export function ledgerLocation(config: { DATA_DIR: string; LEDGER_URL?: string }): LedgerOptions {
  if (config.LEDGER_URL) return { url: config.LEDGER_URL };
  return { file: ledgerFile(config.DATA_DIR) };
}

export function ledgerFile(dataDir: string): string {
  return path.join(dataDir, 'ledger.sqlite');
}

/** Opens the ledger its options name: PostgreSQL for a URL, SQLite for a file. Migrate it before use. */
export function openLedger(options: LedgerOptions): LedgerDb {
  return 'url' in options ? openPostgresLedger(options.url, options.poolSize) : openSqliteLedger(options.file);
}

/**
 * The SQLite ledger. WAL lets the API read while the worker writes (also across processes);
 * busy_timeout absorbs the short write locks two processes take. Its files are 0600: created so (an
 * empty file is an empty database), tightened if an older version left them 0644, and -wal and -shm,
 * which SQLite creates with the database file's mode, checked again once WAL is on.
 */
function openSqliteLedger(file: string): LedgerDb {
  const onDisk = file !== ':memory:';
  if (onDisk) {
    makePrivateDir(path.dirname(file));
    closeSync(openSync(file, 'a', 0o600));
    makePrivate(...sqliteFiles(file));
  }
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  if (onDisk) makePrivate(...sqliteFiles(file));
  database.pragma('synchronous = FULL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return new Kysely<LedgerSchema>({ dialect: new SqliteDialect({ database }) });
}

/**
 * Opens a PostgreSQL ledger over a pool. bigint columns (epoch milliseconds, fences, ids, counts) read
 * back as JS numbers, as SQLite's integers do; one past 2^53 is an error, never a silently rounded number.
 */
function openPostgresLedger(url: string, poolSize = 10): LedgerDb {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (text: string) => {
    const value = Number(text);
    if (!Number.isSafeInteger(value)) throw new RangeError(`ledger value ${text} is beyond a JS number's safe integers`);
    return value;
  });
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types, application_name: 'exception-desk' });
  // A pooled connection the server drops while idle (a restart, a failover) is only discarded: the next
  // query takes a new one or reports the error to its caller. Unhandled, it would end the process.
  pool.on('error', () => undefined);
  return new Kysely<LedgerSchema>({ dialect: new PostgresDialect({ pool }) });
}

export async function migrateLedger(db: LedgerDb): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw new Error(`Ledger migration failed: ${(error as Error).message}`);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function ledgerReachable(db: LedgerDb): Promise<boolean> {
  const { rows } = await sql<{ ok: number }>`select 1 as ok`.execute(db);
  return rows[0]?.ok === 1;
}
