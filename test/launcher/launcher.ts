import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../../api/auth.js';
import { freePort } from '../../platform/ports.js';
import { http } from '../http.js';
import { spawnProcess, type Proc } from '../reliability/processes.js';

const MAIN = fileURLToPath(new URL('../../server/main.ts', import.meta.url));

/** The environment of one `npm start` on free ports; no TEMPORAL_ or AUTH_ setting leaks in from outside. */
export async function launcherEnv(dataDir: string): Promise<Record<string, string>> {
  return {
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_CONFIG_FILE: path.join(dataDir, 'no-temporal-profile.toml'),
    LOG_LEVEL: 'warn',
  };
}

function cleanEnv(): void {
  for (const key of Object.keys(process.env)) if (/^(TEMPORAL_|AUTH_|DEMO)/.test(key)) delete process.env[key];
}

/**
 * `npm start` as node itself (not the tsx CLI, which would put a process between us and the launcher),
 * so that a kill -9 hits the launcher alone.
 */
export async function startLauncher(name: string, env: Record<string, string>, logDir: string): Promise<Proc & { url: string }> {
  cleanEnv();
  const proc = spawnProcess(name, process.execPath, ['--import', 'tsx', MAIN], env, logDir);
  let output = '';
  proc.child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exit: unknown;
  void proc.exited.then((e) => (exit = e));
  const deadline = Date.now() + 150_000;
  while (!output.includes('exception-desk is running')) {
    if (exit) throw new Error(`${name} exited while starting (${JSON.stringify(exit)}):\n${proc.tail()}`);
    if (Date.now() > deadline) throw new Error(`${name} did not start within 150 s:\n${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return Object.assign(proc, { url: `http://127.0.0.1:${env.PORT}` });
}

/** The queue as an operator sees it, with a token signed by the secret the desk generated in DATA_DIR. */
export async function listedExceptionIds(url: string, dataDir: string): Promise<string[]> {
  const secret = new TextEncoder().encode(readFileSync(path.join(dataDir, 'auth-secret'), 'utf8').trim());
  const token = await mintToken(secret, { sub: 'li', roles: ['operator'] });
  const res = await http(`${url}/api/v1/exceptions?limit=100`, { token });
  if (res.status !== 200) throw new Error(`listing failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.items as Array<{ id: string }>).map((e) => e.id).sort();
}

/** Pids of every Temporal dev server whose command line names this SQLite file, found through /proc. */
export function temporalServersOn(dbFile: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    // The server itself, not a shell that started it: [binary, 'server', 'start-dev', …].
    if (args[1] === 'server' && args[2] === 'start-dev' && args.includes(dbFile)) pids.push(Number(entry));
  }
  return pids;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}
