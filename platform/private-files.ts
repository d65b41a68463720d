import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * DATA_DIR holds the ledger, Temporal's history and the signing secret: only its owner reads them.
 * Creates `dir` (and its missing parents) 0700; an existing folder is left as it is. Returns true when
 * the folder already existed and others may enter it, for the caller to warn about.
 */
export function makePrivateDir(dir: string): boolean {
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (created) return false;
  return (statSync(dir).mode & 0o077) !== 0;
}

/**
 * chmod 0600 each file that exists and others may read (e.g. SQLite's -wal and -shm, or a file an older
 * version made 0644). A file another user owns is left to them: only its owner may chmod it.
 */
export function makePrivate(...files: string[]): void {
  for (const file of files) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EPERM') throw err;
    }
  }
}

/** A SQLite database and the files SQLite keeps beside it. */
export function sqliteFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`, `${file}-journal`];
}
