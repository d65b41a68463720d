/** Latency and error bookkeeping for the benchmark. Times are milliseconds. */

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentiles. */
export function percentiles(samples: number[]): Percentiles {
  if (samples.length === 0) return { count: 0, p50: NaN, p95: NaN, p99: NaN, mean: NaN, max: NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return { count: sorted.length, p50: at(50), p95: at(95), p99: at(99), mean, max: sorted.at(-1)! };
}

export const round = (x: number, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

/** Error texts seen, counted; the text is trimmed so similar failures group together. */
export class ErrorLog {
  readonly counts = new Map<string, number>();
  total = 0;

  add(text: string): void {
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 300);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.total += 1;
  }

  addError(err: unknown): void {
    const e = err as { name?: string; message?: string; cause?: { message?: string } };
    const cause = e?.cause?.message ? ` (cause: ${e.cause.message})` : '';
    this.add(`${e?.name ?? 'Error'}: ${e?.message ?? String(err)}${cause}`);
  }

  top(n = 5): Array<{ text: string; count: number }> {
    return [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([text, count]) => ({ text, count }));
  }
}

/** Texts that signal the persistence layer falling behind. */
export const OVERLOAD_PATTERN = /ShardIOTimeout|shard.?io.?timeout|deadline.?exceeded|DEADLINE_EXCEEDED|context deadline|Workflow Update timed out|timed out/i;

/**
 * Runs `task(i)` for i in [0, n) with at most `concurrency` in flight; resolves with the wall time.
 * A task should record its own errors; a throw is caught and counted here as a last resort.
 */
export async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>, errors?: ErrorLog): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < n; i = next++) {
      try {
        await task(i);
      } catch (err) {
        if (errors) errors.addError(err);
        else throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  return performance.now() - started;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
