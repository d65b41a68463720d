import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { selfCheckWorkflowId, type SelfCheckResult } from '../../workflows/system/messages.js';
import { selfCheckWorkflow } from '../../workflows/system/workflow.js';
import { readiness, type ReadinessDeps } from '../readiness.js';
import { Reply, type ApiRoutes } from '../route.js';

const Check = z.object({ ok: z.boolean(), detail: z.string() });
const Readiness = z
  .object({
    status: z.enum(['ready', 'not-ready']),
    checks: z.record(z.string(), Check),
    selfCheck: z.object({ ledgerMigrations: z.array(z.string()), workerIdentity: z.string(), checkedAt: z.string() }).optional(),
  })
  .meta({ id: 'Readiness' });

export function systemRoutes(routes: ApiRoutes, deps: ReadinessDeps & { version: string }) {
  routes.route({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process is up',
    tags: ['system'],
    scope: { kind: 'none', why: 'public' },
    responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok'), version: z.string() }) } },
    handler: async () => ({ status: 'ok', version: deps.version }),
  });

  routes.route({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Temporal reachable, a worker polling, the ledger reachable',
    description: 'With deep=true it also runs a workflow through the worker to the ledger and back.',
    tags: ['system'],
    scope: { kind: 'none', why: 'public' },
    query: z.strictObject({ deep: z.enum(['true', 'false']).optional() }),
    responses: {
      200: { description: 'Ready', schema: Readiness },
      503: { description: 'Not ready; the failing checks say why', schema: Readiness },
    },
    handler: async ({ query }) => {
      const result = await readiness(deps);
      let selfCheck: SelfCheckResult | undefined;
      if (result.ready && query.deep === 'true') {
        try {
          selfCheck = await deps.client.workflow.execute(selfCheckWorkflow, {
            taskQueue: deps.taskQueue,
            workflowId: selfCheckWorkflowId(randomUUID()),
            workflowExecutionTimeout: '15 seconds',
          });
        } catch (err) {
          result.ready = false;
          result.checks.selfCheck = { ok: false, detail: (err as Error).message };
        }
      }
      const body = { status: result.ready ? 'ready' : 'not-ready', checks: result.checks, ...(selfCheck ? { selfCheck } : {}) };
      return new Reply(result.ready ? 200 : 503, body);
    },
  });
}
