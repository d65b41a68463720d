import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, type HttpResult } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, enrolOperators, path, priceVariance } from '../world.js';
import { checkProperty, report, scaled } from './soak.js';
import { verifyLedgerAfterwards } from './ledger-checks.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack);
});
afterAll(async () => stack?.close(), 300_000);

const raise = async () => {
  const res = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
};
const act = (id: string, action: string, token: string, body: unknown = {}) => http(`${stack.url}/api/v1/exceptions/${path(id)}/${action}`, { token, body });
const timelineOf = async (id: string) =>
  (await http(`${stack.url}/api/v1/exceptions/${path(id)}/timeline`, { token: w.admin })).body.items as Array<{ seq: number; actor: string; action: string; from: string | null; to: string | null }>;

describe('races on one exception', () => {
  it('gives 50 concurrent claims exactly one winner', async () => {
    const id = await raise();
    const tokens = await enrolOperators(stack, w.admin, 'racer', 50);
    const claims = await Promise.all(tokens.map((token) => act(id, 'claim', token)));
    expect(claims.filter((c) => c.status !== 200 && c.status !== 409).map((c) => c.body)).toEqual([]);
    const winners = claims.filter((c) => c.status === 200);
    expect(winners).toHaveLength(1);
    const timeline = await timelineOf(id);
    expect(timeline.filter((e) => e.action === 'claimed')).toEqual([expect.objectContaining({ actor: winners[0]!.body.claimant })]);
    report('races.50-claims', { claims: 50, winners: winners.length, refused: claims.length - winners.length });
  });

  type Actor = 'olivia' | 'omar' | 'priya' | 'grace';
  type Command = { action: 'claim' | 'release' | 'resolve'; actor: Actor } | { action: 'reassign'; actor: Actor; to: 'dana' | 'li' | 'priya' };
  const actor = fc.constantFrom<Actor>('olivia', 'omar', 'priya', 'grace');
  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.record({ action: fc.constantFrom('claim' as const, 'release' as const, 'resolve' as const), actor }),
    fc.record({ action: fc.constant('reassign' as const), actor, to: fc.constantFrom('dana' as const, 'li' as const, 'priya' as const) }),
  );
  const bodyOf = (c: Command) =>
    c.action === 'resolve' ? { code: 'supplier-price-corrected' } : c.action === 'reassign' ? { to: c.to, reason: 'race test' } : {};
  const eventOf = { claim: 'claimed', release: 'released', reassign: 'reassigned', resolve: 'resolved' } as const;

  it('keeps one claimant, final terminal states and each transition once under interleaved claim, resolve, reassign and release', async () => {
    const runs = scaled(12, 60);
    let requests = 0;
    await checkProperty(
      fc.asyncProperty(fc.array(command, { minLength: 2, maxLength: 8 }), fc.scheduler(), async (commands, s) => {
        const id = await raise();
        const tokens: Record<Actor, string> = { olivia: w.olivia, omar: w.omar, priya: w.priya, grace: w.grace };
        // The scheduler picks the order the requests go out in; the server sees them overlap.
        const sent = commands.map((c) => s.schedule(Promise.resolve(c), `${c.actor}:${c.action}`).then((cmd) => act(id, cmd.action, tokens[cmd.actor], bodyOf(cmd))));
        await s.waitAll();
        const results: HttpResult[] = await Promise.all(sent);
        requests += results.length;

        expect(results.filter((r) => r.status >= 500 || ![200, 403, 409, 422].includes(r.status)).map((r) => r.body)).toEqual([]);
        const timeline = await timelineOf(id);
        expect(timeline.map((e) => e.seq)).toEqual(timeline.map((_, i) => i + 1));

        // Replaying the timeline: a claim only from open (one claimant at a time), nothing after the end.
        let status = 'open';
        let claimant: string | null = null;
        for (const e of timeline.slice(1)) {
          expect(['resolved', 'dismissed'], `${e.action} after the exception closed`).not.toContain(status);
          if (e.action === 'claimed') {
            expect(status, 'a second claimant').toBe('open');
            [status, claimant] = ['claimed', e.actor];
          } else if (e.action === 'released') {
            expect(status).toBe('claimed');
            [status, claimant] = ['open', null];
          } else if (e.action === 'resolved') status = 'resolved';
        }
        const now = (await http(`${stack.url}/api/v1/exceptions/${path(id)}`, { token: w.admin })).body;
        expect({ status: now.status, claimant: now.claimant }).toEqual({ status, claimant });

        // Every accepted transition is in the timeline exactly once (a re-claim by the claimant records nothing).
        for (const name of ['release', 'reassign', 'resolve'] as const) {
          for (const who of ['olivia', 'omar', 'priya', 'grace'] as const) {
            const accepted = commands.filter((c, i) => c.action === name && c.actor === who && results[i]!.status === 200).length;
            expect(timeline.filter((e) => e.action === eventOf[name] && e.actor === who), `${who} ${name}`).toHaveLength(accepted);
          }
        }
        for (const who of ['olivia', 'omar', 'priya', 'grace'] as const) {
          const accepted = commands.filter((c, i) => c.action === 'claim' && c.actor === who && results[i]!.status === 200).length;
          const recorded = timeline.filter((e) => e.action === 'claimed' && e.actor === who).length;
          expect(recorded).toBeLessThanOrEqual(accepted);
          if (accepted > 0) expect(recorded).toBeGreaterThan(0);
        }
        expect(timeline.filter((e) => e.action === 'resolved').length).toBeLessThanOrEqual(1);
      }),
      { numRuns: runs },
    );
    report('races.interleaved', { runs, requests });
  }, scaled(300_000, 1_800_000));
});

// 50 claims on one idle exception go through speculative workflow tasks, which the server may drop after
// their ledger write; the receipt's digest and the confirmer's rebuild put any such row right (decision 0009).
verifyLedgerAfterwards('races', () => stack);
