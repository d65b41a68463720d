import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { devServerArgs, registerSearchAttributes } from '../../server/dev-server.js';
import { freePort } from '../../platform/ports.js';
import { resolveTemporalCli } from '../../server/temporal-cli.js';
import { TEST_SECRET } from '../stack.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const WORKER_ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const API_ENTRY = path.join(root, 'api/main.ts');

/** A child OS process whose output goes to a log file, shown when a test needs to say why. */
export interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** kill -9, or a polite signal followed by SIGKILL after a grace period. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  tail(): string;
}

const running = new Set<Proc>();
process.once('exit', () => {
  for (const proc of running) proc.child.kill('SIGKILL');
});

export function spawnProcess(name: string, command: string, args: string[], env: Record<string, string>, logDir: string): Proc {
  const logFile = path.join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    }),
  );
  const proc: Proc = {
    name,
    child,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
    tail: () => {
      try {
        return readFileSync(logFile, 'utf8').slice(-3000);
      } catch {
        return '';
      }
    },
  };
  running.add(proc);
  return proc;
}

async function waitFor(proc: Proc, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exit: unknown;
  void proc.exited.then((e) => (exit = e));
  while (Date.now() < deadline) {
    if (exit) throw new Error(`${proc.name} exited while starting (${JSON.stringify(exit)}):\n${proc.tail()}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${proc.name} was not ready within ${timeoutMs} ms:\n${proc.tail()}`);
}

/** The environment every API and worker process of one deployment shares. */
export interface Deployment {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  dataDir: string;
  logDir: string;
  workflowBundle: string;
  webhookSecret?: string;
}

function envOf(d: Deployment): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: d.temporalAddress,
    TEMPORAL_NAMESPACE: d.namespace,
    TEMPORAL_TASK_QUEUE: d.taskQueue,
    TEMPORAL_CONFIG_FILE: path.join(d.dataDir, 'no-temporal-profile.toml'),
    DATA_DIR: d.dataDir,
    AUTH_JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'warn',
    ...(d.webhookSecret ? { WEBHOOK_SECRET: d.webhookSecret, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } : {}),
  };
}

const tsx = (entry: string) => ['--import', 'tsx', entry];

/** A worker in its own process (node, not the tsx wrapper, so kill -9 hits the worker itself). */
export async function startWorkerProcess(d: Deployment, name = 'worker'): Promise<Proc> {
  const proc = spawnProcess(name, process.execPath, tsx(WORKER_ENTRY), { ...envOf(d), WORKFLOW_BUNDLE: d.workflowBundle }, d.logDir);
  let ready = false;
  proc.child.stdout!.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('worker ready')) ready = true;
  });
  await waitFor(proc, async () => ready, 90_000);
  return proc;
}

/** `npm run api` in its own process, on a port of its own. */
export async function startApiProcess(d: Deployment, name = 'api'): Promise<Proc & { url: string }> {
  const port = await freePort();
  const proc = spawnProcess(name, process.execPath, tsx(API_ENTRY), { ...envOf(d), PORT: String(port) }, d.logDir);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(proc, async () => (await fetch(`${url}/healthz`)).ok, 90_000);
  return Object.assign(proc, { url });
}

/**
 * A Temporal dev server of the test's own, on free ports and a SQLite file, so the test may kill it
 * without disturbing the suite's shared server.
 */
export interface OwnTemporal {
  address: string;
  dbFile: string;
  proc: Proc;
  restart(): Promise<void>;
}

export async function startOwnTemporal(dataDir: string, logDir: string, namespace = 'default'): Promise<OwnTemporal> {
  const cli = await resolveTemporalCli();
  if (cli.kind !== 'binary') throw new Error('these tests need the Temporal CLI binary');
  const port = await freePort();
  const dbFile = path.join(dataDir, 'temporal.sqlite');
  const args = devServerArgs({ cli, port, dbFile, namespace, readyTimeoutMs: 60_000 });
  // The dev server picks its HTTP and metrics ports next to the gRPC one unless told otherwise.
  args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
  const address = `127.0.0.1:${port}`;
  const launch = async () => {
    const proc = spawnProcess('temporal', cli.path, args, {}, logDir);
    await waitFor(
      proc,
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 2_000 });
        try {
          await connection.workflowService.describeNamespace({ namespace });
          await registerSearchAttributes(connection, namespace);
          return true;
        } finally {
          await connection.close();
        }
      },
      90_000,
    );
    return proc;
  };
  const own: OwnTemporal = {
    address,
    dbFile,
    proc: await launch(),
    async restart() {
      own.proc = await launch();
    },
  };
  return own;
}

export const tempDir = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), `exception-desk-${prefix}-`));
