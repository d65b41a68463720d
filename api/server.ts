import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { DEFAULT_MAX_TOKEN_LIFETIME_S, type Config } from '../config/index.js';
import type { LedgerDb } from '../ledger/db.js';
import { connectClient, type TemporalTarget } from '../platform/temporal-connection.js';
import { createApp } from './app.js';
import type { DeclaredRoute } from './route.js';
import { createTokenVerifier, loadSigningSecret } from './auth.js';
import { clientErrorResponse } from './errors.js';
import { version } from './version.js';
import { timedQueries } from '../platform/query-timing.js';

export interface RunningApi {
  url: string;
  client: Client;
  server: Server;
  /** Every route the API declares, with its roles and schemas. */
  routes: DeclaredRoute[];
  close(): Promise<void>;
}

/** `demoUsers` turns on the console's demo-user picker; it never applies when tokens come from OIDC. */
export async function startApi(options: { config: Config; target: TemporalTarget; ledger: LedgerDb; logger: Logger; demoUsers?: boolean }): Promise<RunningApi> {
  const { config, target, logger } = options;
  // METRICS=off: ledger queries go untimed.
  const ledger = config.METRICS === 'off' ? options.ledger : timedQueries(options.ledger);
  const { connection, client } = await connectClient(target, { callTimeoutMs: config.TEMPORAL_CALL_TIMEOUT });
  const verifier = createTokenVerifier(config);
  const app = createApp({
    config,
    logger,
    verifier,
    demoUsers:
      options.demoUsers && verifier.mode === 'hs256'
        ? { secret: loadSigningSecret(config), audience: config.AUTH_AUDIENCE, maxLifetimeSeconds: config.AUTH_MAX_TOKEN_LIFETIME ?? DEFAULT_MAX_TOKEN_LIFETIME_S }
        : undefined,
    version,
    connection,
    client,
    namespace: target.namespace,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ledger,
  });
  const server = createServer(app);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') socket.end(clientErrorResponse(err));
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: NodeJS.ErrnoException) => {
    await connection.close();
    throw err.code === 'EADDRINUSE' ? new Error(`Port ${config.PORT} is already in use; set PORT to another one.`) : err;
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    client,
    server,
    routes: app.locals.routes as DeclaredRoute[],
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await connection.close();
    },
  };
}
