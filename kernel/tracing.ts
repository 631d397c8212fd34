import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pool } from 'pg';

/**
 * OpenTelemetry traces: a request is one trace from the REST facade through the router and the subgraphs to the
 * database, and on through Kafka to the workers (the W3C `traceparent` travels in HTTP headers, then in the
 * outbox row's headers and the message's). Off unless an exporter is configured: every hook below returns at once
 * while it is, so a process that exports nothing pays a boolean test per request.
 */
/** Asked for each span: a provider registered anew (tests do) is behind a new global proxy. */
const tracer = () => trace.getTracer('streaming-platform');
let enabled = false;

export const tracingEnabled = (): boolean => enabled;

/**
 * Starts tracing for the process when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, exporting over OTLP/HTTP there (the
 * exporter reads the OTEL_EXPORTER_OTLP_* variables itself). No resource detector runs: they probe cloud metadata
 * addresses, and the process names itself.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): { stop(): Promise<void> } | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return useSpanProcessor(service, new BatchSpanProcessor(new OTLPTraceExporter()));
}

/** Registers a provider sending every span to `processor` (an exporter's, or a test's in-memory one). */
export function useSpanProcessor(service: string, processor: SpanProcessor): { stop(): Promise<void> } {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [processor],
  });
  provider.register();
  enabled = true;
  return {
    stop: async () => {
      enabled = false;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

const headerGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** The trace headers (`traceparent`, `tracestate`) of the active span, to send with a request or a message. */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  if (enabled) propagation.inject(context.active(), headers);
  return headers;
}

/**
 * A server span per HTTP request, child of the caller's span when its `traceparent` names one; `next` (the rest of
 * the request) runs inside it. Named by the route once the answer is sent (kernel/http.ts counts under the same
 * name).
 */
export function traceRequest(
  service: string,
  request: { req: IncomingMessage; res: ServerResponse; path: string; id: string; route: () => string },
  next: () => void,
): void {
  if (!enabled) {
    next();
    return;
  }
  const { req, res } = request;
  const parent = propagation.extract(ROOT_CONTEXT, req.headers, headerGetter);
  const span = tracer().startSpan(
    `${req.method} ${request.path}`,
    { kind: SpanKind.SERVER, attributes: { 'service.name': service, 'http.request.method': req.method ?? '', 'request.id': request.id } },
    parent,
  );
  res.on('finish', () => {
    const route = request.route();
    span.updateName(`${req.method} ${route}`);
    span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(parent, span), next);
}

/** Runs `work` in a span of its own, child of `parent` (the active context by default). */
export async function inSpan<T>(name: string, attributes: Record<string, string>, work: () => Promise<T>, parent?: Context): Promise<T> {
  if (!enabled) return work();
  return tracer().startActiveSpan(name, { attributes }, parent ?? context.active(), async (span: Span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Handles a consumed message in a consumer span, child of the span that recorded the event (its headers). */
export function inMessageSpan<T>(topic: string, group: string, headers: Record<string, string>, work: () => Promise<T>): Promise<T> {
  if (!enabled) return work();
  const parent = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
  return inSpan(
    `process ${topic}`,
    { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.consumer.group.name': group },
    work,
    parent,
  );
}

/** `query` of a pool or one of its clients, in a span per statement sent in promise form. */
function spannedQuery(query: (...args: unknown[]) => unknown, schema: string) {
  return (...args: unknown[]) => {
    // The callback form is the pool's own, calling a client for a statement already in a span.
    if (typeof args[args.length - 1] === 'function') return query(...args);
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text ?? '');
    return inSpan(
      'db.query',
      { 'db.system.name': 'postgresql', 'db.namespace': schema, 'db.query.summary': text.slice(0, 60) },
      () => query(...args) as Promise<unknown>,
    );
  };
}

/**
 * A span per SQL statement of a domain's pool: Prisma's queries reach PostgreSQL through its pg adapter, which
 * sends them through `pool.query`, and a transaction's through the client it checked out.
 */
export function traceQueries(pool: Pool, schema: string): void {
  if (!enabled) return;
  const target = pool as unknown as { query: (...args: unknown[]) => unknown };
  target.query = spannedQuery(target.query.bind(pool), schema);
  pool.on('connect', (client) => {
    const held = client as unknown as { query: (...args: unknown[]) => unknown };
    held.query = spannedQuery(held.query.bind(client), schema);
  });
}
