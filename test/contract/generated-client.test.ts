import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, path as idPath, priceVariance } from '../world.js';

const run = promisify(execFile);

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
// Inside the project, so the program resolves openapi-fetch and is an ES module like ours.
const dir = path.resolve('test-results', `generated-client-${process.pid}`);

beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack);
  mkdirSync(dir, { recursive: true });
}, 120_000);
afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A program a new user writes against a client generated from /openapi.json: the lifecycle, and the
 * errors it must handle, each with a typed problem body. If the document left an error status without
 * a body schema, `error.detail` would not type-check.
 */
const program = `
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

type Problem = components['schemas']['Problem'];
type Intake = NonNullable<paths['/api/v1/exceptions']['post']['requestBody']>['content']['application/json'];
const [baseUrl, integration, operator, intakeJson] = process.argv.slice(2) as [string, string, string, string];
const erp = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${integration}\` } });
const ops = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${operator}\` } });
const fail = (what: string, problem: Problem): never => {
  throw new Error(\`\${what}: \${problem.status} \${problem.title}: \${problem.detail}\`);
};

const raised = await erp.POST('/api/v1/exceptions', { body: JSON.parse(intakeJson) as Intake });
if (raised.error) fail('raise', raised.error);
const id: string = raised.data!.id;
// A transition that needs no fields takes no body at all.
const claimed = await ops.POST('/api/v1/exceptions/{id}/claim', { params: { path: { id } } });
if (claimed.error) fail('claim', claimed.error);
const again = await erp.POST('/api/v1/exceptions/{id}/claim', { params: { path: { id } } });
const conflict: string = again.error ? again.error.detail : 'no error';
const resolved = await ops.POST('/api/v1/exceptions/{id}/resolve', { params: { path: { id } }, body: { code: 'fixed', valueEvent: 'rework-avoided' } });
if (resolved.error) fail('resolve', resolved.error);
const timeline = await ops.GET('/api/v1/exceptions/{id}/timeline', { params: { path: { id } } });
if (timeline.error) fail('timeline', timeline.error);
const unknown = await ops.GET('/api/v1/exceptions/{id}/timeline', { params: { path: { id: 'exception:nope:nothing' } } });
const notFound: number = unknown.error ? unknown.error.status : 0;
const badIntake = await erp.POST('/api/v1/exceptions', { body: { ...(JSON.parse(intakeJson) as Intake), type: 'no-such-type' } });
const invalidPaths: string[] = badIntake.error?.errors?.map((e) => e.path) ?? [];
console.log(JSON.stringify({
  status: resolved.data!.status,
  actions: timeline.data!.items.map((e) => e.action),
  conflict: again.response.status,
  conflictDetail: conflict,
  notFound,
  invalid: badIntake.response.status,
  invalidPaths,
}));
`;

describe('a client generated from /openapi.json (openapi-typescript + openapi-fetch), as a new user would', () => {
  it('type-checks under --strict and runs the lifecycle, with a typed problem for every error', async () => {
    writeFileSync(path.join(dir, 'openapi.json'), JSON.stringify((await http(`${stack.url}/openapi.json`)).body));
    await run('npx', ['openapi-typescript', path.join(dir, 'openapi.json'), '-o', path.join(dir, 'schema.d.ts')]);
    writeFileSync(path.join(dir, 'program.ts'), program);
    const tsc = await run('npx', ['tsc', '--strict', '--noEmit', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', path.join(dir, 'program.ts')]).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    );
    expect(tsc).toBe('');
    const { stdout } = await run('npx', ['tsx', path.join(dir, 'program.ts'), stack.url, w.integration, w.olivia, JSON.stringify(priceVariance())]);
    expect(JSON.parse(stdout)).toMatchObject({
      status: 'resolved',
      actions: expect.arrayContaining(['surfaced', 'claimed', 'resolved']),
      conflict: 403,
      notFound: 404,
      invalid: 422,
      invalidPaths: ['type'],
    });
  }, 120_000);
});

describe('a transition that needs no fields', () => {
  it('takes no body, an empty body with a JSON content type, or {}', async () => {
    const claim = (init: { rawBody?: string; body?: unknown; headers?: Record<string, string> }) => async () => {
      const id = (await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() })).body.id as string;
      return http(`${stack.url}/api/v1/exceptions/${idPath(id)}/claim`, { method: 'POST', token: w.olivia, ...init });
    };
    // fetch() with a JSON content type and nothing in the body: answered 415 before.
    expect((await claim({ rawBody: '', headers: { 'content-type': 'application/json' } })()).status).toBe(200);
    expect((await claim({})()).status).toBe(200);
    expect((await claim({ body: {} })()).status).toBe(200);
  });

  it('while one that needs fields answers an empty body with 400 naming them, not 415', async () => {
    const id = (await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() })).body.id as string;
    const res = await http(`${stack.url}/api/v1/exceptions/${idPath(id)}/resolve`, { method: 'POST', token: w.olivia, rawBody: '', headers: { 'content-type': 'application/json' } });
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'code' })]);
  });
});
