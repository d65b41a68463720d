// `npm run bench:calendar [-- --quick | --n 400]`: figure 9 alone (business calendars): µs per 90-day
// window of working time, and lifecycle throughput with calendars on vs off, on the bench's stack.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { BENCH_CALENDAR, calendarCost, calendarMicro, deskLifecycle, type Ctx } from './phases/index.js';
import { startBenchStack } from './stack.js';
import { Api, buildWorld, CALENDAR_CAPABILITY, CALENDAR_OFF_CAPABILITY } from './world.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, n: { type: 'string' } } });
const n = Number(values.n ?? (values.quick ? 60 : 400));
const concurrency = values.quick ? 8 : 32;
const rounds = values.quick ? 2 : 4;
const log = (line: string) => process.stderr.write(`${line}\n`);

const micro = calendarMicro(values.quick ? 5_000 : 20_000);
process.stdout.write(`calendar: addWorkingTime over a 90-day window: ${micro.addUs} µs per call (workingTimeBetween ${micro.betweenUs} µs; a fresh calendar object ${micro.freshCalendarUs} µs; crosses DST and holidays: ${micro.crossesDst})\n`);

const stack = await startBenchStack(log, false);
try {
  const api = new Api(stack.api.url);
  const world = await buildWorld(api, { claimWithinS: 5, afterS: 1 }, BENCH_CALENDAR);
  const ctx: Ctx = { stack, api, world, client: stack.client, runId: randomUUID().slice(0, 8), log, serverPid: stack.serverPid };
  for (const capability of [CALENDAR_CAPABILITY, CALENDAR_OFF_CAPABILITY]) await deskLifecycle(ctx, `warmup-${capability}`, 10, 8, capability);
  const cost = await calendarCost(ctx, { n, concurrency, rounds });
  process.stdout.write(
    `calendar: lifecycle ${n} on / ${n} off at ${concurrency} in flight: on ${cost.on.perSecond.toFixed(1)}/s, off ${cost.off.perSecond.toFixed(1)}/s, cost ${cost.costPercent} % ` +
      `(rounds on ${cost.rounds.on.join(', ')}; off ${cost.rounds.off.join(', ')}; errors ${cost.on.errors.count + cost.off.errors.count}` +
      `${[...cost.on.errors.top, ...cost.off.errors.top].map((e) => `; ${e.text}`).join('')})\n`,
  );
} finally {
  await Promise.race([stack.close(), new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
}
process.exit(0);
