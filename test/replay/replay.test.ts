import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import * as workflows from '../../workflows/index.js';

/**
 * Replay protection (docs/decisions/0005-replay-protection.md): every history recorded by
 * scripts/record-histories.ts must replay against the current workflow code. A change that breaks one
 * needs `patched()` / `deprecatePatch()`, not a blind re-recording. Replay needs no server.
 */
const HISTORIES_DIR = fileURLToPath(new URL('../histories/', import.meta.url));
const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

const load = (file: string): History => fromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
const workflowTypeOf = (history: History) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
/** Histories carry no workflow id; none of our workflows branches on it, so the file name stands in. */
const workflowIdOf = (file: string) => path.basename(file, '.json');
const quiet = new DefaultLogger('WARN');
try {
  // Each replay starts and stops a worker; keep their INFO state changes out of the test output.
  Runtime.install({ logger: quiet });
} catch {
  // A runtime already runs in this process: its logger stays.
}

describe('replay of recorded histories against the current workflow code', () => {
  it('has recorded histories, each of a workflow the worker still registers', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(Object.keys(workflows), file).toContain(workflowTypeOf(load(file)));
  });

  // One replay worker for every history, one after another (a worker each cost most of this file's
  // time); each history's outcome is then its own test.
  const outcomes = new Map<string, Error | undefined>();
  beforeAll(async () => {
    const histories = files.map((file) => ({ workflowId: workflowIdOf(file), history: load(file) }));
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, histories)) {
      outcomes.set(result.workflowId, result.error);
    }
  }, 120_000);

  it.each(files)('%s replays without a determinism error', (file) => {
    expect(load(file).events?.length).toBeGreaterThan(0);
    expect(outcomes.has(workflowIdOf(file)), 'replayed').toBe(true);
    // A DeterminismViolationError (or ReplayError) when the code no longer matches the history.
    const error = outcomes.get(workflowIdOf(file));
    if (error) throw error;
  });

  it('reports a determinism error when the workflow code does not match (the check can fail)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'exception-desk-replay-'));
    try {
      // A stand-alone module, importing nothing from the project, so it bundles on its own.
      const workflowsPath = path.join(dir, 'workflows.ts');
      writeFileSync(
        workflowsPath,
        [
          "import { sleep } from '@temporalio/workflow';",
          '',
          '/** Not the real exceptionWorkflow: it waits a day before doing anything. */',
          'export async function exceptionWorkflow(): Promise<string> {',
          "  await sleep('1 day');",
          "  return 'changed';",
          '}',
          '',
        ].join('\n'),
      );
      const { code } = await bundleWorkflowCode({ workflowsPath, webpackConfigHook: resolveFromProject as never, logger: quiet });
      const history = load('exception-lifecycle-resolved.json');
      expect(workflowTypeOf(history)).toBe('exceptionWorkflow');
      const replay = Worker.runReplayHistory({ workflowBundle: { code } }, history, 'changed-exception-workflow');
      await expect(replay).rejects.toThrow(DeterminismViolationError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Like worker/worker.ts: `./x.js` resolves to `./x.ts`. The module sits in the temp folder, so
 * `@temporalio/workflow` must also be found in the project's node_modules.
 */
const projectNodeModules = fileURLToPath(new URL('../../node_modules', import.meta.url));
function resolveFromProject(config: { resolve?: { modules?: string[] } }) {
  return {
    ...config,
    resolve: {
      ...config.resolve,
      extensionAlias: { '.js': ['.ts', '.js'] },
      modules: [...(config.resolve?.modules ?? ['node_modules']), projectNodeModules],
    },
  };
}

/**
 * `historyFromJSON` from @temporalio/common, with a fallback for the install this project has: npm
 * nests a second copy of protobufjs 8 under @temporalio/common and @temporalio/proto (the hoisted one is
 * grpc's 7.x), so common's protojson refuses the History type that proto's copy built ("type must be a
 * Type"). The fallback parses with protobufjs from the @temporalio/proto that @temporalio/common loads.
 * scripts/record-histories.ts writes the files the same way.
 */
function fromJSON(json: unknown): History {
  try {
    return historyFromJSON(json);
  } catch (err) {
    if (!(err instanceof TypeError && err.message === 'type must be a Type')) throw err;
    const requireFromCommon = createRequire(createRequire(import.meta.url).resolve('@temporalio/common'));
    const protoEntry = requireFromCommon.resolve('@temporalio/proto');
    const root = requireFromCommon(protoEntry) as { lookupType(name: string): unknown };
    const protojson = createRequire(protoEntry)('protobufjs/ext/protojson') as {
      fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History;
    };
    return protojson.fromJson(root.lookupType('temporal.api.history.v1.History'), json, { ignoreUnknownFields: true });
  }
}
