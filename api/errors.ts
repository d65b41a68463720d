import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { grpcCode, TemporalCallTimeout } from '../platform/temporal-connection.js';

export { grpcCode };

export const errorStatus = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof errorStatus;

const titles: Record<ErrorCode, string> = {
  BAD_REQUEST: 'Malformed request',
  UNAUTHORIZED: 'Authentication required',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  NOT_ACCEPTABLE: 'Not acceptable',
  CONFLICT: 'Conflict',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  UNPROCESSABLE: 'Unprocessable content',
  RATE_LIMITED: 'Too many requests',
  INTERNAL: 'Internal server error',
  UNAVAILABLE: 'Service unavailable',
};

export interface FieldError {
  path: string;
  message: string;
}

/** The one application error: its code decides the HTTP status; a 500 never shows its message. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { errors?: FieldError[]; [key: string]: unknown } = {},
  ) {
    super(message);
  }
  get status(): number {
    return errorStatus[this.code];
  }
}

/** Business failures raised by workflows and validators carry one of these `type`s. */
const failureTypes: Record<string, ErrorCode> = {
  Conflict: 'CONFLICT',
  NotFound: 'NOT_FOUND',
  Forbidden: 'FORBIDDEN',
  Invalid: 'UNPROCESSABLE',
  Unavailable: 'UNAVAILABLE',
};

export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: issue.message,
  }));
}

/** Maps Temporal client errors to AppErrors; anything else passes through unchanged. */
export function fromTemporal(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof WorkflowNotFoundError) return new AppError('NOT_FOUND', 'No such item.');
  if (err instanceof WorkflowExecutionAlreadyStartedError) return new AppError('CONFLICT', 'It already exists.');
  if (err instanceof TemporalCallTimeout) return deadlineProblem(err);
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return new AppError('UNAVAILABLE', 'The workflow engine did not answer in time; retry shortly.');
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    // The server's own rejection of an update no worker handled: nothing changed, so a retry may succeed.
    if (err.cause.type === 'UnprocessedUpdate') return new AppError('UNAVAILABLE', 'The workflow engine did not take this change; retry shortly.');
    const code = failureTypes[err.cause.type ?? ''] ?? 'UNPROCESSABLE';
    return new AppError(code, err.cause.message, (err.cause.details?.[0] as Record<string, unknown>) ?? {});
  }
  // The gRPC status may sit on a wrapper's cause (e.g. "Workflow Update failed: 14 UNAVAILABLE").
  switch (grpcCode(err)) {
    // The workflow (or its run) is gone.
    case 5:
      return new AppError('NOT_FOUND', 'No such item.');
    // Temporal cannot be reached, or it aborted the update (e.g. while its workflow task was retried).
    case 14:
      return new AppError('UNAVAILABLE', 'The workflow engine is unavailable; retry shortly.');
    // Overloaded, not the client's fault; they may retry.
    case 8:
      return new AppError('RATE_LIMITED', 'Too many concurrent changes to this item; retry shortly.');
    case 4:
      return new AppError('UNAVAILABLE', 'The workflow engine did not answer in time; retry shortly.');
    // e.g. "update-with-start could not be executed ... Workflow Task in failed state": an overloaded
    // worker timed out the workflow task; nothing was applied and a retry can succeed.
    case 9:
      return new AppError('UNAVAILABLE', 'The workflow engine could not take this change just now; retry shortly.');
    // The engine's own trouble, not the request's: a call cancelled under it, an unknown or internal
    // server error, an aborted write. Nothing the caller sent is wrong, so 503 rather than 500; a
    // request our code got wrong (3 INVALID_ARGUMENT, 12 UNIMPLEMENTED) still surfaces as a 500.
    case 1:
    case 2:
    case 10:
    case 13:
      return new AppError('UNAVAILABLE', 'The workflow engine failed to answer; retry shortly.');
  }
  return err;
}

/**
 * A call past its deadline: almost always an update or query that no worker took, because nobody
 * polls the task queue the workflow was started on (e.g. an API and its workers configured with
 * different TEMPORAL_TASK_QUEUE values). The answer names both, so an operator can tell which.
 */
function deadlineProblem(err: TemporalCallTimeout): AppError {
  const seconds = `${Math.round(err.timeoutMs / 100) / 10} s`;
  const workflow = err.workflowId ?? 'The workflow';
  const queue = err.taskQueue ?? '(unknown)';
  return new AppError(
    'UNAVAILABLE',
    `${workflow} did not answer within ${seconds}: no worker took the ${err.operation} from task queue ${queue}. ` +
      `Check that a worker polls ${queue} (TEMPORAL_TASK_QUEUE), then retry; an update not yet taken may still apply when one does.`,
    { workflowId: err.workflowId ?? null, taskQueue: err.taskQueue ?? null },
  );
}

const problemType = (code: ErrorCode) => `https://exception-desk.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;

export function problemBody(err: AppError, instance?: string) {
  // Extension members never override the standard ones.
  return {
    ...err.extra,
    type: problemType(err.code),
    title: titles[err.code],
    status: err.status,
    detail: err.message,
    ...(instance ? { instance } : {}),
  };
}

/** body-parser signals its failures through `type` and `status` on the error. */
function fromBodyParser(err: { type?: string; status?: number; message?: string; limit?: number }): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('BAD_REQUEST', 'The body is not valid JSON.');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', `The body is larger than the limit of ${err.limit} bytes.`);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', err.message ?? 'Unsupported encoding.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'parameters.too.many':
      return new AppError('BAD_REQUEST', err.message ?? 'Malformed request.');
  }
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    return new AppError('BAD_REQUEST', err.message ?? 'Malformed request.');
  }
  return undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let appError = fromTemporal(err);
    if (!(appError instanceof AppError)) appError = fromBodyParser(err) ?? appError;
    if (!(appError instanceof AppError)) {
      const incident = randomUUID();
      logger.error({ err, incident, method: req.method, url: req.originalUrl }, 'unhandled error');
      appError = new AppError('INTERNAL', `Something went wrong on our side. Quote incident ${incident} when reporting it.`, {
        incident,
      });
    }
    const problem = appError as AppError;
    if (problem.code === 'UNAUTHORIZED') res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problemBody(problem, req.originalUrl)));
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}.`));
};

/**
 * Node's HTTP parser refuses some requests before express sees them (an oversized URL or header, a
 * malformed request line); by default it answers a bare 400/431. These get problem+json like the rest.
 */
export function clientErrorResponse(err: NodeJS.ErrnoException): string {
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const title = tooLarge ? 'Request header fields too large' : 'Malformed request';
  const detail = tooLarge ? 'The URL or headers are larger than the server accepts; send long values in the body.' : 'The HTTP request could not be parsed.';
  const body = JSON.stringify({ type: `https://exception-desk.dev/problems/${tooLarge ? 'header-fields-too-large' : 'bad-request'}`, title, status, detail });
  return `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
