import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

/**
 * What differs between the two ledgers, in one place: SQLite (embedded, the default) and PostgreSQL
 * (LEDGER_URL, for more than one machine). Everything else the ledger does is written once, in SQL both
 * accept; a query that needs one of these asks here instead of testing the dialect itself.
 */
export type LedgerDialect = 'sqlite' | 'postgres';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export function dialectOf(db: AnyDb): LedgerDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

export const isPostgres = (db: AnyDb): boolean => dialectOf(db) === 'postgres';

/**
 * Column types for migrations. Times are epoch milliseconds and fences are task start times, past
 * PostgreSQL's 32-bit `integer`, so every integer column is `bigint` there (read back as a JS number:
 * ledger/db.ts). `real` is 4 bytes on PostgreSQL; `double precision` keeps what SQLite's REAL keeps.
 */
export function columnTypes(db: AnyDb) {
  const pg = isPostgres(db);
  return {
    int: pg ? ('bigint' as const) : ('integer' as const),
    real: pg ? ('double precision' as const) : ('real' as const),
    /** An id the database assigns, rising: SQLite's autoincrement rowid, a PostgreSQL identity column. */
    serialId: (c: ColumnDefinitionBuilder) => (pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()),
  };
}

/**
 * Starts a transaction on a reserved connection that no other ledger write transaction interleaves
 * with until it ends, in this process or any other. SQLite: BEGIN IMMEDIATE takes the database's write
 * lock. PostgreSQL: a transaction-scoped advisory lock that every such transaction takes first.
 */
export async function beginWriteTransaction(tx: AnyDb): Promise<void> {
  if (!isPostgres(tx)) {
    await sql`begin immediate`.execute(tx);
    return;
  }
  await sql`begin`.execute(tx);
  await sql`select pg_advisory_xact_lock(${WRITE_TRANSACTION_LOCK})`.execute(tx);
}

/** An advisory lock key of our own ("ledger" as ASCII), apart from the per-row keys lockRow hashes to. */
const WRITE_TRANSACTION_LOCK = sql.lit(0x6c6564676572);

/**
 * Inside a transaction: waits until no other transaction holds this key's lock, then holds it until
 * commit or rollback. A read-then-write on one row (the fence check) then sees every write before it,
 * also on PostgreSQL's READ COMMITTED with several connections; on SQLite the single writer already does.
 */
export async function lockRow(tx: AnyDb, table: string, key: string): Promise<void> {
  if (!isPostgres(tx)) return;
  await sql`select pg_advisory_xact_lock(hashtextextended(${`${table}:${key}`}, 0))`.execute(tx);
}

/**
 * A read-check-write on one row (an exception's fence, its confirmation) in a transaction that holds the
 * right to write from its first statement: SQLite's BEGIN IMMEDIATE waits (busy_timeout) for the write
 * lock instead of failing when another process wrote after this transaction's first read
 * (SQLITE_BUSY_SNAPSHOT); PostgreSQL locks the row's key (lockRow) so writers of other rows go on.
 */
export async function rowWriteTransaction<Db extends AnyDb, T>(db: Db, table: string, key: string, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    const tx = conn as Db;
    if (isPostgres(tx)) {
      await sql`begin`.execute(tx);
      await lockRow(tx, table, key);
    } else {
      await sql`begin immediate`.execute(tx);
    }
    try {
      const result = await work(tx);
      await sql`commit`.execute(tx);
      return result;
    } catch (err) {
      await sql`rollback`.execute(tx);
      throw err;
    }
  });
}
