import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpanKind } from '@opentelemetry/api';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils.js';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { Worker } from '@temporalio/worker';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceFields } from '../../platform/logger.js';
import { startTracing, tracing } from '../../platform/tracing.js';
import { bundleWorkflows } from '../../worker/worker.js';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, path, priceVariance } from '../world.js';

const exporter = new InMemorySpanExporter();
const lines: Array<Record<string, unknown>> = [];
let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
let exceptionId: string;
let workflowBundle: { code: string };

/**
 * Tracing on (an in-memory exporter instead of OTLP), a worker whose workflow bundle carries the
 * tracing interceptors, and the API logging to memory: one claim, then its spans and its log line.
 */
beforeAll(async () => {
  startTracing({ serviceName: 'exception-desk-test', exporter });
  workflowBundle = await bundleWorkflows();
  const logger = pino({ level: 'info', mixin: traceFields }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  stack = await startStack({ logger, workflowBundle });
  w = await buildWorld(stack);
  exceptionId = (await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() })).body.id;
  exporter.reset();
  lines.length = 0;
  const claim = await http(`${stack.url}/api/v1/exceptions/${path(exceptionId)}/claim`, { token: w.olivia, body: {} });
  expect(claim.status, JSON.stringify(claim.body)).toBe(200);
}, 180_000);
afterAll(async () => {
  await stack?.close();
  await tracing()?.shutdown();
});

const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (spans: ReadableSpan[], span: ReadableSpan) => spans.find((s) => s.spanContext().spanId === span.parentSpanId);

describe('a trace from the HTTP claim to the ledger write', () => {
  it('chains the request, the update, its handling in the workflow and the ledger-writing activity', async () => {
    // Workflow spans leave the sandbox through a sink after the activation: wait for the activity's.
    const spans = await eventually(
      async () => exporter.getFinishedSpans(),
      (all) => named(all, 'RunActivity:recordTransition').length > 0 && named(all, 'POST /api/v1/exceptions/{id}/claim').length > 0,
    );
    const request = named(spans, 'POST /api/v1/exceptions/{id}/claim')[0]!;
    expect(request, spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.attributes['http.route']).toBe('/api/v1/exceptions/{id}/claim');
    expect(request.attributes['exception_desk.exception_id']).toBe(exceptionId);
    expect(request.attributes['http.status_code']).toBe(200);

    const traceId = request.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const update = named(inTrace, 'StartWorkflowUpdate:claimException')[0]!;
    const handle = named(inTrace, 'HandleUpdate:claimException')[0]!;
    const write = named(inTrace, 'RunActivity:recordTransition')[0]!;
    expect([update, handle, write].map((s) => s?.name), inTrace.map((s) => s.name).join(', ')).toEqual(['StartWorkflowUpdate:claimException', 'HandleUpdate:claimException', 'RunActivity:recordTransition']);

    // Each span's ancestry leads back to the request.
    for (const span of [update, handle, write]) {
      let at: ReadableSpan | undefined = span;
      const chain: string[] = [];
      while (at && at !== request) {
        chain.push(at.name);
        at = parentOf(inTrace, at);
      }
      expect(at, `${span.name}: ${chain.join(' <- ')}`).toBe(request);
    }
    expect(parentOf(inTrace, update)).toBe(request);
    expect(update.attributes.temporalWorkflowId).toBe(exceptionId);
    expect(write.attributes.temporalWorkflowId).toBe(exceptionId);
  });

  it("writes the route, status, duration, trace id and the exception's workflow id on the request's log line", () => {
    const request = named(exporter.getFinishedSpans(), 'POST /api/v1/exceptions/{id}/claim')[0]!;
    const line = lines.find((l) => (l.req as { url?: string } | undefined)?.url?.endsWith('/claim'));
    expect(line, JSON.stringify(lines.slice(0, 5))).toBeDefined();
    expect(line!.trace_id).toBe(request.spanContext().traceId);
    expect(line!.exceptionId).toBe(exceptionId);
    // And what a person reads first: route, status and duration.
    expect(line).toMatchObject({ route: '/api/v1/exceptions/{id}/claim', res: { status: 200 }, responseTime: expect.any(Number) });
    expect(line!.msg).toMatch(/^POST \/api\/v1\/exceptions\/\{id\}\/claim 200 \d+ms$/);
  });
});

describe('the tracing interceptors keep workflows deterministic', () => {
  const dir = fileURLToPath(new URL('../histories/', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

  // One replay worker for every history, one after another (a worker each cost most of this file's
  // time); each history's outcome is then its own test.
  const outcomes = new Map<string, Error | undefined>();
  beforeAll(async () => {
    const histories = files.map((file) => ({ workflowId: nodePath.basename(file, '.json'), history: fromJSON(JSON.parse(readFileSync(nodePath.join(dir, file), 'utf8'))) }));
    const sinks = { exporter: makeWorkflowExporter(new InMemorySpanExporter(), tracing()!.resource) };
    for await (const result of Worker.runReplayHistories({ workflowBundle, sinks }, histories)) outcomes.set(result.workflowId, result.error);
  }, 120_000);

  it.each(files)('%s replays with them in the bundle', (file) => {
    expect(outcomes.has(nodePath.basename(file, '.json')), 'replayed').toBe(true);
    const error = outcomes.get(nodePath.basename(file, '.json'));
    if (error) throw error;
  });
});

/** As in test/replay/replay.test.ts: two protobufjs copies in node_modules; parse with the one @temporalio/common loads. */
function fromJSON(json: unknown): History {
  try {
    return historyFromJSON(json);
  } catch (err) {
    if (!(err instanceof TypeError && err.message === 'type must be a Type')) throw err;
    const requireFromCommon = createRequire(createRequire(import.meta.url).resolve('@temporalio/common'));
    const protoEntry = requireFromCommon.resolve('@temporalio/proto');
    const root = requireFromCommon(protoEntry) as { lookupType(name: string): unknown };
    const protojson = createRequire(protoEntry)('protobufjs/ext/protojson') as {
      fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History;
    };
    return protojson.fromJson(root.lookupType('temporal.api.history.v1.History'), json, { ignoreUnknownFields: true });
  }
}
