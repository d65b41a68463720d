import { isSpanContextValid, trace } from '@opentelemetry/api';
import { asyncLocalStorage as activityContext } from '@temporalio/activity';
import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Config } from '../config/index.js';
import { setTemporalSdkMetricsAddress } from './metrics.js';

/**
 * JSON lines for log collectors; on a terminal (LOG_FORMAT=auto, the default) one readable line per
 * event instead: time, level, message, then the fields that matter (exception, workflow, trace).
 */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>, name = 'exception-desk', output: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Logger {
  const options = { name, level: config.LOG_LEVEL, mixin: traceFields };
  if (!readable(config.LOG_FORMAT, output.isTTY === true)) return pino(options, output);
  // Synchronous on purpose: the last lines before an exit (a start-up failure) must reach the terminal.
  const pretty = PinoPretty({
    destination: output,
    sync: true,
    colorize: output.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    // The request line's message already says method, route, status and duration.
    ignore: 'pid,hostname,name,req,res,responseTime,route,span_id',
  });
  return pino(options, pretty);
}

export function readable(format: Config['LOG_FORMAT'], terminal: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && terminal);
}

/**
 * What every log line carries about where it was written: the trace and span of the request or
 * activity running (so a line leads to its trace), and inside an activity the workflow it works for.
 */
export function traceFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    fields.trace_id = span.traceId;
    fields.span_id = span.spanId;
  }
  const workflowId = activityContext.getStore()?.info.workflowExecution?.workflowId;
  if (workflowId) fields.workflowId = workflowId;
  return fields;
}

const temporalLevels: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR' };

let runtimeInstalled = false;

/**
 * Routes the Temporal SDK's own logs through pino; one Runtime per process, so call this once. With
 * `metricsAddress` (host:port), the SDK's worker metrics (task slots, schedule-to-start latency, sticky
 * cache, polls) are served there in Prometheus format, and every /metrics of this process includes them.
 */
export function installTemporalRuntime(logger: Logger, options: { metricsAddress?: string } = {}): void {
  const sdkLogger = logger.child({ component: 'temporal-sdk' });
  const level = temporalLevels[logger.level] ?? 'WARN';
  // The SDK logs every worker state change at INFO; WARN keeps the console readable.
  const threshold: LogLevel = level === 'INFO' ? 'WARN' : level;
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  if (options.metricsAddress) setTemporalSdkMetricsAddress(options.metricsAddress);
  Runtime.install({
    ...(options.metricsAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } } } }
      : {}),
    logger: new DefaultLogger(threshold, ({ level: lvl, message, meta }) => {
      const method = lvl === 'ERROR' ? 'error' : lvl === 'WARN' ? 'warn' : lvl === 'INFO' ? 'info' : 'debug';
      sdkLogger[method](meta ?? {}, message);
    }),
  });
}
