import { isSpanContextValid, trace } from '@opentelemetry/api';
import { asyncLocalStorage as activityContext } from '@temporalio/activity';
import { pino, type Logger } from 'pino';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Config } from '../config/index.js';
import { setTemporalSdkMetricsAddress } from './metrics.js';

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, name = 'exception-desk'): Logger {
  return pino({ name, level: config.LOG_LEVEL, mixin: traceFields });
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
