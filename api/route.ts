import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Principal, Role } from '../domain/principal.js';
import { MAX_NESTING, nestingDepth } from '../ledger/bounded-json.js';
import type { ActorDirectory } from './actors.js';
import { authenticate, requireRole, type TokenVerifier } from './auth.js';
import { AppError, fieldErrors } from './errors.js';
import { enforceScope, type RouteScope, type ScopeKind } from './scope.js';
import { nameRequestSpan } from '../platform/tracing.js';

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';
type AnyObject = z.ZodType<Record<string, unknown>>;

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

/** What a route's scope declaration sees: the parsed request and the caller. */
export interface ScopeInput<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  params: z.infer<P>;
  query: z.infer<Q>;
  body: z.infer<B>;
  principal: Principal;
}

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  method: Method;
  /** OpenAPI-style path: /api/v1/exceptions/{id}. Literal colons (exceptions:batch) are allowed. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** Omit for public routes; otherwise the caller needs a valid token and one of these roles. */
  roles?: Role[];
  /**
   * Required: how the token's scope applies (api/scope.ts). Resource, capability and person are
   * enforced here before the handler runs; a listing filters itself.
   */
  scope: RouteScope<ScopeInput<P, Q, B>>;
  params?: P;
  query?: Q;
  body?: B;
  /** Documents the body when `body` only checks its shape and the handler parses it (e.g. YAML). */
  bodyDoc?: z.ZodType;
  /** Content types accepted for the body; JSON unless stated. */
  bodyTypes?: string[];
  /** The handler checks the body's nesting itself, e.g. intake, which quarantines what it refuses. */
  checksNesting?: boolean;
  responses: Record<number, ResponseSpec>;
  handler: (
    input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B>; principal: Principal; req: Request; res: Response },
  ) => Promise<unknown>;
}

/** A route as declared, so tests can cover every route the table holds (e.g. the token matrix). */
export interface DeclaredRoute {
  method: Method;
  path: string;
  roles?: Role[];
  scope: ScopeKind;
  params?: AnyObject;
  query?: AnyObject;
  body?: z.ZodType;
  bodyTypes: string[];
}

/** What a handler returns when the default status (the first 2xx in `responses`) is not the one. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** Parses one part of the request; failures become a 400 listing every field path. */
export function parsePart<T extends z.ZodType>(schema: T, value: unknown, where: 'params' | 'query' | 'body'): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new AppError('BAD_REQUEST', `The request ${where === 'body' ? 'body' : where} is invalid.`, {
    errors: fieldErrors(parsed.error, where === 'body' ? undefined : where),
  });
}

/**
 * What every route may answer besides its own statuses, by what it is: all problem+json. A route's
 * own error statuses without a schema get the Problem schema too, so a generated client has a body
 * type for every status (test/contract/route-statuses.test.ts drives each one).
 */
function commonProblems(spec: { roles?: Role[]; body?: unknown }): Record<number, string> {
  const problems: Record<number, string> = { 400: 'Malformed request: the path, query or body is invalid (problem+json, with field paths)' };
  if (spec.roles) {
    problems[401] = 'Missing or invalid token';
    problems[403] = 'Role, scope or directory status denied (departed, on leave for a write, or not in the directory)';
  }
  if (spec.body) {
    problems[413] = 'The body is larger than BODY_LIMIT';
    problems[415] = 'The body is not in a content type this route accepts';
  }
  if (spec.roles) {
    problems[429] = 'Too many concurrent changes to the same item; retry shortly';
    problems[503] = 'The workflow engine (or, with OIDC, the token keys) did not answer in time; retry shortly';
  }
  problems[500] = 'Something went wrong on our side; the body names an incident to quote';
  return problems;
}

const scopeDoc = (scope: RouteScope<never>): string =>
  ({
    resource: "Scope: the resource's capability and region must be in the token's scope.",
    items: `Scope: each item is checked as its own resource (${scope.kind === 'items' ? scope.note : ''}).`,
    capability: 'Scope: about the capability as a whole; a token scoped to some regions only is refused.',
    person: "Scope: allowed only when every cell and open exception of the person's that the action touches is in scope.",
    listing: `Scope: filtered to the token's scope${scope.kind === 'listing' ? ` (${scope.filters})` : ''}.`,
    none: `Scope: none${scope.kind === 'none' ? ` (${scope.why})` : ''}.`,
  })[scope.kind];

function expressPath(openApiPath: string): string {
  return openApiPath.replace(/:/g, '\\:').replace(/\{(\w+)\}/g, ':$1');
}

/**
 * One place that turns a route spec into an express handler and an OpenAPI operation, so the
 * schema that validates a request is the schema that documents it.
 */
export class ApiRoutes {
  readonly router: Router = express.Router();
  readonly declared: DeclaredRoute[] = [];

  constructor(
    readonly registry: OpenAPIRegistry,
    private readonly verifier: TokenVerifier,
    /** Directory status of callers: departed people and writes by people on leave are refused. */
    readonly actors: ActorDirectory,
  ) {}

  route<P extends AnyObject = z.ZodObject<Record<string, never>>, Q extends AnyObject = z.ZodObject<Record<string, never>>, B extends z.ZodType = z.ZodUndefined>(
    spec: RouteSpec<P, Q, B>,
  ): void {
    if (!spec.roles && spec.scope.kind !== 'none') throw new Error(`${spec.method} ${spec.path}: a public route has no token, so its scope must be none`);
    this.document(spec);
    this.declared.push({ method: spec.method, path: spec.path, roles: spec.roles, scope: spec.scope.kind, params: spec.params, query: spec.query, body: spec.body, bodyTypes: spec.bodyTypes ?? ['application/json'] });
    const successStatus = Number(Object.keys(spec.responses).find((s) => s.startsWith('2')) ?? 200);
    const bodyTypes = spec.bodyTypes ?? ['application/json'];
    const access = spec.method === 'get' ? 'read' : 'write';
    const roles = spec.roles;
    const activeActor = (req: Request, _res: Response, next: NextFunction) => {
      this.actors.check(req.principal!, access, roles ?? []).then(() => next(), next);
    };
    // The route's template labels its metrics and log line: bounded, unlike the URL.
    const named = (req: Request, res: Response, next: NextFunction) => {
      res.locals.route = spec.path;
      if (typeof req.params.id === 'string') res.locals.exceptionId = req.params.id;
      nameRequestSpan(req.method, spec.path, res.locals.exceptionId as string | undefined);
      next();
    };
    const guards = roles ? [named, authenticate(this.verifier), requireRole(...roles), activeActor] : [named];
    const handle = async (req: Request, res: Response, next: NextFunction) => {
      try {
        const params = parsePart(spec.params ?? z.strictObject({}), req.params, 'params');
        const query = parsePart(spec.query ?? z.strictObject({}), req.query, 'query');
        let body: unknown = undefined;
        if (spec.body) {
          // No body, or an empty one whatever its content type (fetch() sends Content-Length: 0 and often a JSON
          // type), is no body: a route that needs no fields takes it, one that does answers 400 naming them.
          const length = req.headers['content-length'];
          const empty = length === '0' || (length === undefined && req.headers['transfer-encoding'] === undefined);
          // req.is() is null when the request has no body at all, false when it has one of another type.
          const matches = empty ? null : req.is(bodyTypes);
          if (matches === false) throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Send the body as ${bodyTypes.join(' or ')}.`);
          // Recursive code further on (JSON.stringify, merges) overflows the stack on a body nested 100 000 deep.
          if (!spec.checksNesting && nestingDepth(req.body, MAX_NESTING) > MAX_NESTING) {
            throw new AppError('BAD_REQUEST', `The body nests deeper than ${MAX_NESTING} levels.`, { errors: [{ path: '(body)', message: `nested deeper than ${MAX_NESTING} levels` }] });
          }
          // An empty body where fields are needed is checked as {}, so the 400 names each missing field.
          const sent = matches === null ? (spec.body.safeParse(undefined).success ? undefined : {}) : req.body;
          body = parsePart(spec.body, sent, 'body');
        }
        if (req.principal) await enforceScope(spec.scope, { params, query, body, principal: req.principal } as never, req.principal);
        const result = await spec.handler({ params, query, body, principal: req.principal!, req, res } as never);
        if (res.headersSent) return;
        if (result instanceof Reply) {
          res.set(result.headers).status(result.status);
          if (result.body === undefined) res.end();
          else res.json(result.body);
        } else if (result === undefined) res.status(successStatus === 200 ? 204 : successStatus).end();
        else res.status(successStatus).json(result);
      } catch (err) {
        next(err);
      }
    };
    this.router[spec.method](expressPath(spec.path), ...guards, handle);
  }

  private document<P extends AnyObject, Q extends AnyObject, B extends z.ZodType>(spec: RouteSpec<P, Q, B>) {
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
    const problem = { 'application/problem+json': { schema: Problem } };
    for (const [status, r] of Object.entries(spec.responses)) {
      const schema = r.schema ?? (Number(status) >= 400 ? Problem : undefined);
      responses[status] = {
        description: r.description,
        ...(schema ? { content: { [r.contentType ?? (Number(status) >= 400 && !r.schema ? 'application/problem+json' : 'application/json')]: { schema } } } : {}),
      };
    }
    for (const [status, description] of Object.entries(commonProblems(spec))) {
      responses[status] ??= { description, content: problem };
    }
    this.registry.registerPath({
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      tags: spec.tags,
      ...(spec.roles ? { security: [{ bearerAuth: [] }] } : {}),
      description: [spec.description, spec.roles && `Roles: ${spec.roles.join(', ')} (admin always allowed).`, spec.roles && scopeDoc(spec.scope as RouteScope<never>)].filter(Boolean).join('\n\n') || undefined,
      request: {
        ...(spec.params ? { params: spec.params as never } : {}),
        ...(spec.query ? { query: spec.query as never } : {}),
        ...(spec.body
          ? { body: { required: !spec.body.safeParse(undefined).success, content: Object.fromEntries((spec.bodyTypes ?? ['application/json']).map((t) => [t, { schema: spec.bodyDoc ?? spec.body! }])) } }
          : {}),
      },
      responses,
    });
  }
}

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
