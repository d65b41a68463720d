import { expect } from 'vitest';

export interface HttpResult<T = any> {
  status: number;
  contentType: string;
  body: T;
}

/** fetch with JSON in and out; `token` becomes a bearer header. */
export async function http<T = any>(
  url: string,
  init: { method?: string; token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  return { status: response.status, contentType, body: (contentType.includes('json') && text ? JSON.parse(text) : text) as T };
}

/** Asserts an RFC 9457 problem with the given status. */
export function expectProblem(result: HttpResult, status: number) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.contentType).toContain('application/problem+json');
  expect(result.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
}
