import { describe, expect, it } from 'vitest';
import { AppError, fromTemporal } from '../../api/errors.js';

/** What a client of the API sees when Temporal answers a call with a gRPC error (api/errors.ts fromTemporal). */
const grpc = (code: number, message = `${code} gRPC`) => Object.assign(new Error(message), { code });
const wrapped = (code: number) => new Error('Workflow query failed', { cause: grpc(code) });

describe('Temporal errors as API answers', () => {
  it.each([
    { code: 1, what: 'CANCELLED under load', answer: 'UNAVAILABLE' },
    { code: 2, what: 'UNKNOWN from the server', answer: 'UNAVAILABLE' },
    { code: 4, what: 'DEADLINE_EXCEEDED', answer: 'UNAVAILABLE' },
    { code: 5, what: 'NOT_FOUND', answer: 'NOT_FOUND' },
    { code: 8, what: 'RESOURCE_EXHAUSTED', answer: 'RATE_LIMITED' },
    { code: 9, what: 'FAILED_PRECONDITION', answer: 'UNAVAILABLE' },
    { code: 10, what: 'ABORTED', answer: 'UNAVAILABLE' },
    { code: 13, what: 'INTERNAL', answer: 'UNAVAILABLE' },
    { code: 14, what: 'UNAVAILABLE', answer: 'UNAVAILABLE' },
  ])('answers $what ($code) as $answer, directly or as a cause', ({ code, answer }) => {
    for (const err of [grpc(code), wrapped(code)]) {
      const mapped = fromTemporal(err);
      expect(mapped).toBeInstanceOf(AppError);
      expect((mapped as AppError).code).toBe(answer);
    }
  });

  it.each([3, 12])('leaves %i (a request our own code got wrong) to surface as a 500', (code) => {
    const err = grpc(code);
    expect(fromTemporal(err)).toBe(err);
  });
});
