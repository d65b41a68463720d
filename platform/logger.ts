import { pino, type Logger } from 'pino';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Config } from '../config/index.js';

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, name = 'exception-desk'): Logger {
  return pino({ name, level: config.LOG_LEVEL });
}

const temporalLevels: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR' };

let runtimeInstalled = false;

/** Routes the Temporal SDK's own logs through pino; one Runtime per process, so call this once. */
export function installTemporalRuntime(logger: Logger): void {
  const sdkLogger = logger.child({ component: 'temporal-sdk' });
  const level = temporalLevels[logger.level] ?? 'WARN';
  // The SDK logs every worker state change at INFO; WARN keeps the console readable.
  const threshold: LogLevel = level === 'INFO' ? 'WARN' : level;
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger(threshold, ({ level: lvl, message, meta }) => {
      const method = lvl === 'ERROR' ? 'error' : lvl === 'WARN' ? 'warn' : lvl === 'INFO' ? 'info' : 'debug';
      sdkLogger[method](meta ?? {}, message);
    }),
  });
}
