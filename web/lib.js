import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

const TOKEN_KEY = 'exception-desk.token';
export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** Fetch against the API with the session's bearer token. Never throws on an HTTP status: callers read `ok` and `problem`. */
export async function api(path, { method = 'GET', body, headers = {}, token = session.token, accept } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (accept) init.headers.accept = accept;
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const type = response.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await response.json() : await response.text();
  const ok = response.ok;
  return { ok, status: response.status, body: data, etag: response.headers.get('etag'), problem: ok ? null : describeProblem(data, response.status) };
}

/** A problem+json as one readable line, with the field paths it names. */
export function describeProblem(problem, status) {
  if (!problem || typeof problem !== 'object') return `Request failed (${status}).`;
  const fields = (problem.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ');
  return [problem.detail ?? problem.title ?? `Request failed (${status})`, fields].filter(Boolean).join(' — ');
}

export const exceptionPath = (id) => `/api/v1/exceptions/${encodeURIComponent(id)}`;

/** "3h 12m", "45s": a duration for people. */
export function duration(ms) {
  const s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${m % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export const age = (iso, now = Date.now()) => duration(now - Date.parse(iso));

/**
 * The clock that matters now: claim-by while open, resolve-by while claimed. Whether it is late is the
 * server's answer (`overdue`, domain/rules/overdue.ts), never worked out here, so the queue's highlight,
 * its "Overdue only" filter and the API agree.
 */
export function slaCountdown(exception, now = Date.now()) {
  if (exception.status !== 'open' && exception.status !== 'claimed') return { text: '—', late: false };
  if (exception.deadlines.snoozedUntil) return { text: `snoozed until ${new Date(exception.deadlines.snoozedUntil).toLocaleString()}`, late: false };
  const [label, deadline] = exception.status === 'open' ? ['claim', exception.deadlines.claimBy] : ['resolve', exception.deadlines.resolveBy];
  const late = Boolean(exception.overdue);
  if (!deadline) return { text: `${label} by: unknown`, late };
  const left = Date.parse(deadline) - now;
  return { text: left >= 0 ? `${label} in ${duration(left)}` : `${label} ${duration(left)} overdue`, late };
}

export const AREAS = ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training'];
export const SEVERITIES = ['critical', 'high', 'medium', 'low'];
export const STATUSES = ['open', 'claimed', 'resolved', 'dismissed'];

export const hasRole = (me, ...roles) => me.roles.includes('admin') || roles.some((r) => me.roles.includes(r));
