import type { RequestHandler } from 'express';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { DEFAULT_MAX_TOKEN_LIFETIME_S, type Config } from '../config/index.js';
import { localSecret } from '../config/secrets.js';
import { hasRole, Principal, Role, ScopeEntry } from '../domain/principal.js';
import { AppError } from './errors.js';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export const ISSUER = 'exception-desk';
const SECRET_FILE = 'auth-secret';

/** AUTH_JWT_SECRET, or a secret generated once under DATA_DIR (mode 0600, never committed). */
export function loadSigningSecret(config: Pick<Config, 'AUTH_JWT_SECRET' | 'DATA_DIR'>, create = true): Uint8Array {
  return new TextEncoder().encode(config.AUTH_JWT_SECRET ?? localSecret(config.DATA_DIR, SECRET_FILE, create));
}

export interface TokenVerifier {
  mode: 'hs256' | 'oidc';
  verify(token: string): Promise<Principal>;
}

export function createTokenVerifier(config: Config): TokenVerifier {
  if (config.AUTH_JWKS_URL || config.AUTH_OIDC_ISSUER) {
    const jwks = oidcKeys(config);
    return {
      mode: 'oidc',
      verify: async (token) => {
        const { payload } = await jwtVerify(token, await jwks(), {
          issuer: config.AUTH_OIDC_ISSUER,
          audience: config.AUTH_AUDIENCE,
          algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
          requiredClaims: ['exp'],
        }).catch(rethrowAsUnauthorized);
        return principalFrom(payload, { requireScope: config.AUTH_REQUIRE_SCOPE });
      },
    };
  }
  const secret = loadSigningSecret(config);
  const maxLifetime = config.AUTH_MAX_TOKEN_LIFETIME ?? DEFAULT_MAX_TOKEN_LIFETIME_S;
  return {
    mode: 'hs256',
    verify: async (token) => {
      const { payload } = await jwtVerify(token, secret, {
        algorithms: ['HS256'],
        audience: config.AUTH_AUDIENCE,
        // A token without an expiry would work forever, even after its holder left.
        requiredClaims: ['exp'],
      }).catch(rethrowAsUnauthorized);
      checkLifetime(payload, maxLifetime);
      return principalFrom(payload, { requireScope: config.AUTH_REQUIRE_SCOPE });
    },
  };
}

const CLOCK_SKEW_S = 60;

/**
 * A locally signed token lives at most AUTH_MAX_TOKEN_LIFETIME, from when it says it was issued (or,
 * saying nothing, from now): a token minted for ten years would outlive the job of whoever holds it.
 */
function checkLifetime(payload: JWTPayload, maxSeconds: number): void {
  const now = Math.floor(Date.now() / 1000);
  const issued = typeof payload.iat === 'number' ? payload.iat : now;
  if (issued > now + CLOCK_SKEW_S) throw new AppError('UNAUTHORIZED', 'The token says it was issued in the future (iat).');
  const lifetime = payload.exp! - issued;
  if (lifetime > maxSeconds) {
    throw new AppError('UNAUTHORIZED', `The token lives ${formatSeconds(lifetime)}, longer than the ${formatSeconds(maxSeconds)} AUTH_MAX_TOKEN_LIFETIME allows; mint a shorter-lived one.`);
  }
}

const formatSeconds = (s: number) => (s % 86_400 === 0 ? `${s / 86_400}d` : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);

function oidcKeys(config: Config): () => Promise<JWTVerifyGetKey> {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  return () => {
    keys ??= (async () => {
      if (config.AUTH_JWKS_URL) return createRemoteJWKSet(new URL(config.AUTH_JWKS_URL));
      const discovery = `${config.AUTH_OIDC_ISSUER!.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const response = await fetch(discovery);
      if (!response.ok) throw new Error(`OIDC discovery failed: ${response.status} from ${discovery}`);
      const { jwks_uri } = (await response.json()) as { jwks_uri?: string };
      if (!jwks_uri) throw new Error(`OIDC discovery at ${discovery} has no jwks_uri`);
      return createRemoteJWKSet(new URL(jwks_uri));
    })().catch((err: unknown) => {
      keys = undefined;
      throw new AppError('UNAVAILABLE', `Token keys are unavailable: ${(err as Error).message}`);
    });
    return keys;
  };
}

function rethrowAsUnauthorized(err: unknown): never {
  if (err instanceof AppError) throw err;
  if (err instanceof joseErrors.JWTExpired) throw new AppError('UNAUTHORIZED', 'The token has expired.');
  if (err instanceof joseErrors.JOSEAlgNotAllowed) throw new AppError('UNAUTHORIZED', 'The token is signed with an algorithm that is not accepted.');
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new AppError('UNAUTHORIZED', 'The token signature is invalid.');
  if (err instanceof joseErrors.JOSEError) throw new AppError('UNAUTHORIZED', `The token was refused: ${err.message}`);
  throw err;
}

/**
 * Roles come from `roles` (unknown ones ignored); `scope` is an array of capability:region pairs or an
 * OAuth scope string. Scope fails closed: an entry that looks like a pair (has a colon) but does not
 * parse is refused (401 naming it), rather than dropped, which would leave the token unrestricted.
 * OAuth scopes without a colon (`openid profile`) are ignored. With `requireScope` (AUTH_REQUIRE_SCOPE),
 * a token with no pair at all is refused instead of unrestricted.
 */
export function principalFrom(payload: JWTPayload, options: { requireScope?: boolean } = {}): Principal {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new AppError('UNAUTHORIZED', 'The token has no subject (sub).');
  const rawRoles = Array.isArray(payload.roles) ? payload.roles : typeof payload.roles === 'string' ? payload.roles.split(/[\s,]+/) : [];
  const roles = rawRoles.flatMap((r) => (Role.safeParse(r).success ? [r as Role] : []));
  const scope = scopePairs(payload.scope);
  if (options.requireScope && !scope?.length) {
    throw new AppError('UNAUTHORIZED', 'The token carries no capability:region scope, and this deployment requires one on every token (AUTH_REQUIRE_SCOPE).');
  }
  const name = typeof payload.name === 'string' ? payload.name : undefined;
  return Principal.parse({ sub: payload.sub, roles, scope, ...(name ? { name } : {}) });
}

/**
 * The capability:region pairs of a scope claim; undefined when it names none (the token is
 * unrestricted). An array is our own form (npm run token): every entry must be a pair, and an empty
 * one reaches nothing. A string is an OAuth scope: its entries without a colon are other scopes.
 */
function scopePairs(claim: unknown): string[] | undefined {
  if (claim === undefined) return undefined;
  const notAPair = (entry: unknown) =>
    new AppError('UNAUTHORIZED', `The token scope entry ${JSON.stringify(typeof entry === 'string' ? entry.slice(0, 100) : entry)?.slice(0, 100)} is not a capability:region pair (lower-case capability, e.g. po-assist:EMEA).`);
  if (Array.isArray(claim)) {
    const bad = claim.find((entry) => !ScopeEntry.safeParse(entry).success);
    if (bad !== undefined) throw notAPair(bad);
    return claim as string[];
  }
  if (typeof claim !== 'string') throw new AppError('UNAUTHORIZED', 'The token scope must be a list of capability:region pairs or an OAuth scope string.');
  const pairs = claim.split(/\s+/).filter((entry) => entry.includes(':'));
  const bad = pairs.find((entry) => !ScopeEntry.safeParse(entry).success);
  if (bad !== undefined) throw notAPair(bad);
  return pairs.length > 0 ? pairs : undefined;
}

/** Verifies the bearer token and sets `req.principal`; 401 when it is missing or bad. */
export function authenticate(verifier: TokenVerifier): RequestHandler {
  return (req, _res, next) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) return next(new AppError('UNAUTHORIZED', 'Send a bearer token: Authorization: Bearer <JWT>.'));
    verifier.verify(match[1]!).then(
      (principal) => {
        req.principal = principal;
        next();
      },
      next,
    );
  };
}

/** 403 unless the caller holds one of `roles`; admin holds them all. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.principal) return next(new AppError('UNAUTHORIZED', 'Authentication required.'));
    if (!hasRole(req.principal, roles)) {
      return next(new AppError('FORBIDDEN', `This needs one of the roles: ${roles.join(', ')}.`, { requiredRoles: roles }));
    }
    next();
  };
}

export interface MintOptions {
  sub: string;
  roles: Role[];
  scope?: string[];
  name?: string;
  ttl?: string;
  audience?: string;
}

export async function mintToken(secret: Uint8Array, options: MintOptions): Promise<string> {
  const jwt = new SignJWT({ roles: options.roles, ...(options.scope?.length ? { scope: options.scope } : {}), ...(options.name ? { name: options.name } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(options.ttl ?? '8h');
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(secret);
}
