import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, priceVariance } from '../world.js';
import { inParallel, report, retried, retryBusy, scaled } from './soak.js';
import { ledgerDisagreements } from './ledger-checks.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack);
});
afterAll(async () => {
  // ledger:verify after the scenario: the ledger must match the workflows.
  if (stack) {
    await stack.worker?.confirmer.settle();
    expect(await ledgerDisagreements(stack.ledger, stack.api.client)).toEqual([]);
  }
  await stack?.close();
}, 300_000);

describe('a storm of duplicate intakes', () => {
  it('raises exactly one exception per sourceKey', async () => {
    const keys = scaled(100, 1000);
    const intakes = scaled(1000, 10_000);
    const bodies = Array.from({ length: keys }, () => priceVariance());
    // Every key arrives intakes/keys times, shuffled, so duplicates of one key overlap in time.
    const storm = Array.from({ length: intakes }, (_, i) => bodies[i % keys]!).sort(() => Math.random() - 0.5);
    const started = Date.now();
    const results = await inParallel(storm, 500, async (body) => {
      const res = await retryBusy(() => http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body }));
      return { status: res.status, id: res.body?.id as string | undefined, body: res.body };
    });
    const seconds = (Date.now() - started) / 1000;

    expect(results.filter((r) => r.status !== 200 && r.status !== 201).slice(0, 5).map((r) => r.body)).toEqual([]);
    // A retried intake whose refused first attempt had already raised it answers 200, so 201s may fall short of the keys.
    expect(results.filter((r) => r.status === 201).length).toBeLessThanOrEqual(keys);
    expect(new Set(results.map((r) => r.id)).size).toBe(keys);
    const { rows } = await sql<{ n: number; ids: number }>`select count(*) as n, count(distinct id) as ids from exceptions`.execute(stack.ledger);
    expect(rows[0]).toEqual({ n: keys, ids: keys });
    const surfaced = await sql<{ n: number }>`select count(*) as n from exception_events where action = 'surfaced'`.execute(stack.ledger);
    expect(surfaced.rows[0]!.n).toBe(keys);
    report('duplicate-storm', { intakes, keys, exceptions: rows[0]!.n, retriedBusy: retried.count, seconds });
  }, scaled(600_000, 1_800_000));
});
