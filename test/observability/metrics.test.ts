import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, fastPolicy, path, priceVariance } from '../world.js';
import { exposedNames, metricNames } from './promql.js';
import { parseSamples, promtool, runPromtool, total, type Sample } from './scrape.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
let text: string;
let samples: Sample[];

/**
 * One lifecycle against the real stack, then one scrape: intake (new, duplicate, quarantined), a claim
 * and a resolution with a value event, and an exception left alone until its claim SLA breaches.
 */
beforeAll(async () => {
  stack = await startStack({ env: { WORKER_METRICS_PORT: '0' } });
  w = await buildWorld(stack, { policy: fastPolicy });
  const resolved = priceVariance();
  const first = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: resolved });
  expect(first.status).toBe(201);
  expect((await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: resolved })).status).toBe(200);
  expect((await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: { ...priceVariance(), type: 'no-such-type' } })).status).toBe(422);
  const claim = await http(`${stack.url}/api/v1/exceptions/${path(first.body.id)}/claim`, { token: w.olivia, body: {} });
  expect(claim.status, JSON.stringify(claim.body)).toBe(200);
  const resolve = await http(`${stack.url}/api/v1/exceptions/${path(first.body.id)}/resolve`, {
    token: w.olivia,
    body: { code: 'supplier-price-corrected', valueEvent: 'rework-avoided' },
  });
  expect(resolve.status, JSON.stringify(resolve.body)).toBe(200);

  const left = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() });
  const escalated = await eventually(
    () => http(`${stack.url}/api/v1/exceptions/${path(left.body.id)}/timeline`, { token: w.grace }),
    (res) => JSON.stringify(res.body).includes('"escalated"'),
  );
  expect(JSON.stringify(escalated.body)).toContain('"escalated"');
  const scrape = await fetch(`${stack.url}/metrics`);
  expect(scrape.status).toBe(200);
  expect(scrape.headers.get('content-type')).toContain('text/plain');
  text = await scrape.text();
  samples = parseSamples(text);
});
afterAll(async () => stack?.close());

describe('/metrics after a lifecycle', () => {
  it('counts intake by outcome, and quarantine by reason', () => {
    expect(total(samples, 'exception_desk_intake_total', { capability: 'po-test', outcome: 'accepted' })).toBe(2);
    expect(total(samples, 'exception_desk_intake_total', { capability: 'po-test', outcome: 'duplicate' })).toBe(1);
    expect(total(samples, 'exception_desk_intake_total', { capability: 'po-test', outcome: 'quarantined', reason: 'unknown-type' })).toBe(1);
  });

  it('counts resolutions by code, value events by id, breaches and escalations by level', () => {
    expect(total(samples, 'exception_desk_resolutions_total', { capability: 'po-test', code: 'supplier-price-corrected' })).toBe(1);
    expect(total(samples, 'exception_desk_value_events_total', { capability: 'po-test', value_event: 'rework-avoided' })).toBe(1);
    expect(total(samples, 'exception_desk_sla_breaches_total', { capability: 'po-test', region: 'NA', sla: 'claim' })).toBe(1);
    expect(total(samples, 'exception_desk_escalations_total', { capability: 'po-test', region: 'NA', kind: 'claim', level: '1' })).toBeGreaterThanOrEqual(1);
    expect(total(samples, 'exception_desk_timeline_events_total', { capability: 'po-test', action: 'claimed' })).toBe(1);
  });

  it('shows the open queue, its oldest age and the SLA windows from the ledger', () => {
    expect(total(samples, 'exception_desk_open_exceptions', { capability: 'po-test', region: 'NA', status: 'open' })).toBe(1);
    expect(total(samples, 'exception_desk_oldest_open_age_seconds', { capability: 'po-test', region: 'NA' })).toBeGreaterThan(2);
    expect(total(samples, 'exception_desk_sla_window_seconds', { capability: 'po-test', region: 'NA', severity: 'high', sla: 'claim' })).toBe(2);
    expect(total(samples, 'exception_desk_outbox_backlog', { state: 'pending' })).toBeGreaterThanOrEqual(0);
    expect(samples.some((s) => s.name === 'exception_desk_ownership_gaps')).toBe(true);
    expect(total(samples, 'exception_desk_task_queue_pollers', { task_queue_type: 'workflow' })).toBeGreaterThanOrEqual(1);
    // What each cached refresh cost, so the gauges' price is on the dashboard too.
    expect(samples.some((s) => s.name === 'exception_desk_metrics_collect_seconds' && s.labels.source === 'open_exceptions')).toBe(true);
  });

  it('times requests by route template and ledger queries by operation', () => {
    expect(total(samples, 'exception_desk_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/exceptions/{id}/claim', status: '200' })).toBe(1);
    expect(total(samples, 'exception_desk_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/exceptions', status: '422' })).toBe(1);
    expect(total(samples, 'exception_desk_ledger_query_duration_seconds_count', { operation: 'read' })).toBeGreaterThan(0);
    expect(total(samples, 'exception_desk_ledger_transition_write_seconds_count', { outcome: 'written' })).toBeGreaterThan(0);
  });

  it("carries the Temporal SDK's worker metrics: task slots, schedule-to-start latency, sticky cache", () => {
    const names = new Set(samples.map((s) => s.name));
    expect([...names].filter((n) => n.startsWith('temporal_worker_task_slots_available'))).not.toEqual([]);
    expect([...names].filter((n) => n.startsWith('temporal_workflow_task_schedule_to_start_latency'))).not.toEqual([]);
    expect([...names].filter((n) => n.startsWith('temporal_sticky_cache'))).not.toEqual([]);
  });

  it('puts no exception, person or request id in any label', () => {
    const values = samples.flatMap((s) => Object.values(s.labels));
    expect(values.filter((v) => v.includes('exception:') || /\bPO-\d/.test(v) || ['olivia', 'erp', 'grace'].includes(v))).toEqual([]);
  });

  it('serves the worker its own /metrics on WORKER_METRICS_PORT', async () => {
    expect(stack.worker?.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(stack.worker!.metricsUrl!);
    expect(res.status).toBe(200);
    const worker = parseSamples(await res.text());
    expect(total(worker, 'exception_desk_ledger_transition_write_seconds_count', { outcome: 'written' })).toBeGreaterThan(0);
  });

  it.skipIf(!promtool)('passes promtool check metrics', async () => {
    const { code, output } = await runPromtool(['check', 'metrics'], text);
    expect(output).toBe('');
    expect(code).toBe(0);
  });
});

/** Every expression of the dashboard and the alert rules in deploy/ reads only metrics a running instance exposes. */
describe('deploy/ against a live scrape', () => {
  it('the Grafana dashboard references only metrics that exist', () => {
    const dashboard = JSON.parse(readFileSync('deploy/grafana/exception-desk.json', 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }>; templating: { list: Array<{ query: { query: string } }> } };
    const exposed = exposedNames(text);
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
      ...dashboard.templating.list.map((v) => ({ where: 'variable', expr: v.query.query })),
    ];
    expect(exprs.length).toBeGreaterThan(30);
    const missing = exprs.flatMap(({ where, expr }) => metricNames(expr).filter((n) => !exposed.has(n)).map((n) => `${where}: ${n}`));
    expect(missing).toEqual([]);
  });

  it('the alert rules reference only metrics that exist', () => {
    const rules = (YAML.parse(readFileSync('deploy/prometheus/alerts.yml', 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }).groups.flatMap((g) => g.rules);
    const exposed = exposedNames(text);
    expect(rules.flatMap((r) => metricNames(r.expr).filter((n) => !exposed.has(n)).map((n) => `${r.alert}: ${n}`))).toEqual([]);
  });
});
