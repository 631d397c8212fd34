import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { inSpan, startTracing, traceHeaders, tracingEnabled, useSpanProcessor } from './tracing';

describe('tracing', () => {
  it('stays off without an OTLP endpoint: no provider, no headers, no spans', async () => {
    expect(startTracing('router-gtw', {})).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
    expect(await inSpan('work', {}, async () => traceHeaders())).toEqual({});
  });

  it('starts when OTEL_EXPORTER_OTLP_ENDPOINT is set, and stops', async () => {
    // Nothing is exported: the provider is stopped before its batch would be sent.
    const tracing = startTracing('router-gtw', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(tracing).toBeDefined();
    expect(tracingEnabled()).toBe(true);
    await tracing?.stop();
    expect(tracingEnabled()).toBe(false);
  });

  it('parents a span on the one active where it starts', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = useSpanProcessor('test', new SimpleSpanProcessor(exporter));
    const headers = await inSpan('outer', {}, () => inSpan('inner', {}, async () => traceHeaders()));
    const [inner, outer] = exporter.getFinishedSpans();
    await tracing.stop();
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(headers.traceparent).toBe(`00-${inner.spanContext().traceId}-${inner.spanContext().spanId}-01`);
  });
});
