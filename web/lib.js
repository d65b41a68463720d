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
 * The clock that matters now: claim-by while open, resolve-by while claimed, in working time when the
 * exception runs on a business calendar ("due Mon 10:00 CET, 3 working hours left"). The deadline and
 * the working time left are the server's answers (`sla`, domain/rules/calendar.ts and overdue.ts), and
 * whether it is late is `overdue`: never worked out here, so the queue, its filters and the API agree.
 */
export function slaCountdown(exception, now = Date.now()) {
  if (exception.status !== 'open' && exception.status !== 'claimed') return { text: '—', late: false };
  if (exception.deadlines.snoozedUntil) return { text: `snoozed until ${new Date(exception.deadlines.snoozedUntil).toLocaleString()}`, late: false };
  if (exception.waiting) {
    const until = exception.waiting.until ? ` until ${dueText(exception.waiting.until, exception.sla?.timeZone)}` : '';
    return { text: `waiting on ${exception.waiting.reason}${until}: resolve clock paused`, late: false };
  }
  const label = exception.status === 'open' ? 'claim' : 'resolve';
  const late = Boolean(exception.overdue);
  const sla = exception.sla;
  if (sla?.calendar === 'business' && sla.dueAt) {
    const left = sla.workingMsLeft ?? 0;
    return { text: late ? `${label} was due ${dueText(sla.dueAt, sla.timeZone)}, overdue` : `${label} due ${dueText(sla.dueAt, sla.timeZone)}, ${workingLeft(left)} left`, late };
  }
  const deadline = sla?.dueAt ?? (exception.status === 'open' ? exception.deadlines.claimBy : exception.deadlines.resolveBy);
  if (!deadline) return { text: `${label} by: unknown`, late };
  const left = Date.parse(deadline) - now;
  return { text: left >= 0 ? `${label} in ${duration(left)}` : `${label} ${duration(left)} overdue`, late };
}

/** "Mon 10:00 CET": a deadline in the calendar's own time zone. */
export function dueText(iso, timeZone) {
  try {
    return new Intl.DateTimeFormat('en-GB', { weekday: 'short', hour: '2-digit', minute: '2-digit', timeZone: timeZone ?? undefined, timeZoneName: 'short' }).format(new Date(iso)).replace(',', '');
  } catch {
    return new Date(iso).toLocaleString();
  }
}

/** "3 working hours", "2.5 working hours", "40 working minutes". */
export function workingLeft(ms) {
  const hours = ms / 3_600_000;
  if (hours >= 1) return `${Math.round(hours * 10) / 10} working hour${hours === 1 ? '' : 's'}`;
  const minutes = Math.max(0, Math.round(ms / 60_000));
  return `${minutes} working minute${minutes === 1 ? '' : 's'}`;
}

export const AREAS = ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training'];
export const SEVERITIES = ['critical', 'high', 'medium', 'low'];
export const STATUSES = ['open', 'claimed', 'resolved', 'dismissed'];

export const hasRole = (me, ...roles) => me.roles.includes('admin') || roles.some((r) => me.roles.includes(r));
