import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../api/auth.js';
import { loadConfig } from '../../config/index.js';

// node with the tsx loader, as `npm run token` runs it, without npx and the tsx CLI's extra process.
const run = promisify(execFile);

describe('npm run token', () => {
  it('prints a signed token alone on stdout that the API accepts, creating the local secret', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'token-'));
    const env = { ...process.env, DATA_DIR: dataDir, AUTH_JWT_SECRET: '' };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'server/token.ts', '--sub', 'alice', '--role', 'operator', '--role', 'owner', '--scope', 'po-assist:NA'], { env });
    const token = stdout.trim();
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const verifier = createTokenVerifier(loadConfig({ DATA_DIR: dataDir }));
    expect(await verifier.verify(token)).toEqual({ sub: 'alice', roles: ['operator', 'owner'], scope: ['po-assist:NA'] });
  });

  it('explains its usage when a role is wrong', async () => {
    const failure = await run(process.execPath, ['--import', 'tsx', 'server/token.ts', '--sub', 'alice', '--role', 'wizard']).catch((err: { code: number; stderr: string }) => err);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain('--role');
    expect((failure as { stderr: string }).stderr).toContain('Usage: npm run token');
  });
});
