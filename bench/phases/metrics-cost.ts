import { performance } from 'node:perf_hooks';
import { round } from '../stats.js';
import { Api } from '../world.js';
import { deskLifecycle } from './lifecycle.js';
import { combine, type Ctx, type Throughput } from './shared.js';

// ---------------------------------------------------------------------------------------------
// 8: what metrics cost the lifecycle: the same lifecycle with metrics on and with METRICS=off

/** As often as the ledger-derived gauges refresh (api/metrics.ts), so every scrape pays a refresh; Prometheus defaults to once a minute. */
export const SCRAPE_EVERY_MS = 5_000;

export interface MetricsCostResult {
  /** The API and worker every other figure uses: metrics on, /metrics scraped every SCRAPE_EVERY_MS. */
  on: Throughput;
  /** A second API and worker beside them, started with METRICS=off. */
  off: Throughput;
  /** (off − on) / off, in per cent of lifecycle throughput; below zero, metrics on was the faster (noise). */
  costPercent: number;
  /** Lifecycles/s per round, in the order run within each pair (on first in even rounds, off first in odd). */
  rounds: { on: number[]; off: number[] };
  /** Each round's cost in per cent: the spread shows how much of the figure is noise. */
  roundCosts: number[];
  /** CPU of the bench process (API, worker, load generator) per completed lifecycle, in ms. */
  cpuMsPerLifecycle: { on: number; off: number };
  scrapes: { count: number; failed: number; meanMs: number; everyMs: number };
}

/** Scrapes /metrics now and every `everyMs` until stopped, as Prometheus would while metrics are on. */
function scraping(url: string, everyMs: number, tally: { count: number; failed: number; ms: number }): () => Promise<void> {
  let last = Promise.resolve();
  const scrape = () => {
    last = (async () => {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/metrics`);
        await response.text();
        if (response.status !== 200) tally.failed++;
      } catch {
        tally.failed++;
      }
      tally.count++;
      tally.ms += performance.now() - started;
    })();
  };
  scrape();
  const timer = setInterval(scrape, everyMs);
  return async () => {
    clearInterval(timer);
    await last;
  };
}

const cpuMs = (t: Throughput) => (t.cpu && t.completed > 0 ? (t.cpu.benchCores * t.seconds * 1000) / t.completed : NaN);

/**
 * The desk lifecycle (intake, claim, resolve over HTTP, then the result) through the bench's API and
 * worker, metrics on and scraped, and through a second API and worker started with METRICS=off, on
 * the same server, ledger and worker settings, both present throughout. Rounds alternate the two,
 * and which goes first alternates too (on/off, off/on, ...), so drift in background load and in the
 * ledger's size touches both sides alike.
 */
export async function metricsCost(ctx: Ctx, options: { n: number; concurrency: number; rounds: number; warmup: number }): Promise<MetricsCostResult> {
  const plain = await ctx.stack.startDeskWithoutMetrics();
  try {
    const sides = {
      on: { ctx, url: ctx.stack.api.url },
      off: { ctx: { ...ctx, api: new Api(plain.api.url) }, url: plain.api.url },
    };
    const tally = { count: 0, failed: 0, ms: 0 };
    const run = async (side: 'on' | 'off', tag: string, n: number, concurrency: number) => {
      const stop = side === 'on' ? scraping(sides.on.url, SCRAPE_EVERY_MS, tally) : async () => undefined;
      try {
        const { ids: _ids, ...result } = await deskLifecycle(sides[side].ctx, `metrics-${side}-${tag}`, n, concurrency);
        return result;
      } finally {
        await stop();
      }
    };
    // The new API and worker warm up (connections, sticky cache, first workflow tasks); not measured.
    await run('off', 'warmup', options.warmup, Math.min(options.concurrency, options.warmup));
    await run('on', 'warmup', options.warmup, Math.min(options.concurrency, options.warmup));
    const warmupTally = { ...tally };

    const on: Throughput[] = [];
    const off: Throughput[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const size = Math.floor(options.n / options.rounds) + (r < options.n % options.rounds ? 1 : 0);
      for (const side of r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        const result = await run(side, String(r), size, options.concurrency);
        (side === 'on' ? on : off).push(result);
      }
      ctx.log(`bench:     round ${r}: metrics on ${on.at(-1)!.perSecond.toFixed(1)}/s, off ${off.at(-1)!.perSecond.toFixed(1)}/s`);
    }
    const both = { on: combine(on), off: combine(off) };
    const scrapes = tally.count - warmupTally.count;
    return {
      ...both,
      costPercent: ((both.off.perSecond - both.on.perSecond) / both.off.perSecond) * 100,
      rounds: { on: on.map((x) => round(x.perSecond)), off: off.map((x) => round(x.perSecond)) },
      roundCosts: on.map((x, i) => round(((off[i]!.perSecond - x.perSecond) / off[i]!.perSecond) * 100)),
      cpuMsPerLifecycle: { on: cpuMs(both.on), off: cpuMs(both.off) },
      scrapes: { count: scrapes, failed: tally.failed - warmupTally.failed, meanMs: scrapes > 0 ? (tally.ms - warmupTally.ms) / scrapes : NaN, everyMs: SCRAPE_EVERY_MS },
    };
  } finally {
    await plain.close();
  }
}
