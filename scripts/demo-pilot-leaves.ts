import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { mintToken } from '../api/auth.js';
import { startApi } from '../api/server.js';
import { loadConfig } from '../config/index.js';
import type { Role } from '../domain/principal.js';
import { ledgerFile, migrateLedger, openLedger } from '../ledger/db.js';
import { startDevServer } from '../server/dev-server.js';
import { exitWithError } from '../platform/fatal.js';
import { installTemporalRuntime } from '../platform/logger.js';
import { freePort } from '../platform/ports.js';
import { resolveTemporalCli } from '../server/temporal-cli.js';
import { temporalTarget } from '../platform/temporal-connection.js';
import { startWorker } from '../worker/run.js';
import { runPilotLeaves } from './pilot-leaves/scenario.js';

/**
 * `npm run demo:pilot-leaves`: a throwaway exception-desk on free ports, then the pilot team leaves.
 * Watch it in the Temporal UI while it runs.
 */
async function main() {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'exception-desk-demo-'));
  const logger = pino({ level: 'warn' });
  installTemporalRuntime(logger);
  const cli = await resolveTemporalCli({ log: say });
  const uiPort = await freePort();
  const server = await startDevServer({ cli, port: await freePort(), uiPort, namespace: 'default', readyTimeoutMs: 60_000 });
  const env = {
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'warn',
    AUTH_JWT_SECRET: `demo-${Math.random().toString(36).repeat(6)}`,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_CONFIG_FILE: path.join(dataDir, 'none.toml'),
    GAP_MAX_OPEN_PER_OWNER: '100',
  };
  const config = loadConfig(env);
  const target = temporalTarget(config, env);
  const ledger = openLedger({ file: ledgerFile(dataDir) });
  await migrateLedger(ledger);
  const worker = await startWorker({ config, target, ledger, logger });
  const api = await startApi({ config, target, ledger, logger });
  say(`exception-desk demo: API ${api.url}, Temporal UI ${server.uiUrl}\n`);
  const secret = new TextEncoder().encode(config.AUTH_JWT_SECRET!);
  const started = Date.now();
  try {
    const s = await runPilotLeaves({ url: api.url, token: (sub, ...roles) => mintToken(secret, { sub, roles: roles as Role[] }) }, say);
    say('\nSummary');
    say(`  exceptions raised:          ${s.raised} (claimed by the pilot: ${s.claimedByPilot}, by operators: ${s.claimedByOperators})`);
    for (const sweep of s.sweeps) {
      say(`  departure of ${sweep.person.padEnd(7)}       ${sweep.matrixChanges} cells changed, ${sweep.moves} exceptions moved, ${sweep.claimsReleased} claims released, ${sweep.gaps} gaps`);
    }
    say(`  gaps after the departures:  ${Object.entries(s.gapsAfterDeparture).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}`);
    say(`  gaps after managers filled: ${s.gapsAfterFill}`);
    say(`  accounted for:              ${s.final.total} of ${s.raised} (${Object.entries(s.final.byStatus).map(([k, v]) => `${v} ${k}`).join(', ')})`);
    say(`  owned by a departed person: ${s.final.ownedByDeparted}; unowned: ${s.final.unowned}; escalations reaching nobody active: ${s.final.escalationUnreachable}`);
    for (const [area, owners] of Object.entries(s.final.ownersByArea)) say(`  ${area.padEnd(18)}          now ${Object.entries(owners).map(([o, n]) => `${o} (${n})`).join(', ')}`);
    say(`\nDone in ${Math.round((Date.now() - started) / 1000)} s.`);
  } finally {
    await api.close();
    await worker.shutdown();
    await ledger.destroy();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => exitWithError(err, 'run the demo'));
