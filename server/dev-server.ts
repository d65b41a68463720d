import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { stopLeftover, type Leftover } from '../platform/leftover.js';
import { makePrivate, makePrivateDir, sqliteFiles } from '../platform/private-files.js';
import { spawnWatched } from '../platform/watchdog.js';
import { allSearchAttributes } from '../workflows/search-attributes.js';
import { TEMPORAL_CLI_VERSION, type TemporalCli } from './temporal-cli.js';

export interface DevServerOptions {
  cli: TemporalCli;
  ip?: string;
  port: number;
  /** Omit for a headless server (tests). */
  uiPort?: number;
  /** Omit for an in-memory store (tests). */
  dbFile?: string;
  namespace: string;
  /** More namespaces to create at launch (tests give each stack its own). */
  extraNamespaces?: string[];
  readyTimeoutMs: number;
  /** Where the server's own output goes; it stays out of our logs unless it crashes. */
  logFile?: string;
  /** Where the server's pid is kept while it runs, for the next start to find a leftover. */
  pidFile?: string;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** Resolves when the server exits for any reason; `expected` is false for a crash. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; expected: boolean; tail: string }>;
  stop(): Promise<void>;
}

/**
 * WAL lets readers run beside the single writer; synchronous=FULL fsyncs every commit, so an
 * exception acknowledged to a client survives power loss (docs/decisions/0002-sqlite-durability.md).
 */
export const SQLITE_PRAGMAS = ['journal_mode=WAL', 'synchronous=FULL'];

export class DevServerError extends Error {
  override name = 'DevServerError';
  readonly actionable = true;
}

export function devServerArgs(options: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', options.ip ?? '127.0.0.1', '--port', String(options.port)];
  for (const namespace of [options.namespace, ...(options.extraNamespaces ?? [])]) args.push('--namespace', namespace);
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile) {
    args.push('--db-filename', options.dbFile);
    for (const pragma of SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
  }
  for (const key of allSearchAttributes) args.push('--search-attribute', `${key.name}=${capitalised(key.type)}`);
  return args;
}

/** Starts `temporal server start-dev`, waits until it answers, and registers our search attributes. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  if (options.dbFile) {
    makePrivateDir(path.dirname(options.dbFile));
    // Files an older version left 0644; SQLite gives -wal and -shm the mode of the database file.
    makePrivate(...sqliteFiles(options.dbFile));
  }
  const server =
    options.cli.kind === 'binary' ? spawnBinary(options.cli.path, options) : await startWithSdkDownload(options);
  try {
    const connection = await waitUntilReady(server, options);
    try {
      for (const namespace of [options.namespace, ...(options.extraNamespaces ?? [])]) await registerSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/**
 * A server that finds our pid file naming a Temporal dev server on our own SQLite file, still running
 * (its launcher was killed before the watchdog could act, or by an older version), stops it first.
 */
export function stopLeftoverDevServer(pidFile: string, dbFile: string): Promise<Leftover | undefined> {
  return stopLeftover(pidFile, (argv) => isDevServerOn(argv, dbFile));
}

export function isDevServerOn(argv: string[], dbFile: string): boolean {
  const db = argv.indexOf('--db-filename');
  return path.basename(argv[0] ?? '').startsWith('temporal') && argv[1] === 'server' && argv[2] === 'start-dev' && db > 0 && argv[db + 1] === dbFile;
}

function spawnBinary(binary: string, options: DevServerOptions): DevServer {
  // Under a watchdog: the server stops when we die, even by kill -9 (crash-only start). In its own
  // process group, so Ctrl-C reaches us and we stop the server after the worker has drained.
  const child: ChildProcess = spawnWatched(binary, devServerArgs(options), { pidFile: options.pidFile });
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const logFile = options.logFile ? createWriteStream(options.logFile, { flags: 'a', mode: 0o600 }) : undefined;
  if (options.logFile) makePrivate(options.logFile);
  let tail = '';
  const keep = (chunk: Buffer) => {
    logFile?.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let stopping = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; expected: boolean; tail: string }>(
    (resolve) => {
      child.on('error', (err) => {
        tail += `\n${err.message}`;
      });
      child.on('close', (code, signal) => {
        process.off('exit', killOnExit);
        logFile?.end();
        resolve({ code, signal, expected: stopping, tail });
      });
    },
  );
  return {
    address: `${options.ip ?? '127.0.0.1'}:${options.port}`,
    uiUrl: options.uiPort ? `http://${options.ip ?? '127.0.0.1'}:${options.uiPort}` : undefined,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      child.kill('SIGTERM');
      // The watchdog's group: the watchdog and the server.
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Last resort where no binary could be found or built: the SDK fetches the CLI from the internet. */
async function startWithSdkDownload(options: DevServerOptions): Promise<DevServer> {
  if (options.cli.kind !== 'sdk-download') throw new Error('unreachable');
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download', downloadDir: options.cli.downloadDir, version: TEMPORAL_CLI_VERSION },
        ip: options.ip ?? '127.0.0.1',
        port: options.port,
        ui: Boolean(options.uiPort),
        uiPort: options.uiPort,
        dbFilename: options.dbFile,
        namespace: options.namespace,
        extraArgs: options.dbFile ? SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]) : [],
        searchAttributes: allSearchAttributes,
      },
    });
    let resolveExit!: (value: { code: number | null; signal: null; expected: boolean; tail: string }) => void;
    const exited = new Promise<{ code: number | null; signal: null; expected: boolean; tail: string }>((r) => (resolveExit = r));
    return {
      address: env.address,
      uiUrl: options.uiPort ? `http://${options.ip ?? '127.0.0.1'}:${options.uiPort}` : undefined,
      exited,
      async stop() {
        await env.teardown();
        resolveExit({ code: 0, signal: null, expected: true, tail: '' });
      },
    };
  } catch (err) {
    throw new DevServerError(
      `The Temporal SDK could not download the dev server (${(err as Error).message.split('\n')[0]}).\n` +
        'Install Go or the Temporal CLI, or set TEMPORAL_CLI_PATH or TEMPORAL_ADDRESS.',
    );
  }
}

async function waitUntilReady(server: DevServer, options: DevServerOptions): Promise<Connection> {
  const deadline = Date.now() + options.readyTimeoutMs;
  let crashed: { code: number | null; tail: string } | undefined;
  void server.exited.then((exit) => (crashed = exit));
  let lastError = '';
  while (Date.now() < deadline) {
    if (crashed) {
      throw new DevServerError(
        `The Temporal dev server exited during start-up (code ${crashed.code}).\n${crashed.tail.trim().split('\n').slice(-10).join('\n')}`,
      );
    }
    try {
      const connection = await Connection.connect({ address: server.address, connectTimeout: 2_000 });
      await connection.workflowService.describeNamespace({ namespace: options.namespace });
      return connection;
    } catch (err) {
      lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await server.stop();
  throw new DevServerError(
    `The Temporal dev server at ${server.address} was not ready within ${options.readyTimeoutMs} ms (${lastError}). ` +
      'Is the port in use by another program? Set TEMPORAL_PORT or TEMPORAL_READY_TIMEOUT_MS.',
  );
}

/**
 * Idempotent: `--search-attribute` is ignored when the database file already exists, so missing
 * attributes are added through the operator service on every start.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = allSearchAttributes.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
  });
  return missing.map((key) => key.name);
}

function capitalised(type: string): string {
  // SearchAttributeType values are e.g. 'KEYWORD' and 'INT'; the CLI wants 'Keyword' and 'Int'.
  if (type === 'KEYWORD_LIST') return 'KeywordList';
  if (type === 'DATETIME') return 'Datetime';
  return type.charAt(0) + type.slice(1).toLowerCase();
}
