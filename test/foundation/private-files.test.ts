import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSigningSecret } from '../../api/auth.js';
import { ledgerFile, migrateLedger, openLedger } from '../../ledger/db.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'exception-desk-private-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);
const modes = (dir: string) => Object.fromEntries(readdirSync(dir).map((name) => [name, mode(path.join(dir, name))]));

describe('DATA_DIR is its owner’s alone', () => {
  it('creates the folder 0700 and the ledger, its -wal and -shm, and the signing secret 0600', async () => {
    const dataDir = path.join(root, 'fresh', 'data');
    const ledger = openLedger({ file: ledgerFile(dataDir) });
    await migrateLedger(ledger);
    loadSigningSecret({ DATA_DIR: dataDir });
    expect(mode(dataDir)).toBe('700');
    expect(Object.keys(modes(dataDir)).sort()).toEqual(['auth-secret', 'ledger.sqlite', 'ledger.sqlite-shm', 'ledger.sqlite-wal']);
    expect(Object.values(modes(dataDir))).toEqual(['600', '600', '600', '600']);
    await ledger.destroy();
  });

  it('tightens a ledger an older version left readable by others', async () => {
    const dataDir = path.join(root, 'older');
    const first = openLedger({ file: ledgerFile(dataDir) });
    await migrateLedger(first);
    for (const name of readdirSync(dataDir)) chmodSync(path.join(dataDir, name), 0o644);
    const again = openLedger({ file: ledgerFile(dataDir) });
    expect(Object.values(modes(dataDir)).every((m) => m === '600'), JSON.stringify(modes(dataDir))).toBe(true);
    await Promise.all([first.destroy(), again.destroy()]);
  });
});
