import { fileURLToPath } from 'node:url';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import { bundleWorkflowCode, Worker, type ActivityInterceptorsFactory, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { metricsInterceptor } from './metrics.js';
import { tracing, tracingWorkflowModule } from '../platform/tracing.js';

const tracedActivity: ActivityInterceptorsFactory = (ctx) => ({
  inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
  outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
});

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Our sources import `./x.js` (NodeNext ESM); webpack must resolve that to `./x.ts`. */
const resolveTsExtensions = (config: object) => ({
  ...config,
  resolve: {
    ...(config as { resolve?: object }).resolve,
    extensionAlias: { '.js': ['.ts', '.js'] },
  },
});

/**
 * Bundles the workflow code once, e.g. for tests that start many workers (a fault test adds its
 * interceptor). With tracing on in this process, the tracing interceptors go in too, so a worker
 * given this bundle carries traces through its workflows.
 */
export async function bundleWorkflows(workflowInterceptorModules: string[] = []): Promise<{ code: string }> {
  const modules = tracing() ? [tracingWorkflowModule, ...workflowInterceptorModules] : workflowInterceptorModules;
  return bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: modules, webpackConfigHook: resolveTsExtensions as never, logger: undefined });
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle; omit to bundle from source. */
  workflowBundle?: WorkflowBundleOption;
  maxCachedWorkflows?: number;
  identity?: string;
  /** How long shutdown waits for in-flight work before giving up on it (its attempts are retried elsewhere). */
  shutdownForceTime?: string;
  logger?: Logger;
  /** false (METRICS=off): no metrics interceptor on the activities. */
  metrics?: boolean;
}

export async function createWorker(options: WorkerOptions): Promise<Worker> {
  const traced = tracing();
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    interceptors: {
      activity: [...(options.metrics === false ? [] : [metricsInterceptor]), ...(traced ? [tracedActivity] : [])],
      // Used only when the worker bundles from source; a prebuilt bundle carries its own (bundleWorkflows).
      ...(traced ? { workflowModules: [tracingWorkflowModule] } : {}),
    },
    // Workflow spans are made inside the sandbox and leave it through this sink.
    ...(traced ? { sinks: { exporter: makeWorkflowExporter(traced.processor, traced.resource) } } : {}),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath, bundlerOptions: { webpackConfigHook: resolveTsExtensions as never } }),
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    ...(options.identity ? { identity: options.identity } : {}),
    shutdownGraceTime: '2 seconds',
    shutdownForceTime: options.shutdownForceTime ?? '30 seconds',
  });
}
