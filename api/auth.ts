import type { RequestHandler } from 'express';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config/index.js';
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
        return principalFrom(payload);
      },
    };
  }
  const secret = loadSigningSecret(config);
  return {
    mode: 'hs256',
    verify: async (token) => {
      const { payload } = await jwtVerify(token, secret, {
        algorithms: ['HS256'],
        audience: config.AUTH_AUDIENCE,
        // A token without an expiry would work forever, even after its holder left.
        requiredClaims: ['exp'],
      }).catch(rethrowAsUnauthorized);
      return principalFrom(payload);
    },
  };
}

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
 * parse is refused, rather than dropped, which would leave the token unrestricted. OAuth scopes
 * without a colon (`openid profile`) are ignored.
 */
export function principalFrom(payload: JWTPayload): Principal {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new AppError('UNAUTHORIZED', 'The token has no subject (sub).');
  const rawRoles = Array.isArray(payload.roles) ? payload.roles : typeof payload.roles === 'string' ? payload.roles.split(/[\s,]+/) : [];
  const roles = rawRoles.flatMap((r) => (Role.safeParse(r).success ? [r as Role] : []));
  let scope: string[] | undefined;
  if (Array.isArray(payload.scope)) {
    const parsed = ScopeEntry.array().safeParse(payload.scope);
    if (!parsed.success) {
      const bad = payload.scope.find((s) => !ScopeEntry.safeParse(s).success);
      throw new AppError('UNAUTHORIZED', `The token scope must list capability:region pairs; ${JSON.stringify(String(bad).slice(0, 100))} is not one.`);
    }
    scope = parsed.data;
  } else if (typeof payload.scope === 'string') {
    const pairs = payload.scope.split(/\s+/).filter((s) => s.includes(':'));
    const bad = pairs.find((s) => !ScopeEntry.safeParse(s).success);
    if (bad !== undefined) throw new AppError('UNAUTHORIZED', `The token scope entry ${JSON.stringify(bad.slice(0, 100))} is not a capability:region pair (lower-case capability).`);
    scope = pairs.length > 0 ? pairs : undefined;
  }
  const name = typeof payload.name === 'string' ? payload.name : undefined;
  return Principal.parse({ sub: payload.sub, roles, scope, ...(name ? { name } : {}) });
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
