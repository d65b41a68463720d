import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics: one registry, whatever runs in the process (the API, the worker or
 * both under `npm start`). Labels are bounded: capabilities, regions, severities, statuses, route
 * templates, codes and kinds that templates and the code declare; never an exception, person or request id.
 */
export const registry = new Registry();

let processMetrics = false;

/**
 * Node's standard process_ and nodejs_ metrics. Some keep running between scrapes (a GC observer, an
 * event-loop delay monitor), so they start with the first API or worker that has metrics on, and
 * never in a process run with METRICS=off.
 */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters, which `promtool check metrics` rightly flags; the rest of Node's standard set stays.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
}

const seconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const metrics = {
  httpDuration: new Histogram({
    name: 'exception_desk_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: seconds,
    registers: [registry],
  }),
  intake: new Counter({
    name: 'exception_desk_intake_total',
    help: 'Intakes: accepted (a new exception), duplicate (an existing one answered) or quarantined (by reason)',
    labelNames: ['capability', 'outcome', 'reason'] as const,
    registers: [registry],
  }),
  timelineEvents: new Counter({
    name: 'exception_desk_timeline_events_total',
    help: 'Timeline events written to the ledger, by action',
    labelNames: ['capability', 'action'] as const,
    registers: [registry],
  }),
  slaBreaches: new Counter({
    name: 'exception_desk_sla_breaches_total',
    help: 'SLA breaches (claim or resolve window lapsed), counted at their first escalation step',
    labelNames: ['capability', 'region', 'sla'] as const,
    registers: [registry],
  }),
  slaWarnings: new Counter({
    name: 'exception_desk_sla_warnings_total',
    help: 'Early SLA warnings recorded on timelines',
    labelNames: ['capability', 'region'] as const,
    registers: [registry],
  }),
  escalations: new Counter({
    name: 'exception_desk_escalations_total',
    help: 'Escalations by kind (claim, resolve, lease, manual) and the level reached',
    labelNames: ['capability', 'region', 'kind', 'level'] as const,
    registers: [registry],
  }),
  resolutions: new Counter({
    name: 'exception_desk_resolutions_total',
    help: 'Exceptions resolved, by resolution code',
    labelNames: ['capability', 'code'] as const,
    registers: [registry],
  }),
  valueEvents: new Counter({
    name: 'exception_desk_value_events_total',
    help: "Value events named by resolutions, by the template's value-event id (their quantity)",
    labelNames: ['capability', 'value_event'] as const,
    registers: [registry],
  }),
  departureMoves: new Counter({
    name: 'exception_desk_departure_moves_total',
    help: "Open exceptions a departure sweep moved away from the departed person (or found still with them)",
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  ledgerQuery: new Histogram({
    name: 'exception_desk_ledger_query_duration_seconds',
    help: 'Ledger queries by operation (read: select; write: insert, update, delete; other: raw SQL, schema)',
    labelNames: ['operation'] as const,
    buckets: seconds,
    registers: [registry],
  }),
  transitionWrite: new Histogram({
    name: 'exception_desk_ledger_transition_write_seconds',
    help: "The fenced write of one exception transition (the ledger-writing activity), by outcome",
    labelNames: ['outcome'] as const,
    buckets: seconds,
    registers: [registry],
  }),
  outboxDeliveries: new Counter({
    name: 'exception_desk_outbox_deliveries_total',
    help: 'Webhook deliveries from the outbox: delivered (2xx), refused (another status) or error (no answer)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  gaugeCollect: new Gauge({
    name: 'exception_desk_metrics_collect_seconds',
    help: 'What the last refresh of each ledger-derived gauge group cost (they are cached between refreshes)',
    labelNames: ['source'] as const,
    registers: [registry],
  }),
  gaugeErrors: new Counter({
    name: 'exception_desk_metrics_collect_errors_total',
    help: 'Refreshes of ledger-derived gauges that failed (the last good values are kept)',
    labelNames: ['source'] as const,
    registers: [registry],
  }),
};

/** Every cached source, refreshed together before a scrape renders (so each refresh's cost is in that scrape). */
const sources: Array<() => Promise<unknown>> = [];

/**
 * A gauge group whose values come from a query: refreshed at most every `ttlMs` and only when scraped,
 * so a scrape every few seconds costs one query per window whatever the number of scrapers. Each
 * refresh's cost is itself a metric (exception_desk_metrics_collect_seconds{source}).
 */
export function cachedSource<T>(source: string, ttlMs: number, load: () => Promise<T>): () => Promise<T | undefined> {
  let value: T | undefined;
  let loadedAt = -Infinity;
  let pending: Promise<T | undefined> | undefined;
  const read = () => {
    if (performance.now() - loadedAt < ttlMs) return Promise.resolve(value);
    pending ??= (async () => {
      const started = performance.now();
      try {
        value = await load();
      } catch {
        metrics.gaugeErrors.inc({ source });
      } finally {
        metrics.gaugeCollect.set({ source }, (performance.now() - started) / 1000);
        loadedAt = performance.now();
        pending = undefined;
      }
      return value;
    })();
    return pending;
  };
  sources.push(read);
  return read;
}


/**
 * A gauge whose every series is set from a cached source at scrape time; series that disappeared (a
 * capability with nothing open any more) are removed rather than left at their last value.
 */
export function sourcedGauge<L extends string, T>(
  options: { name: string; help: string; labelNames: readonly L[] },
  source: () => Promise<T | undefined>,
  series: (value: T) => Array<{ labels: Record<L, string | number>; value: number }>,
): Gauge<L> {
  return new Gauge<L>({
    ...options,
    registers: [registry],
    async collect() {
      const value = await source();
      if (value === undefined) return;
      this.reset();
      for (const s of series(value)) this.set(s.labels, s.value);
    },
  });
}

const seenValues = new Map<string, Set<string>>();

/**
 * A label value from free text (a resolution code an operator typed): the first `max` distinct values
 * per label stay themselves and later ones count as "other", so no input can grow the series without end.
 */
export function boundedLabel(label: string, value: string, max = 50): string {
  const seen = seenValues.get(label) ?? new Set<string>();
  seenValues.set(label, seen);
  if (seen.has(value)) return value;
  if (seen.size >= max) return 'other';
  seen.add(value);
  return value;
}

/** Looks a registered metric up by name, e.g. so two callers in one process define a gauge once. */
export function registered(name: string): boolean {
  return registry.getSingleMetric(name) !== undefined;
}

export const metricsContentType = registry.contentType;

let sdkMetricsAddress: string | undefined;

/** Where the Temporal SDK's runtime serves its worker metrics (platform/logger.ts installs it). */
export function setTemporalSdkMetricsAddress(address: string): void {
  sdkMetricsAddress = address;
}

/**
 * This process's metrics in Prometheus text format: ours, then the Temporal SDK's worker metrics when
 * its runtime serves them, so one scrape target has both. The SDK's names start with `temporal_`, ours
 * with `exception_desk_` (plus Node's standard process_ and nodejs_ ones), so none collide.
 */
export async function metricsText(): Promise<string> {
  await Promise.all(sources.map((read) => read()));
  const ours = await registry.metrics();
  if (!sdkMetricsAddress) return ours;
  try {
    const response = await fetch(`http://${sdkMetricsAddress}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return ours;
    const sdk = await response.text();
    return `${ours}${ours.endsWith('\n') ? '' : '\n'}${sdk}`;
  } catch {
    return ours;
  }
}
