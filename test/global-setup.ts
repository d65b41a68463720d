import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer } from '../server/dev-server.js';
import { freePort } from '../platform/ports.js';
import { resolveTemporalCli } from '../server/temporal-cli.js';
import { bundleWorkflows } from '../worker/worker.js';
import { suitePostgres, type PostgresAvailability } from './pg.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    namespaceLocks: string;
    namespaceCount: number;
    /** The suite's throwaway PostgreSQL (test/pg.ts), or why its tests skip or fail. */
    postgres: PostgresAvailability;
  }
}

/** Each test stack takes a namespace of its own (never given back), so entity workflows (people:directory, …) never collide; the suite starts about 70 stacks. */
const NAMESPACES = 128;

/** One real Temporal dev server (in memory, free ports) and one workflow bundle for the whole suite. */
export default async function setup(project: TestProject) {
  const started = Date.now();
  const postgresStarting = suitePostgres();
  const cli = await resolveTemporalCli({ log: (line) => console.error(line) });
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `test-${i}`);
  const server = await startDevServer({ cli, port: await freePort(), namespace: 'default', extraNamespaces: namespaces, readyTimeoutMs: 60_000 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'exception-desk-bundle-'));
  mkdirSync(path.join(dir, 'namespaces'));
  const workflowBundlePath = path.join(dir, 'workflows.js');
  writeFileSync(workflowBundlePath, (await bundleWorkflows()).code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('namespaceLocks', path.join(dir, 'namespaces'));
  project.provide('namespaceCount', NAMESPACES);
  const postgres = await postgresStarting;
  project.provide('postgres', postgres.availability);
  console.error(`test Temporal dev server at ${server.address} ready in ${Date.now() - started} ms`);
  return async () => {
    await server.stop();
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
