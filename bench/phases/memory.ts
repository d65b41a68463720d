import os from 'node:os';
import { ErrorLog, sleep } from '../stats.js';
import { batchIntake, bareBatchAnalogue } from './intake.js';
import { bareStarts, combine, openCount, summary, type Ctx, type Throughput } from './shared.js';

// ---------------------------------------------------------------------------------------------
// 4: memory per cached open exception, at `openTarget` open

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  cached: number;
}

export interface MemoryResult {
  method: string;
  desk: { before: MemorySample; after: MemorySample; cachedDelta: number; rssDeltaMb: number; perCachedMb: number; openAtMeasurement: number; stoppedEarly: string | null };
  /** Batch intake while the big cache filled (not the npm start settings). */
  intake?: Throughput;
  bare: { before: MemorySample; after: MemorySample; cachedDelta: number; rssDeltaMb: number; perCachedMb: number };
}

const MB = 1024 * 1024;
const LOW_MEMORY = 4 * 1024 ** 3;

/** RSS after a full main-thread GC and a short settle; `cached` is the worker's own count. */
async function memorySample(gc: () => void, cached: () => number): Promise<MemorySample> {
  gc();
  await sleep(1500);
  gc();
  const m = process.memoryUsage();
  return { rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB, externalMb: m.external / MB, cached: cached() };
}

export const MEMORY_METHOD =
  'Process RSS (process.memoryUsage().rss) of the single bench process, which hosts the worker, the API and the load generator, ' +
  'sampled after a forced main-thread GC and a 1.5 s settle, before and after the worker cache filled, with both workers freshly ' +
  "restarted with maxCachedWorkflows large enough to hold every new workflow (and V8's old-space limit raised for the new " +
  "workflow threads, which would otherwise stop near 4 GiB). The RSS growth is divided by the growth of the worker's " +
  'own worker.getStatus().numCachedWorkflows. The API and the load generator keep no per-exception state (main-thread heapUsed is ' +
  'reported beside it), so the growth is the workflow cache: workflow state in the workflow thread\'s V8 isolate and the Rust core ' +
  'run state; it also includes garbage the workflow thread has not collected yet and malloc arenas not returned to the OS, so it is an upper bound.';

/**
 * Raises exceptions through the batch endpoint until `openTarget` are open. Part A runs on the
 * workers as they are (npm start settings) and gives the batch intake rate, beside bare
 * update-with-start 32 at a time. Part B (with `memory`) restarts both workers with a cache for
 * `memTarget`, samples RSS, raises the last `memTarget` exceptions and samples again; then parks
 * `bareParked` bare workflows on their first update the same way.
 */
export async function fillOpen(
  ctx: Ctx,
  opts: {
    openTarget: number;
    batchSize: number;
    bareForRate: number;
    memory?: { memTarget: number; bareParked: number; gc: () => void; restart: () => Promise<void> };
  },
): Promise<{ memory?: MemoryResult; batch: { desk: Throughput & { batchSize: number }; bare: Throughput }; open: number }> {
  const { stack } = ctx;
  const errors = new ErrorLog();
  const startOpen = await openCount(ctx);
  const toCreate = Math.max(0, opts.openTarget - startOpen);
  const memPart = opts.memory ? Math.min(opts.memory.memTarget, toCreate) : 0;
  const partA = toCreate - memPart;
  ctx.log(`bench:   ${startOpen} open; raising ${partA} through the batch endpoint in batches of ${opts.batchSize}${opts.memory ? `, then ${memPart} for the memory figure` : ''}`);

  const raise = async (tag: string, n: number) => {
    const parts: Array<Throughput & { batchSize: number }> = [];
    for (let made = 0; made < n; made += opts.batchSize) parts.push(await batchIntake(ctx, `${tag}-${made}`, Math.min(opts.batchSize, n - made), opts.batchSize, errors));
    return parts;
  };
  const partsA = await raise('open', partA);
  const bare = await bareBatchAnalogue(ctx, 'rate', opts.bareForRate);

  let memory: MemoryResult | undefined;
  if (opts.memory) {
    const { gc, restart, bareParked } = opts.memory;
    await restart();
    const deskCached = () => stack.desk.worker.getStatus().numCachedWorkflows;
    const bareCached = () => stack.bare.worker.getStatus().numCachedWorkflows;
    const deskBefore = await memorySample(gc, deskCached);
    // A batch at a time, stopping early if the machine runs short of memory (others share it).
    const partsB: Throughput[] = [];
    let stoppedEarly: string | null = null;
    for (let made = 0; made < memPart; made += opts.batchSize) {
      partsB.push(await batchIntake(ctx, `mem-${made}`, Math.min(opts.batchSize, memPart - made), opts.batchSize, errors));
      if (os.freemem() < LOW_MEMORY) {
        stoppedEarly = `stopped filling the cache at ${deskCached()} cached: free memory fell to ${(os.freemem() / 1024 ** 3).toFixed(1)} GiB`;
        ctx.log(`bench:   ${stoppedEarly}`);
        break;
      }
    }
    const deskAfter = await memorySample(gc, deskCached);
    const openAtMeasurement = await openCount(ctx);
    const bareBefore = await memorySample(gc, bareCached);
    await bareStarts(ctx, 'parked', bareParked, 32, errors);
    for (let i = 0; i < 60 && bareCached() < bareBefore.cached + bareParked * 0.99; i++) await sleep(500);
    const bareAfter = await memorySample(gc, bareCached);
    const deskCachedDelta = deskAfter.cached - deskBefore.cached;
    const bareCachedDelta = bareAfter.cached - bareBefore.cached;
    memory = {
      method: MEMORY_METHOD,
      desk: {
        before: deskBefore,
        after: deskAfter,
        cachedDelta: deskCachedDelta,
        rssDeltaMb: deskAfter.rssMb - deskBefore.rssMb,
        perCachedMb: (deskAfter.rssMb - deskBefore.rssMb) / Math.max(1, deskCachedDelta),
        openAtMeasurement,
        stoppedEarly,
      },
      bare: {
        before: bareBefore,
        after: bareAfter,
        cachedDelta: bareCachedDelta,
        rssDeltaMb: bareAfter.rssMb - bareBefore.rssMb,
        perCachedMb: (bareAfter.rssMb - bareBefore.rssMb) / Math.max(1, bareCachedDelta),
      },
      ...(partsB.length ? { intake: combine(partsB) } : {}),
    };
  }

  // A batch answered 500 may still have raised some of its items; top up whatever is missing.
  for (let attempt = 0; attempt < 3; attempt++) {
    const short = opts.openTarget - (await openCount(ctx));
    if (short <= 0) break;
    ctx.log(`bench:   ${short} short of ${opts.openTarget} open (failed batches); topping up`);
    await raise(`top-up-${attempt}`, short);
  }
  const desk = partsA.length
    ? { ...combine(partsA), concurrency: 1, batchSize: opts.batchSize, errors: summary(errors) }
    : { items: 0, completed: 0, concurrency: 1, seconds: 0, perSecond: NaN, errors: summary(errors), batchSize: opts.batchSize };
  return { memory, batch: { desk, bare }, open: await openCount(ctx) };
}
