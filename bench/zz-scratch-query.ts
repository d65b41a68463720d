// Scratch (deleted afterwards): does a query load an open exception into the worker cache, and how fast?
import { startBenchStack } from './stack.js';
import { Api, buildWorld, CAPABILITY, intake } from './world.js';
import { pool } from './stats.js';

const stack = await startBenchStack((l) => console.error(l), false);
try {
  const api = new Api(stack.api.url);
  const world = await buildWorld(api, { claimWithinS: 2, afterS: 1 });
  const items = Array.from({ length: 400 }, (_, i) => intake(CAPABILITY, `q-${i}`, i));
  let t = Date.now();
  const reply = await api.post('/api/v1/exceptions:batch', world.integration, { items });
  const ids = (reply.body.results as Array<{ id: string }>).map((r) => r.id);
  console.log(`intake 400: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  t = Date.now();
  await stack.restartWorkers({ maxCachedWorkflows: 1400 });
  console.log(`restart: ${Date.now() - t} ms; cached ${stack.desk.worker.getStatus().numCachedWorkflows}`);
  t = Date.now();
  await pool(ids.length, 32, async (i) => void (await stack.client.workflow.getHandle(ids[i]!).query('getException')));
  console.log(`query-load 400: ${((Date.now() - t) / 1000).toFixed(1)} s; cached ${stack.desk.worker.getStatus().numCachedWorkflows}`);
  t = Date.now();
  await pool(ids.length, 32, async (i) => void (await stack.client.workflow.getHandle(ids[i]!).query('getException')));
  console.log(`query again 400: ${((Date.now() - t) / 1000).toFixed(1)} s; cached ${stack.desk.worker.getStatus().numCachedWorkflows}`);
} finally {
  await stack.close();
}
process.exit(0);
