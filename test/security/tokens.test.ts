import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier, ISSUER } from '../../api/auth.js';
import { loadConfig } from '../../config/index.js';
import { TEST_SECRET } from '../stack.js';

/** Tokens fail closed: no expiry, or a scope entry that does not parse, is refused rather than unrestricted. */
const verifier = createTokenVerifier(loadConfig({ DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'tokens-')), AUTH_JWT_SECRET: TEST_SECRET }));
const sign = (claims: Record<string, unknown>, expires = true) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer(ISSUER).setIssuedAt();
  if (expires) jwt.setExpirationTime('1h');
  return jwt.sign(new TextEncoder().encode(TEST_SECRET));
};
const refusal = (token: string) => verifier.verify(token).then(() => null, (err: { status: number; message: string }) => ({ status: err.status, message: err.message }));

describe('token rules', () => {
  it('refuses a token without exp', async () => {
    expect(await refusal(await sign({ roles: ['admin'] }, false))).toMatchObject({ status: 401, message: expect.stringContaining('exp') });
  });

  it('refuses a scope entry that is not a capability:region pair, naming it, instead of treating the token as unrestricted', async () => {
    expect(await refusal(await sign({ roles: ['operator'], scope: 'PO-Assist:EMEA' }))).toMatchObject({ status: 401, message: expect.stringContaining('PO-Assist:EMEA') });
    expect(await refusal(await sign({ roles: ['operator'], scope: ['po-assist:EMEA', 'PO-Assist:NA'] }))).toMatchObject({ status: 401, message: expect.stringContaining('PO-Assist:NA') });
  });

  it('keeps the pairs of an OAuth scope string and ignores scopes without a colon', async () => {
    expect(await verifier.verify(await sign({ roles: ['operator'], scope: 'openid profile po-assist:EMEA' }))).toEqual({ sub: 'alice', roles: ['operator'], scope: ['po-assist:EMEA'] });
    expect(await verifier.verify(await sign({ roles: ['operator'], scope: 'openid profile' }))).toEqual({ sub: 'alice', roles: ['operator'] });
  });
});
