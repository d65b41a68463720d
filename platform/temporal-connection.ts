import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../config/index.js';

export interface TemporalTarget {
  /** True when TEMPORAL_ADDRESS or an envconfig profile names a server: no embedded one starts. */
  external: boolean;
  namespace: string;
  options: NativeConnectionOptions;
}

/** Connection settings from @temporalio/envconfig (env vars and TOML profiles), else the embedded server. */
export function temporalTarget(config: Config, env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const loaded = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  const address = loaded.connectionOptions.address;
  return {
    external: Boolean(address),
    namespace: loaded.namespace ?? config.TEMPORAL_NAMESPACE,
    options: { ...loaded.connectionOptions, address: address ?? `127.0.0.1:${config.TEMPORAL_PORT}` },
  };
}

export async function connectClient(target: TemporalTarget): Promise<{ connection: Connection; client: Client }> {
  const { address, tls, apiKey, metadata } = target.options;
  const connection = await Connection.connect({ address, tls, apiKey, metadata });
  return { connection, client: new Client({ connection, namespace: target.namespace }) };
}

export function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect(target.options);
}
