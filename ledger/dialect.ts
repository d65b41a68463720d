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
 * Runs `work` in a transaction on a reserved connection that `begin` opens, committing at its end and
 * rolling back if it throws. The two kinds of write transaction below differ only in how they begin.
 */
async function transaction<Db extends AnyDb, T>(db: Db, begin: (tx: Db) => Promise<void>, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    const tx = conn as Db;
    await begin(tx);
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

/**
 * Runs `work` as one write transaction, taken at its start: what it reads stays true until it commits,
 * in this process or any other on the same ledger, so a check and the write it guards (and their audit
 * entry) land together or not at all. SQLite: BEGIN IMMEDIATE takes the database's write lock.
 * PostgreSQL: a transaction-scoped advisory lock that every such transaction takes first.
 */
export async function writeTransaction<Db extends AnyDb, T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return transaction(db, beginImmediate((tx) => sql`select pg_advisory_xact_lock(${WRITE_TRANSACTION_LOCK})`.execute(tx)), work);
}

/** An advisory lock key of our own ("ledger" as ASCII), apart from the per-row keys rowWriteTransaction hashes to. */
const WRITE_TRANSACTION_LOCK = sql.lit(0x6c6564676572);

/**
 * A read-check-write on one row (an exception's fence, its confirmation) in a transaction that holds the
 * right to write from its first statement: SQLite's BEGIN IMMEDIATE waits (busy_timeout) for the write
 * lock instead of failing when another process wrote after this transaction's first read
 * (SQLITE_BUSY_SNAPSHOT); PostgreSQL waits for the row's key only, so writers of other rows go on, and
 * the read then sees every write before it, also on READ COMMITTED with several connections.
 */
export async function rowWriteTransaction<Db extends AnyDb, T>(db: Db, table: string, key: string, work: (tx: Db) => Promise<T>): Promise<T> {
  return transaction(db, beginImmediate((tx) => sql`select pg_advisory_xact_lock(hashtextextended(${`${table}:${key}`}, 0))`.execute(tx)), work);
}

/** SQLite: BEGIN IMMEDIATE. PostgreSQL: BEGIN, then the lock the caller names. */
function beginImmediate(lockOnPostgres: (tx: AnyDb) => Promise<unknown>) {
  return async (tx: AnyDb): Promise<void> => {
    if (!isPostgres(tx)) {
      await sql`begin immediate`.execute(tx);
      return;
    }
    await sql`begin`.execute(tx);
    await lockOnPostgres(tx);
  };
}
