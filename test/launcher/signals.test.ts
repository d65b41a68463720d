import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort, isPortFree } from '../../platform/ports.js';
import { spawnProcess, tempDir, type Proc } from '../reliability/processes.js';
import { TEST_SECRET } from '../stack.js';

/**
 * Item 7 of issue 14: a supervisor (systemd, a container runtime, `timeout`) sends SIGTERM to the one
 * process it started and expects a graceful stop. Images and units start the entry points with node
 * itself (`node --import tsx api/main.ts`): npm 11 does not pass SIGTERM on to its script (it leaves,
 * and the product keeps running, holding its port), and the tsx CLI would be one more process between.
 */
const started: Proc[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const proc of started) await proc.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function deskEnv(): Promise<Record<string, string>> {
  const dataDir = tempDir('signals');
  dirs.push(dataDir);
  return {
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `signals-${randomUUID()}`,
    TEMPORAL_CONFIG_FILE: path.join(dataDir, 'no-temporal-profile.toml'),
    AUTH_JWT_SECRET: TEST_SECRET,
    WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    LOG_LEVEL: 'warn',
  };
}

function launch(name: string, command: string, args: string[], env: Record<string, string>): Proc {
  const proc = spawnProcess(name, command, args, env, env.DATA_DIR!);
  started.push(proc);
  return proc;
}

async function ready(proc: Proc, check: () => Promise<boolean>): Promise<void> {
  const ok = await untilTrue(async () => proc.child.exitCode === null && (await check().catch(() => false)), 90_000);
  expect(ok, `${proc.name} did not start:\n${proc.tail()}`).toBe(true);
}

async function untilTrue(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function pollers(taskQueue: string): Promise<string[]> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    const described = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 1 });
    return (described.pollers ?? []).map((p) => p.identity ?? '');
  } finally {
    await connection.close();
  }
}

/** The signal to that pid alone: not its process group, as a supervisor that started it would. */
async function terminate(proc: Proc, pid = proc.child.pid!) {
  const sent = Date.now();
  process.kill(pid, 'SIGTERM');
  const exit = await Promise.race([proc.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 30_000))]);
  return { exit, seconds: (Date.now() - sent) / 1000 };
}

describe('SIGTERM to the process a supervisor started', () => {
  it('stops `node --import tsx api/main.ts` gracefully: exit code 0, its port free', async () => {
    const env = { ...(await deskEnv()), PORT: String(await freePort()) };
    const api = launch('api', process.execPath, ['--import', 'tsx', 'api/main.ts'], env);
    await ready(api, async () => (await fetch(`http://127.0.0.1:${env.PORT}/healthz`)).ok);
    const { exit, seconds } = await terminate(api);
    expect(exit, api.tail()).toEqual({ code: 0, signal: null });
    expect(seconds).toBeLessThan(15);
    expect(await isPortFree(Number(env.PORT))).toBe(true);
  }, 120_000);

  it('stops `node --import tsx worker/main.ts` gracefully: exit code 0 once its tasks are done', async () => {
    const env = await deskEnv();
    const worker = launch('worker', process.execPath, ['--import', 'tsx', 'worker/main.ts'], env);
    await ready(worker, async () => (await pollers(env.TEMPORAL_TASK_QUEUE!)).some((p) => p.startsWith(`exception-desk-worker/${worker.child.pid}@`)));
    const { exit, seconds } = await terminate(worker);
    expect(exit, worker.tail()).toEqual({ code: 0, signal: null });
    expect(seconds).toBeLessThan(20);
  }, 120_000);

  it('stops `node --import tsx server/main.ts` (API and worker in one, on a given Temporal) gracefully: exit code 0, its port free', async () => {
    const env = { ...(await deskEnv()), PORT: String(await freePort()), DEMO: 'false' };
    const desk = launch('desk', process.execPath, ['--import', 'tsx', 'server/main.ts'], env);
    await ready(desk, async () => (await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).ok);
    const { exit, seconds } = await terminate(desk);
    expect(exit, desk.tail()).toEqual({ code: 0, signal: null });
    expect(seconds).toBeLessThan(20);
    expect(await isPortFree(Number(env.PORT))).toBe(true);
  }, 120_000);
});
