import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A secret generated once under DATA_DIR (mode 0600) and read back on every start. Never committed. */
export function localSecret(dataDir: string, name: string, create = true): string {
  const file = path.join(dataDir, name);
  if (!existsSync(file)) {
    if (!create) throw new Error(`No secret at ${file}; start exception-desk once or set it in the environment.`);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process created it first; theirs stands.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readFileSync(file, 'utf8').trim();
}
