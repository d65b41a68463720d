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

describe('token lifetime and required scope', () => {
  const dataDir = () => mkdtempSync(path.join(os.tmpdir(), 'tokens-'));
  const signed = (iat: number, exp: number, claims: Record<string, unknown> = { roles: ['operator'] }) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuedAt(iat).setExpirationTime(exp).sign(new TextEncoder().encode(TEST_SECRET));
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses a locally signed token that lives longer than AUTH_MAX_TOKEN_LIFETIME (24h unless set), saying so', async () => {
    expect(await refusal(await signed(now(), now() + 25 * 3600))).toMatchObject({ status: 401, message: expect.stringContaining('AUTH_MAX_TOKEN_LIFETIME') });
    expect(await refusal(await signed(now(), now() + 24 * 3600))).toBeNull();
    const hourly = createTokenVerifier(loadConfig({ DATA_DIR: dataDir(), AUTH_JWT_SECRET: TEST_SECRET, AUTH_MAX_TOKEN_LIFETIME: '1h' }));
    const refusedByHourly = await hourly.verify(await signed(now(), now() + 2 * 3600)).then(() => null, (err: Error) => err.message);
    expect(refusedByHourly).toContain('lives 2h, longer than the 1h AUTH_MAX_TOKEN_LIFETIME allows');
    expect(await hourly.verify(await signed(now(), now() + 3600))).toMatchObject({ sub: 'alice' });
  });

  it('counts a token without iat from now, and refuses one issued in the future', async () => {
    const noIat = await new SignJWT({ roles: ['operator'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('30d').sign(new TextEncoder().encode(TEST_SECRET));
    expect(await refusal(noIat)).toMatchObject({ status: 401 });
    expect(await refusal(await signed(now() + 600, now() + 1200))).toMatchObject({ status: 401, message: expect.stringContaining('future') });
  });

  it('with AUTH_REQUIRE_SCOPE, refuses a token with no capability:region pair and takes a scoped one', async () => {
    const strict = createTokenVerifier(loadConfig({ DATA_DIR: dataDir(), AUTH_JWT_SECRET: TEST_SECRET, AUTH_REQUIRE_SCOPE: 'true' }));
    for (const claims of [{ roles: ['admin'] }, { roles: ['admin'], scope: 'openid profile' }, { roles: ['admin'], scope: [] }]) {
      const message = await strict.verify(await sign(claims)).then(() => null, (err: Error) => err.message);
      expect(message, JSON.stringify(claims)).toContain('AUTH_REQUIRE_SCOPE');
    }
    expect(await strict.verify(await sign({ roles: ['admin'], scope: 'openid po-assist:EMEA' }))).toMatchObject({ scope: ['po-assist:EMEA'] });
  });

  it('refuses settings it could not honour', () => {
    expect(() => loadConfig({ AUTH_MAX_TOKEN_LIFETIME: 'forever' })).toThrow(/AUTH_MAX_TOKEN_LIFETIME="forever": expected a duration/);
    expect(() => loadConfig({ AUTH_MAX_TOKEN_LIFETIME: '400d' })).toThrow(/at most 365d/);
    expect(() => loadConfig({ AUTH_MAX_TOKEN_LIFETIME: '8h', AUTH_JWKS_URL: 'https://idp.example.com/jwks' })).toThrow(/bounds locally signed tokens only/);
    expect(() => loadConfig({ AUTH_REQUIRE_SCOPE: 'maybe' })).toThrow(/AUTH_REQUIRE_SCOPE/);
  });
});
