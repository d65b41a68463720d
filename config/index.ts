import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DURATION, durationMs, durationWithin } from '../domain/rules/duration.js';
import { parseScrapeAccess } from '../platform/scrape-access.js';
import { parseAllowedHosts } from '../platform/webhook-allowlist.js';

const port = (fallback: number, min = 1) => z.coerce.number().int().min(min).max(65535).default(fallback);
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const blankAsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** Every setting exception-desk reads, parsed once at start-up. Names follow shared/api-outline.md. */
export const Config = z.object({
  PORT: port(3000, 0),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** The address people reach the console at; an https one turns on HSTS for every response. */
  PUBLIC_URL: z.preprocess(blankAsUnset, z.url({ protocol: /^https?$/ }).optional()),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** auto: readable lines on a terminal, JSON elsewhere; json or pretty: always that. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 1mb or 512kb').default('1mb'),

  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_ADDRESS: z.preprocess(blankAsUnset, z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port').optional()),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('exception-desk'),
  TEMPORAL_CLI_PATH: z.preprocess(blankAsUnset, z.string().optional()),
  TEMPORAL_READY_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** The deadline of every call the API makes to Temporal, in ms: an update no worker takes answers 503, not never. */
  TEMPORAL_CALL_TIMEOUT: z.preprocess(
    blankAsUnset,
    z
      .string()
      .regex(/^\d+(ms|s)$/, 'expected a duration such as 10s or 2500ms')
      .transform((v) => (v.endsWith('ms') ? Number(v.slice(0, -2)) : Number(v.slice(0, -1)) * 1000))
      .pipe(z.number().min(100, 'must be at least 100ms').max(600_000, 'must be at most 600s'))
      .default(10_000),
  ),

  LEDGER_URL: z.preprocess(
    blankAsUnset,
    z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL (leave unset for SQLite under DATA_DIR)').optional(),
  ),

  AUTH_JWT_SECRET: z.preprocess(blankAsUnset, z.string().min(32, 'must be at least 32 characters').optional()),
  AUTH_OIDC_ISSUER: z.preprocess(blankAsUnset, z.url().optional()),
  AUTH_JWKS_URL: z.preprocess(blankAsUnset, z.url().optional()),
  AUTH_AUDIENCE: z.preprocess(blankAsUnset, z.string().optional()),
  /** The longest a locally signed (HS256) token may live, exp minus iat: 30m, 8h, 7d. Unset: 24h. */
  AUTH_MAX_TOKEN_LIFETIME: z.preprocess(
    blankAsUnset,
    z
      .string()
      .regex(/^\d+(s|m|h|d)$/, 'expected a duration such as 30m, 8h or 7d')
      .transform((v) => Number(v.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86_400 }[v.slice(-1) as 's' | 'm' | 'h' | 'd'])
      .pipe(z.number().min(60, 'must be at least 1m').max(365 * 86_400, 'must be at most 365d'))
      .optional(),
  ),
  /** Refuse tokens that carry no capability:region scope pair (every caller scoped). */
  AUTH_REQUIRE_SCOPE: z.preprocess(blankAsUnset, flag.default(false)),

  /** Continue entity workflows as new after this many changes per run, besides the server's suggestion (tests). */
  CONTINUE_AS_NEW_AFTER: z.preprocess(blankAsUnset, z.coerce.number().int().positive().optional()),
  /** The departure sweep's longest wait between checks on the work it moved (default 1 minute); tests set 0, no wait. */
  DEPARTURE_WAIT_MAX_MS: z.preprocess(blankAsUnset, z.coerce.number().int().min(0).optional()),

  /**
   * Quarterly ownership attestation: capabilities whose owners and backups a Temporal Schedule asks to
   * confirm their cells on the first day of each quarter, e.g. `po-assist` or `po-assist=14d/3d` (answer
   * within 14 days, reminded 3 days before the end; the default). Unset: no schedule (and any left from
   * before is removed).
   */
  ATTESTATION_SCHEDULE: z.preprocess(blankAsUnset, z.string().optional()).transform((value, ctx) => {
    const entries = parseAttestationSchedule(value ?? '');
    if ('error' in entries) {
      ctx.addIssue({ code: 'custom', message: entries.error });
      return z.NEVER;
    }
    return entries;
  }),

  GAP_MAX_CELLS_PER_PERSON: z.coerce.number().int().min(1).default(6),
  GAP_MAX_OPEN_PER_OWNER: z.coerce.number().int().min(1).default(25),

  /** Open exceptions kept in the worker's memory; past this, the least recently used replay on their next event. */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).default(1000),
  /** A workflow bundle built beforehand (`npm run cluster` bundles once for all its workers); unset: the worker bundles from source. */
  WORKFLOW_BUNDLE: z.preprocess(blankAsUnset, z.string().optional()),

  WEBHOOK_SECRET: z.preprocess(blankAsUnset, z.string().min(32, 'must be at least 32 characters').optional()),
  /**
   * Hosts (`host` or `host:port`, comma-separated) a webhook may reach although they are internal:
   * loopback, private, link-local. Empty: webhooks go to public addresses only.
   */
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parseAllowedHosts(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),

  /**
   * off: no metrics at all (no request timing, query timing, activity interceptor, counters, gauges,
   * Node process metrics, Temporal SDK metrics or /metrics), for deployments that do not scrape, and
   * for the benchmark's with/without comparison. The scrape settings below then must stay unset.
   */
  METRICS: z.enum(['on', 'off']).default('on'),
  /** Who may scrape /metrics: loopback (default), any, none, or addresses and CIDR ranges (platform/scrape-access.ts). */
  METRICS_SCRAPE: z
    .string()
    .default('loopback')
    .transform((text, ctx) => {
      try {
        return parseScrapeAccess(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** When set, a scrape must also send `Authorization: Bearer <METRICS_TOKEN>` (Prometheus: `authorization.credentials`). */
  METRICS_TOKEN: z.preprocess(blankAsUnset, z.string().min(32, 'must be at least 32 characters').optional()),
  /** A port on HOST where the worker serves its own /metrics (its counters and the Temporal SDK's); unset: none. */
  WORKER_METRICS_PORT: z.preprocess(blankAsUnset, z.coerce.number().int().min(0).max(65535).optional()),

  /**
   * Turns e-mail notifications on: `smtp://user:pass@host:587` (STARTTLS when offered) or
   * `smtps://…:465` (TLS from the start). Unset: notifications stay in the inbox (and webhooks).
   */
  SMTP_URL: z.preprocess(
    blankAsUnset,
    z
      .url({ protocol: /^smtps?$/, hostname: /./, error: 'expected smtp://[user:password@]host[:port] or smtps://…' })
      .optional(),
  ),
  /** The From of every mail: `desk@example.com` or `Exception desk <desk@example.com>`. Required with SMTP_URL. */
  SMTP_FROM: z.preprocess(
    blankAsUnset,
    z
      .string()
      .max(320)
      .regex(/^(?:[^<>\r\n]*<[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)$/, 'expected an address such as desk@example.com or "Exception desk <desk@example.com>"')
      .optional(),
  ),
  /** The local hour (0–23, in each region's template time zone) a person's daily digest goes out. */
  SMTP_DIGEST_HOUR: z.preprocess(blankAsUnset, z.coerce.number().int().min(0).max(23).optional()),

  DEMO: z.preprocess(blankAsUnset, flag.optional()),
  /** The console's demo-user picker. Unset: on for `npm start` with the embedded Temporal on a loopback HOST, off otherwise. */
  DEMO_USERS: z.preprocess(blankAsUnset, flag.optional()),
});
export type Config = z.infer<typeof Config>;

export interface AttestationScheduleEntry {
  capability: string;
  within: string;
  remindBefore: string;
}

/** `po-assist, po-other=30d/7d` → one entry per capability; durations at most 90d, the reminder before the end. */
export function parseAttestationSchedule(text: string): AttestationScheduleEntry[] | { error: string } {
  const entries: AttestationScheduleEntry[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([a-z0-9][a-z0-9-]{1,63})(?:=([0-9dhms]+)\/([0-9dhms]+))?$/.exec(part);
    if (!match) return { error: `'${part}' is not capability or capability=<within>/<remindBefore>, e.g. po-assist=14d/3d` };
    const [, capability, within = '14d', remindBefore = '3d'] = match as unknown as [string, string, string?, string?];
    for (const d of [within, remindBefore]) {
      if (!DURATION.test(d) || !durationWithin(d, '90d')) return { error: `'${d}' in '${part}' must be a duration of at most 90d, e.g. 14d` };
    }
    if (durationMs(remindBefore) >= durationMs(within)) return { error: `in '${part}' the reminder (${remindBefore} before the end) must be shorter than ${within}` };
    if (entries.some((e) => e.capability === capability)) return { error: `${capability} is named twice` };
    entries.push({ capability, within, remindBefore });
  }
  return entries;
}

/** AUTH_MAX_TOKEN_LIFETIME when unset: a working day and then some, never a token that outlives its holder's job. */
export const DEFAULT_MAX_TOKEN_LIFETIME_S = 24 * 3600;

/** Settings that are each valid but together would be accepted and ignored (`env` tells a value given from a default). */
const consistent = (env: NodeJS.ProcessEnv) => Config.superRefine((config, ctx) => {
  if (config.AUTH_MAX_TOKEN_LIFETIME !== undefined && (config.AUTH_OIDC_ISSUER || config.AUTH_JWKS_URL)) {
    ctx.addIssue({ code: 'custom', path: ['AUTH_MAX_TOKEN_LIFETIME'], message: 'bounds locally signed tokens only; with AUTH_OIDC_ISSUER or AUTH_JWKS_URL your identity provider sets lifetimes. Unset it' });
  }
  if (config.METRICS_TOKEN && config.METRICS_SCRAPE.kind === 'none') {
    ctx.addIssue({ code: 'custom', path: ['METRICS_SCRAPE'], message: 'turns /metrics off, yet METRICS_TOKEN is set for scraping it; unset one of them' });
  }
  if (config.SMTP_URL && !config.SMTP_FROM) {
    ctx.addIssue({ code: 'custom', path: ['SMTP_FROM'], message: 'is required with SMTP_URL: the address mails are sent from, such as desk@example.com' });
  }
  if (!config.SMTP_URL) {
    for (const name of ['SMTP_FROM', 'SMTP_DIGEST_HOUR'] as const) {
      if (config[name] !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is set, yet SMTP_URL is unset, so no mail is sent; set SMTP_URL or unset it' });
    }
  }
  if (config.METRICS === 'off') {
    for (const name of ['METRICS_SCRAPE', 'METRICS_TOKEN', 'WORKER_METRICS_PORT'] as const) {
      // METRICS_SCRAPE=none agrees with off; any other scrape setting would be ignored.
      if (blankAsUnset(env[name]) === undefined || (name === 'METRICS_SCRAPE' && config.METRICS_SCRAPE.kind === 'none')) continue;
      ctx.addIssue({ code: 'custom', path: [name], message: 'is set, yet METRICS=off collects and serves no metrics; unset one of them' });
    }
  }
});

export class ConfigError extends Error {
  readonly actionable = true;
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; a bad value throws a ConfigError naming the variable and the problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = consistent(env).safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        // A URL's password never reaches the log (SMTP_URL, LEDGER_URL carry credentials).
        const value = (env[String(issue.path[0])] ?? '').replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
        return `${name}=${JSON.stringify(value)}: ${issue.message}`;
      }),
    );
  }
  return { ...parsed.data, DATA_DIR: path.resolve(parsed.data.DATA_DIR) };
}

/** Reads ./.env (if any) into process.env without overriding what is already set. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/** The address API and worker processes use: an explicit one, or the embedded server's. */
export function temporalAddress(config: Config): string {
  return config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`;
}
