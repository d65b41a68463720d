import { describe, expect, it } from 'vitest';
import { clusterMarkdown, type ClusterResults, type WorkerLevel } from '../../bench/cluster-report.js';
import { percentiles } from '../../bench/stats.js';

/** `npm run bench -- --cluster` writes this section of docs/benchmarks.md; what it says must follow from the figures. */
const noErrors = { count: 0, top: [] };
const level = (workers: number, desk: number, bare: number, machine: number, cpu: Record<string, number>): WorkerLevel => ({
  workers,
  desk: { perSecond: desk, completed: 100, seconds: 100 / desk, errors: noErrors },
  bare: { perSecond: bare, completed: 100, seconds: 100 / bare, errors: noErrors },
  ratio: desk / bare,
  cpuMsPerLifecycle: { desk: cpu, bare: { 'bare-worker-1': 20, 'bare-worker-2': 20, 'temporal-history': 30 } },
  machineCores: { desk: machine, bare: machine },
  otherCores: { desk: 0, bare: 0 },
});

function results(two: WorkerLevel, one: WorkerLevel): ClusterResults {
  return {
    startedAt: '2026-12-02T14:00:00.000Z',
    finishedAt: '2026-12-02T14:05:00.000Z',
    command: 'npm run bench -- --cluster',
    machine: { cpus: 2, cpuModel: 'test', memoryGiB: 24, node: 'v20', loadAvgAtStart: [1, 1, 1], loadAvgAtEnd: [2, 2, 2] },
    params: { n: 400, concurrency: 64 },
    cluster: { apis: 2, workers: 2, historyShards: 8, temporalProcesses: ['temporal-frontend', 'temporal-history', 'temporal-matching', 'temporal-worker'] },
    setupSeconds: 20,
    levels: [two, one],
    history: { desk: { avgEvents: 21 }, bare: { avgEvents: 14 } },
    claim: { desk: percentiles([40, 50, 60]), bare: percentiles([10, 20, 30]), deskErrors: noErrors, bareErrors: noErrors },
    totalSeconds: 300,
  };
}

const cpu = { 'worker-1': 40, 'worker-2': 35, 'api-1': 20, 'api-2': 22, postgres: 50, 'temporal-history': 40, 'temporal-frontend': 19 };

describe('the cluster section of docs/benchmarks.md', () => {
  it.each([
    { name: 'saturated, no gain from a second worker', two: 8, one: 8.2, machine: 1.95, says: ['(saturated)', 'no gain'] },
    { name: 'not saturated, a second worker helps', two: 9, one: 5, machine: 1.1, says: ['(not saturated', 'raised throughput 1.80×'] },
  ])('$name', ({ two, one, machine, says }) => {
    const text = clusterMarkdown(results(level(2, two, 20, machine, cpu), level(1, one, 18, machine, cpu)), 'bench/results/x.json');
    for (const s of says) expect(text).toContain(s);
    expect(text).toContain(`| lifecycles/s, 2 workers each | ${two.toFixed(1)} | 20.0 | ${(two / 20).toFixed(2)}× |`);
  });

  it('sums the processes of a kind and names the largest user per lifecycle', () => {
    const text = clusterMarkdown(results(level(2, 8, 20, 1.9, cpu), level(1, 6, 18, 1.9, cpu)), 'bench/results/x.json');
    expect(text).toContain('| worker (all) | 75.0 | 0.0 |');
    expect(text).toContain('| api (all) | 42.0 | 0.0 |');
    expect(text).toContain('| bare-worker (all) | 0.0 | 40.0 |');
    expect(text).toContain('largest single user per lifecycle is worker (all) (75.0 ms of 226.0 ms)');
    expect(text).toContain("Temporal's services together take 59.0 ms");
    expect(text).toContain('| claim p50 / p95 / p99, one at a time (ms) | 50.0 / 60.0 / 60.0 | 20.0 / 30.0 / 30.0 | 2.00× at p99 |');
  });
});
