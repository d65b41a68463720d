// Scratch investigation (deleted afterwards): where escalation lateness comes from.
import { startBenchStack } from './stack.js';
import { Api, buildWorld, FAST_CAPABILITY, intake, exceptionPath } from './world.js';
import { sleep } from './stats.js';

const stack = await startBenchStack((l) => console.error(l), false);
try {
  const api = new Api(stack.api.url);
  const world = await buildWorld(api, { claimWithinS: 2, afterS: 1 });
  for (const n of [1, 200]) {
    const items = Array.from({ length: n }, (_, i) => intake(FAST_CAPABILITY, `scratch-${n}-${i}`, i));
    const t0 = Date.now();
    const reply = await api.post('/api/v1/exceptions:batch', world.integration, { items });
    const ids = (reply.body.results as Array<{ id: string }>).map((r) => r.id);
    console.log(`n=${n}: intake took ${Date.now() - t0} ms`);
    await sleep(6000);
    const late: number[] = [];
    for (const id of ids) {
      const tl = await api.get(`${exceptionPath(id)}/timeline`, world.operator);
      const e = (tl.body.items as Array<{ action: string; at: string; detail: { dueAt?: string } }>).find((x) => x.action === 'escalated');
      if (e) late.push(Date.parse(e.at) - Date.parse(e.detail.dueAt!));
    }
    late.sort((a, b) => a - b);
    console.log(`n=${n}: lateness min ${late[0]} p50 ${late[Math.floor(late.length / 2)]} max ${late.at(-1)}`);
    const worst = ids[ids.length - 1]!;
    const history = await stack.client.workflow.getHandle(worst).fetchHistory();
    const start = Number(history.events![0]!.eventTime!.seconds) * 1000 + Math.floor((history.events![0]!.eventTime!.nanos ?? 0) / 1e6);
    for (const ev of history.events!) {
      const t = Number(ev.eventTime!.seconds) * 1000 + Math.floor((ev.eventTime!.nanos ?? 0) / 1e6);
      const timer = ev.timerStartedEventAttributes ? ` timeout ${Number(ev.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0) * 1000 + Math.floor((ev.timerStartedEventAttributes.startToFireTimeout?.nanos ?? 0) / 1e6)} ms` : '';
      console.log(`  +${t - start} ms ${ev.eventType}${timer}`);
    }
    const tl = await api.get(`${exceptionPath(worst)}/timeline`, world.operator);
    for (const e of tl.body.items as Array<{ action: string; at: string; detail: Record<string, unknown> }>) console.log(`  timeline ${e.action} at +${Date.parse(e.at) - start} ms ${JSON.stringify(e.detail)}`);
  }
} finally {
  await stack.close();
}
process.exit(0);
