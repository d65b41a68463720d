import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/index.js';
import { registry } from '../../platform/metrics.js';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, path, priceVariance } from '../world.js';

const TOKEN = 'metrics-token-that-is-long-enough-0123456789';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;

// This file's process runs no other stack, so whatever the registry holds came from this one.
beforeAll(async () => {
  stack = await startStack({ env: { METRICS: 'off' } });
  w = await buildWorld(stack);
});
afterAll(async () => stack?.close());

/** Every sample the registry would render, but for the Temporal SDK's (not in our registry) — none expected. */
async function recorded(): Promise<string[]> {
  const all = await registry.getMetricsAsJSON();
  return all.filter((m) => m.values.some((v) => v.value !== 0)).map((m) => m.name);
}

describe('METRICS=off', () => {
  it('runs the lifecycle without collecting a metric, and serves no /metrics', async () => {
    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() });
    expect(raised.status).toBe(201);
    expect((await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: { ...priceVariance(), type: 'no-such-type' } })).status).toBe(422);
    const id = path(raised.body.id);
    expect((await http(`${stack.url}/api/v1/exceptions/${id}/claim`, { token: w.olivia, body: {} })).status).toBe(200);
    const resolved = await http(`${stack.url}/api/v1/exceptions/${id}/resolve`, { token: w.olivia, body: { code: 'supplier-price-corrected', valueEvent: 'rework-avoided' } });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    await stack.api.client.workflow.getHandle(raised.body.id).result();

    // No request or query timing, no intake, transition or resolution counts, no Node process metrics.
    expect(await recorded()).toEqual([]);
    expect(registry.getSingleMetric('process_cpu_user_seconds_total')).toBeUndefined();
    expect(registry.getSingleMetric('exception_desk_open_exceptions')).toBeUndefined();
    expectProblem(await http(`${stack.url}/metrics`), 404);
  });

  it('is refused beside a scrape setting it would ignore', () => {
    const problem = (env: Record<string, string>) => {
      try {
        loadConfig({ METRICS: 'off', ...env });
        return '';
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
    };
    expect(problem({ METRICS_TOKEN: TOKEN })).toContain('METRICS_TOKEN=');
    expect(problem({ METRICS_TOKEN: TOKEN })).toContain('METRICS=off collects and serves no metrics');
    expect(problem({ WORKER_METRICS_PORT: '9464' })).toContain('WORKER_METRICS_PORT="9464": is set, yet METRICS=off');
    expect(problem({ METRICS_SCRAPE: 'any' })).toContain('METRICS_SCRAPE="any": is set, yet METRICS=off');
    // none agrees with off; blank is unset.
    expect(problem({ METRICS_SCRAPE: 'none' })).toBe('');
    expect(problem({ METRICS_SCRAPE: '', WORKER_METRICS_PORT: ' ' })).toBe('');
    expect(problem({ METRICS: 'no' } as Record<string, string>)).toContain('METRICS="no"');
    expect(loadConfig({}).METRICS).toBe('on');
  });
});
