import fc from 'fast-check';

/** `npm run test:soak` sets SOAK=1: the same scenarios at the full figures. */
export const soak = process.env.SOAK === '1';

/** The fast figure in `npm test`, the full one in the soak run. */
export const scaled = (fast: number, full: number) => (soak ? full : fast);

/** Runs `run` over `items` with at most `limit` in flight. */
export async function inParallel<T, R>(items: T[], limit: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await run(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** One line per scenario on stderr, so a run's figures can be copied into docs/reliability.md. */
export function report(scenario: string, figures: Record<string, unknown>): void {
  console.error(`[reliability] ${scenario} ${JSON.stringify({ soak, ...figures })}`);
}

/** fc.assert, but a failure quotes only the start of the counterexample (hostile values can be megabytes). */
export async function checkProperty<Ts>(property: fc.IAsyncProperty<Ts>, params: fc.Parameters<Ts>): Promise<void> {
  const details = await fc.check(property, { ...params, endOnFailure: true });
  if (!details.failed) return;
  const example = JSON.stringify(details.counterexample, (_k, v: unknown) => (typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}…(${v.length} chars)` : v));
  throw new Error(`property failed after ${details.numRuns} runs (seed ${details.seed}, path ${details.counterexamplePath}):\n${String(details.errorInstance).slice(0, 3000)}\ncounterexample: ${example?.slice(0, 3000)}`);
}

/** Counts the "retry shortly" answers (503, 429) and reset connections a well-behaved client retried. */
export const retried = { count: 0 };

/** What an upstream system does with a 503, a 429 or a reset connection: back off and send it again. */
export async function retryBusy<T extends { status: number }>(send: () => Promise<T>, attempts = 30): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const res = await send().catch((err: Error) => {
      if (attempt >= attempts) throw err;
      return undefined;
    });
    if (res && ((res.status !== 503 && res.status !== 429) || attempt >= attempts)) return res;
    retried.count++;
    await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt) * (0.5 + Math.random())));
  }
}
