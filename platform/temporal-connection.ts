import { Client, Connection, isGrpcDeadlineError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
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

/**
 * With `callTimeoutMs`, every workflow operation made through the client (start, update, query,
 * signal, describe, result...) runs under that deadline unless the caller set one with
 * `client.withDeadline`; see deadlineClient.
 */
export async function connectClient(target: TemporalTarget, options: { callTimeoutMs?: number } = {}): Promise<{ connection: Connection; client: Client }> {
  const { address, tls, apiKey, metadata } = target.options;
  const connection = await Connection.connect({ address, tls, apiKey, metadata });
  // Carries the caller's trace (an HTTP request's) into the workflow through Temporal headers; a no-op without tracing.
  const client = new Client({ connection, namespace: target.namespace, interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } });
  return { connection, client: options.callTimeoutMs ? deadlineClient(client, connection, options.callTimeoutMs) : client };
}

export function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect(target.options);
}

/**
 * A workflow operation that ran out of its deadline, with what it waited on: typically an update or
 * query that no worker picked up, because nobody polls the workflow's task queue.
 */
export class TemporalCallTimeout extends Error {
  override name = 'TemporalCallTimeout';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    readonly workflowId: string | undefined,
    readonly taskQueue: string | undefined,
    options: { cause: unknown },
  ) {
    super(`${operation} on ${workflowId ?? 'a workflow'} (task queue ${taskQueue ?? 'unknown'}) got no answer within ${timeoutMs} ms`, options);
  }
}

type Fn = (...args: unknown[]) => unknown;

/** The gRPC status code of a Temporal client error, wherever it sits in the cause chain (the SDK wraps service errors). */
export function grpcCode(err: unknown): number | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'number') return e.code;
  }
  return undefined;
}
type Handle = { workflowId: string } & Record<string, unknown>;

/** A workflow or update handle: its methods (query, executeUpdate, result...) need the deadline too. */
const isHandle = (v: unknown): v is Handle =>
  typeof v === 'object' && v !== null && typeof (v as Handle).workflowId === 'string' && Object.values(v).some((p) => typeof p === 'function');

/**
 * The SDK waits without limit by default: an update to a workflow whose task queue nobody polls is
 * re-sent forever (each attempt answers "admitted"), so an API request hung for minutes (issue 13,
 * Why 10). One absolute deadline over a whole operation bounds the re-sends and the outcome polls
 * with it, which a per-RPC gRPC deadline would not. The deadline travels in the connection's
 * AsyncLocalStorage, so the SDK applies it to every RPC the operation makes.
 */
export function deadlineClient(client: Client, connection: Connection, timeoutMs: number): Client {
  const storage = connection.callContextStorage;

  /** Which queue the workflow really waits on: the one it was started on, not necessarily ours. */
  const taskQueueOf = async (workflowId: string | undefined, fallback: string | undefined) => {
    if (!workflowId) return fallback;
    try {
      const description = await connection.withDeadline(Date.now() + Math.min(timeoutMs, 2_000), () => client.workflow.getHandle(workflowId).describe());
      return description.taskQueue;
    } catch {
      return fallback;
    }
  };

  const bounded = (operation: string, call: () => unknown, target: () => { workflowId?: string; taskQueue?: string }): unknown => {
    const context = storage.getStore();
    // A caller's own deadline (e.g. a longer wait for a result) stands.
    if (context?.deadline !== undefined) return call();
    const deadline = Date.now() + timeoutMs;
    const result = storage.run({ ...context, deadline }, call);
    if (!(result instanceof Promise)) return wrap(result);
    return result.then(wrap, async (err: unknown) => {
      // Past its deadline the call may end in another status than DEADLINE_EXCEEDED (a query no worker
      // takes was seen ending CANCELLED or UNKNOWN under load): it still ran out of time, and says so.
      const outOfTime = Date.now() >= deadline - 50 && grpcCode(err) !== undefined;
      if (!outOfTime && !isGrpcDeadlineError(err) && !(err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) throw err;
      const { workflowId, taskQueue } = target();
      throw new TemporalCallTimeout(operation, timeoutMs, workflowId, await taskQueueOf(workflowId, taskQueue), { cause: err });
    });
  };

  const wrap = (value: unknown): unknown => (isHandle(value) ? handleProxy(value) : value);

  const handleProxy = (handle: Handle): Handle =>
    new Proxy(handle, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => bounded(String(prop), () => (value as Fn).apply(target, args), () => ({ workflowId: target.workflowId }));
      },
    });

  /** start(wf, { workflowId, taskQueue }), executeUpdateWithStart(update, { startWorkflowOperation }) or result(workflowId). */
  const operationTarget = (args: unknown[]) => {
    type Start = { workflowId?: string; taskQueue?: string };
    const options = args[1] as (Start & { startWorkflowOperation?: { options?: Start } }) | undefined;
    const start = typeof options === 'object' ? (options.startWorkflowOperation?.options ?? options) : undefined;
    const byId = typeof args[0] === 'string' && (args[1] === undefined || typeof args[1] === 'string') ? args[0] : undefined;
    return { workflowId: start?.workflowId ?? byId, taskQueue: start?.taskQueue };
  };

  const workflow = new Proxy(client.workflow, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function' || prop === 'list') return value;
      return (...args: unknown[]) => bounded(String(prop), () => (value as Fn).apply(target, args), () => operationTarget(args));
    },
  });

  return new Proxy(client, {
    get(target, prop) {
      return prop === 'workflow' ? workflow : Reflect.get(target, prop, target);
    },
  });
}
