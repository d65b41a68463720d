import { readFileSync } from 'node:fs';
import { priceVarianceIntake } from '../scripts/fixtures.js';
import YAML from 'yaml';
import { mintToken } from '../api/auth.js';
import { BENCH_SECRET } from './stack.js';

export interface Reply<T = any> {
  status: number;
  body: T;
  ms: number;
}

/** JSON over HTTP against the API, timed from request to the last byte of the answer. */
export class Api {
  constructor(readonly base: string) {}

  async call<T = any>(method: string, path: string, token: string, body?: unknown): Promise<Reply<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const started = performance.now();
    const response = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const ms = performance.now() - started;
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON; keep the text
    }
    return { status: response.status, body: parsed as T, ms };
  }

  post<T = any>(path: string, token: string, body: unknown = {}) {
    return this.call<T>('POST', path, token, body);
  }

  get<T = any>(path: string, token: string) {
    return this.call<T>('GET', path, token);
  }

  put<T = any>(path: string, token: string, body: unknown) {
    return this.call<T>('PUT', path, token, body);
  }
}

/** Round robin over several APIs of one desk (a cluster's), as a load balancer in front of them would. */
export class SpreadApi extends Api {
  private readonly apis: Api[];
  private next = 0;

  constructor(bases: string[]) {
    super(bases[0]!);
    this.apis = bases.map((b) => new Api(b));
  }

  override call<T = any>(method: string, path: string, token: string, body?: unknown): Promise<Reply<T>> {
    const api = this.apis[this.next++ % this.apis.length]!;
    return api.call<T>(method, path, token, body);
  }
}

/** `HTTP 409 Conflict: Claimed by omar.` — what an error reply says, for the error tally. */
export function problemText(reply: Reply): string {
  const b = reply.body as { title?: string; detail?: string } | string | undefined;
  if (b && typeof b === 'object') return `HTTP ${reply.status} ${b.title ?? ''}: ${b.detail ?? ''}`;
  return `HTTP ${reply.status} ${String(b ?? '').slice(0, 200)}`;
}

export const exceptionPath = (id: string) => `/api/v1/exceptions/${encodeURIComponent(id)}`;

/** SLAs long enough that nothing fires during the run. */
export const SLOW_POLICY = {
  claimWithin: '1d',
  resolveWithin: '3d',
  claimLease: '1d',
  escalation: [{ after: '1h', notify: 'backup' }],
};

/** One escalation step `after` the claim SLA lapses, no repeats: exactly one `escalated` event per exception. */
export function fastPolicy(claimWithinS: number, afterS: number) {
  return { claimWithin: `${claimWithinS}s`, resolveWithin: '1d', claimLease: '1d', escalation: [{ after: `${afterS}s`, notify: 'backup' }] };
}

export const CAPABILITY = 'po-bench';
export const FAST_CAPABILITY = 'po-bench-fast';
/** Figure 9: the same slow SLAs on the EMEA business calendar (Berlin, holidays) and on none (24x7). */
export const CALENDAR_CAPABILITY = 'po-bench-cal';
export const CALENDAR_OFF_CAPABILITY = 'po-bench-24x7';
export const REGIONS = ['NA', 'EU'] as const;

export interface World {
  admin: string;
  integration: string;
  operator: string;
  /** Owner of each region's cells, for owner= filters. */
  ownerOf: Record<string, string>;
}

/**
 * Through the HTTP API, as an administrator would: the shipped PO Assist template as two
 * capabilities (slow SLAs; a fast claim SLA for the escalation phase), rolled out to NA and EU,
 * six people and every ownership cell.
 */
export async function buildWorld(api: Api, fast: { claimWithinS: number; afterS: number }, calendar: object, secret = BENCH_SECRET): Promise<World> {
  const mint = (sub: string, roles: Array<'admin' | 'integration' | 'operator'>) => mintToken(new TextEncoder().encode(secret), { sub, roles, ttl: '24h' });
  const admin = await mint('root', ['admin']);
  const expectOk = (what: string, reply: Reply) => {
    if (reply.status >= 300) throw new Error(`bench setup: ${what} failed: ${problemText(reply)} ${JSON.stringify(reply.body).slice(0, 500)}`);
  };
  const base = YAML.parse(readFileSync(new URL('../templates/po-assist.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
  const { businessCalendar: _calendar, ...wallTime } = base;
  for (const [id, policy, template0] of [
    [CAPABILITY, SLOW_POLICY, base],
    // Seconds-long SLAs must fire whenever the bench runs: wall time.
    [FAST_CAPABILITY, fastPolicy(fast.claimWithinS, fast.afterS), wallTime],
    [CALENDAR_CAPABILITY, SLOW_POLICY, { ...base, timeZone: 'Europe/Berlin', businessCalendar: calendar }],
    [CALENDAR_OFF_CAPABILITY, SLOW_POLICY, wallTime],
  ] as const) {
    const template = { ...template0, id, slaPolicies: { critical: policy, high: policy, medium: policy, low: policy } };
    expectOk(`PUT capability ${id}`, await api.put(`/api/v1/capabilities/${id}`, admin, template));
    for (const region of REGIONS) expectOk(`roll out ${id} to ${region}`, await api.put(`/api/v1/capabilities/${id}/regions/${region}`, admin, {}));
  }
  const people: Array<[string, string | null, string[]]> = [
    ['grace', null, ['manager']],
    ['priya', 'grace', ['owner']],
    ['li', 'grace', ['operator']],
    ['dana', 'grace', ['owner']],
    ['olivia', 'dana', ['operator']],
    ['omar', 'dana', ['operator']],
  ];
  for (const [id, managerId, roles] of people) {
    expectOk(`PUT person ${id}`, await api.put(`/api/v1/people/${id}`, admin, { name: id, email: `${id}@example.com`, managerId, roles }));
  }
  const cells: Record<string, { owner: string; backup: string; escalation: string[] }> = {
    NA: { owner: 'priya', backup: 'li', escalation: ['dana'] },
    EU: { owner: 'dana', backup: 'olivia', escalation: ['grace'] },
  };
  for (const capability of [CAPABILITY, FAST_CAPABILITY, CALENDAR_CAPABILITY, CALENDAR_OFF_CAPABILITY]) {
    for (const region of REGIONS) {
      for (const area of ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training']) {
        expectOk(
          `ownership ${capability}/${region}/${area}`,
          await api.put(`/api/v1/capabilities/${capability}/ownership/${region}/${area}`, admin, { ...cells[region], reason: 'benchmark world' }),
        );
      }
    }
  }
  return {
    admin,
    integration: await mint('erp', ['integration']),
    operator: await mint('olivia', ['operator']),
    ownerOf: { NA: cells.NA!.owner, EU: cells.EU!.owner },
  };
}

/** A valid price-variance intake; two of three go to NA, one to EU. */
export function intake(capability: string, sourceKey: string, i: number) {
  return priceVarianceIntake(capability, i % 3 === 2 ? 'EU' : 'NA', sourceKey);
}
