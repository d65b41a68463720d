import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devServerArgs } from '../../server/dev-server.js';
import { resolveTemporalCli } from '../../server/temporal-cli.js';
import { spawnProcess, tempDir as madeTempDir, type Proc } from '../reliability/processes.js';
import { isAlive, launcherEnv, listedExceptionIds, startLauncher, temporalServersOn, until } from './launcher.js';

const started: Proc[] = [];
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  dirs.push(madeTempDir(prefix));
  return dirs.at(-1)!;
};
afterAll(async () => {
  for (const proc of started) await proc.kill('SIGTERM');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('npm start killed with kill -9', () => {
  // Not there yet: the launcher creates it.
  const dataDir = path.join(tempDir('launcher'), 'data');
  const logDir = tempDir('launcher-logs');
  const dbFile = path.join(dataDir, 'temporal.sqlite');
  let env: Record<string, string>;
  let first: Proc & { url: string };
  let before: string[];

  it('starts on an empty DATA_DIR with the demo exceptions', async () => {
    env = await launcherEnv(dataDir);
    first = await startLauncher('first', { ...env, DEMO: 'true' }, logDir);
    started.push(first);
    before = await listedExceptionIds(first.url, dataDir);
    expect(before.length).toBeGreaterThan(0);
    expect(temporalServersOn(dbFile)).toHaveLength(1);
    expect(readFileSync(path.join(dataDir, 'temporal.pid'), 'utf8').trim()).toBe(String(temporalServersOn(dbFile)[0]));
  }, 180_000);

  it('keeps DATA_DIR to its owner: the folder 0700, every file in it 0600', () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dataDir);
    for (const name of ['ledger.sqlite', 'ledger.sqlite-wal', 'ledger.sqlite-shm', 'temporal.sqlite', 'temporal-server.log', 'auth-secret', 'temporal.pid']) {
      expect(files).toContain(name);
    }
    const modes = Object.fromEntries(files.map((name) => [name, (statSync(path.join(dataDir, name)).mode & 0o777).toString(8)]));
    expect(modes).toEqual(Object.fromEntries(files.map((name) => [name, '600'])));
  });

  it('takes its embedded Temporal server down with it', async () => {
    const [server] = temporalServersOn(dbFile);
    // The launcher alone, not its process group: nothing but the launcher's death tells the server.
    process.kill(first.child.pid!, 'SIGKILL');
    await first.exited;
    const gone = await until(() => !isAlive(server!), 20_000);
    expect(gone, `Temporal server ${server} still running after its launcher was killed`).toBe(true);
  }, 60_000);

  it('starts again on the same ports and DATA_DIR, with the same exceptions', async () => {
    const second = await startLauncher('second', env, logDir);
    started.push(second);
    expect(await listedExceptionIds(second.url, dataDir)).toEqual(before);
    await second.kill('SIGTERM');
    expect(temporalServersOn(dbFile)).toEqual([]);
  }, 180_000);
});

// Two separate DATA_DIRs on their own ports: the two run side by side.
describe.concurrent('npm start after a launcher that left its server behind', () => {
  it('stops a leftover Temporal dev server on its own DATA_DIR, named by the pid file, and starts', async () => {
    const dataDir = tempDir('leftover');
    const logDir = tempDir('leftover-logs');
    const dbFile = path.join(dataDir, 'temporal.sqlite');
    const env = await launcherEnv(dataDir);
    // What the launcher before the watchdog left after a kill -9: the server alone, holding the port and the file.
    const cli = await resolveTemporalCli();
    if (cli.kind !== 'binary') throw new Error('this test needs the Temporal CLI binary');
    const args = devServerArgs({ cli, port: Number(env.TEMPORAL_PORT), uiPort: Number(env.TEMPORAL_UI_PORT), dbFile, namespace: 'default', readyTimeoutMs: 0 });
    const orphan = spawnProcess('orphan', cli.path, args, {}, logDir);
    started.push(orphan);
    await until(() => existsSync(dbFile), 30_000);
    writeFileSync(path.join(dataDir, 'temporal.pid'), String(orphan.child.pid));

    const launcher = await startLauncher('after-orphan', { ...env, DEMO: 'true' }, logDir);
    started.push(launcher);
    expect(orphan.child.exitCode ?? orphan.child.signalCode, 'the leftover server was stopped').not.toBeNull();
    expect(temporalServersOn(dbFile)).toHaveLength(1);
    expect((await listedExceptionIds(launcher.url, dataDir)).length).toBeGreaterThan(0);
    await launcher.kill('SIGTERM');
  }, 180_000);

  it('leaves alone an unrelated process that a stale pid file names', async () => {
    const dataDir = tempDir('stale-pid');
    const logDir = tempDir('stale-pid-logs');
    const bystander = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      writeFileSync(path.join(dataDir, 'temporal.pid'), String(bystander.pid));
      // Started empty (DEMO=false): loading the demo data takes seconds and proves nothing here.
      const launcher = await startLauncher('stale-pid', { ...(await launcherEnv(dataDir)), DEMO: 'false' }, logDir);
      started.push(launcher);
      expect(isAlive(bystander.pid!)).toBe(true);
      await launcher.kill('SIGTERM');
    } finally {
      bystander.kill('SIGKILL');
    }
  }, 180_000);
});
