import { createRequire } from 'node:module';
import { trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/**
 * OpenTelemetry tracing for one process: the HTTP server's spans (@opentelemetry/instrumentation-http),
 * and through Temporal's interceptors (@temporalio/interceptors-opentelemetry) the client's update,
 * the workflow's handling of it and the activities it runs, all in one trace.
 *
 * Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard OTEL_* variables then configure the OTLP
 * exporter: headers, OTEL_SERVICE_NAME, ...), or a test hands in an exporter. Off, nothing is
 * instrumented: the HTTP server is not wrapped and workflows carry no tracing interceptor.
 */
export interface Tracing {
  /** For the worker's workflow-span sink (makeWorkflowExporter). */
  processor: SpanProcessor;
  resource: Resource;
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** The tracing this process started, if any. */
export const tracing = (): Tracing | undefined => active;

export function startTracing(options: { serviceName: string; version?: string; exporter?: SpanExporter; env?: NodeJS.ProcessEnv }): Tracing | undefined {
  if (active) return active;
  const env = options.env ?? process.env;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (!options.exporter && !endpoint) return undefined;
  const resource = new Resource({
    [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME?.trim() || options.serviceName,
    ...(options.version ? { [ATTR_SERVICE_VERSION]: options.version } : {}),
  });
  // A test's in-memory exporter sees each span as it ends; OTLP batches.
  const processor = options.exporter ? new SimpleSpanProcessor(options.exporter) : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // Scrapes and probes every few seconds would bury the requests people make.
        ignoreIncomingRequestHook: (req) => ['/metrics', '/healthz', '/readyz'].includes((req.url ?? '').split('?')[0]!),
        // Our own outgoing HTTP (webhooks, the OTLP export itself) is not traced.
        ignoreOutgoingRequestHook: () => true,
      }),
    ],
  });
  // The instrumentation patches `http` when it is next required; our ESM imports never require it,
  // so require it once here (it patches the server prototype every server shares).
  createRequire(import.meta.url)('http');
  active = {
    processor,
    resource,
    async shutdown() {
      await provider.shutdown();
      active = undefined;
    },
  };
  return active;
}

/** The span of the request or activity running now, if tracing is on. */
export const activeSpan = (): Span | undefined => trace.getActiveSpan();

/**
 * Names the request's span after its route template and marks the exception it is about, once the
 * route is known (the HTTP instrumentation only knows the method and the URL).
 */
export function nameRequestSpan(method: string, route: string, exceptionId: string | undefined): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  span.updateName(`${method} ${route}`);
  span.setAttribute('http.route', route);
  if (exceptionId) span.setAttribute('exception_desk.exception_id', exceptionId);
}

/** The workflow interceptor module to bundle when tracing is on: it carries the trace through workflows. */
export const tracingWorkflowModule = createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');
