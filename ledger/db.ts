import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { makePrivate, makePrivateDir, sqliteFiles } from '../platform/private-files.js';
import { migrations } from './migrations.js';
import type { LedgerSchema } from './schema.js';

export type LedgerDb = Kysely<LedgerSchema>;

export interface LedgerOptions {
  /** A SQLite file path, or ':memory:'. */
  file: string;
}

export class LedgerConfigError extends Error {
  override name = 'LedgerConfigError';
  readonly actionable = true;
}

/**
 * The ledger's location: a SQLite file under DATA_DIR. A PostgreSQL LEDGER_URL is refused until that
 * dialect ships (its migrations need bigint timestamps), rather than silently falling back to SQLite.
 */
export function ledgerLocation(config: { DATA_DIR: string; LEDGER_URL?: string }): LedgerOptions {
  if (config.LEDGER_URL) {
    throw new LedgerConfigError('LEDGER_URL is set, but this version of exception-desk stores its ledger in SQLite only. Unset LEDGER_URL to use DATA_DIR/ledger.sqlite.');
  }
  return { file: ledgerFile(config.DATA_DIR) };
}

export function ledgerFile(dataDir: string): string {
  return path.join(dataDir, 'ledger.sqlite');
}

/**
 * Opens the SQLite ledger. WAL lets the API read while the worker writes (also across processes);
 * busy_timeout absorbs the short write locks two processes take. Its files are 0600: created so (an
 * empty file is an empty database), tightened if an older version left them 0644, and -wal and -shm,
 * which SQLite creates with the database file's mode, checked again once WAL is on.
 */
export function openLedger(options: LedgerOptions): LedgerDb {
  const onDisk = options.file !== ':memory:';
  if (onDisk) {
    makePrivateDir(path.dirname(options.file));
    closeSync(openSync(options.file, 'a', 0o600));
    makePrivate(...sqliteFiles(options.file));
  }
  const database = new Database(options.file);
  database.pragma('journal_mode = WAL');
  if (onDisk) makePrivate(...sqliteFiles(options.file));
  database.pragma('synchronous = FULL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return new Kysely<LedgerSchema>({ dialect: new SqliteDialect({ database }) });
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
