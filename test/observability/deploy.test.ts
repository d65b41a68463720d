import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { metricNames } from './promql.js';
import { promtool, runPromtool } from './scrape.js';

/** The alert rules in deploy/, as Prometheus itself checks them. Their metric names are checked against a live scrape in metrics.test.ts. */
describe('deploy/prometheus alert rules', () => {
  it.skipIf(!promtool)('pass promtool check rules', async () => {
    const { code, output } = await runPromtool(['check', 'rules', 'deploy/prometheus/alerts.yml']);
    expect(output).toContain('SUCCESS: 6 rules found');
    expect(code).toBe(0);
  });

  it.skipIf(!promtool)('pass their unit tests (promtool test rules): each fires on what should raise it and not before', async () => {
    const { code, output } = await runPromtool(['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it('cover breach rate, oldest open age past the SLA, quarantine spikes, the outbox and a worker that stopped polling', () => {
    const rules = (YAML.parse(readFileSync('deploy/prometheus/alerts.yml', 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual([
      'ExceptionDeskSlaBreachRate',
      'ExceptionDeskOldestOpenPastSla',
      'ExceptionDeskQuarantineSpike',
      'ExceptionDeskOutboxBacklog',
      'ExceptionDeskWebhookFailures',
      'ExceptionDeskNoWorkerPolling',
    ]);
    expect(metricNames(rules[1]!.expr).sort()).toEqual(['exception_desk_oldest_open_age_seconds', 'exception_desk_sla_window_seconds']);
  });
});

describe('metric names in PromQL (how the dashboard and rules are checked against a scrape)', () => {
  it('finds the metrics and skips functions, labels, groupings and durations', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le, route) (rate(exception_desk_http_request_duration_seconds_bucket{route=~"$route"}[5m])))')).toEqual([
      'exception_desk_http_request_duration_seconds_bucket',
    ]);
    expect(metricNames('max(a_total) > on (capability) max by (capability) (b_seconds{sla="resolve"}) or absent(c{x="y"})').sort()).toEqual(['a_total', 'b_seconds', 'c']);
    expect(metricNames('label_values(exception_desk_open_exceptions{capability=~"$capability"}, region)')).toEqual(['exception_desk_open_exceptions']);
  });
});
