import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { EventBus } from '../../kernel/bus/port';
import { useSpanProcessor } from '../../kernel/tracing';
import { eventually } from '../support/eventually';
import { kafkaBusForTests } from '../support/kafka';
import { call, startTestPlatform, type TestPlatform, uniqueLogin } from '../support/platform';

/**
 * One REST request is one trace: the REST facade, the router and its query plan, the subgraph and its SQL, then the
 * event it recorded, relayed through Kafka, handled by the workers, with their SQL.
 */
describe('traces', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: { stop(): Promise<void> };
  let bus: EventBus;
  let platform: TestPlatform;

  beforeAll(async () => {
    // Before the platform starts: its pools are traced from their creation.
    tracing = useSpanProcessor('platform-under-test', new SimpleSpanProcessor(exporter));
    bus = await kafkaBusForTests('tracing-e2e');
    platform = await startTestPlatform(bus);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await tracing?.stop();
  });

  const attribute = (span: ReadableSpan, name: string) => span.attributes[name];
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('follows a sign-up from the REST facade to the workers reached through Kafka', async () => {
    const requestId = randomUUID();
    const login = uniqueLogin('traced');
    const created = await call(`${platform.api}/users`, {
      method: 'POST',
      headers: { 'x-request-id': requestId },
      body: { login, email: `${login}@example.test`, password: 'a-good-password' },
    });
    expect(created.status).toBe(201);

    const facade = exporter
      .getFinishedSpans()
      .find((span) => attribute(span, 'service.name') === 'rest-facade-gtw' && attribute(span, 'request.id') === requestId);
    expect(facade).toBeDefined();
    const { traceId } = facade!.spanContext();
    const inTrace = () => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);

    // Both provisioning workers handle the user's creation, each in a span of the same trace.
    const consumed = await eventually(async () => {
      const spans = inTrace().filter((span) => span.name.startsWith('process user.'));
      return spans.length >= 2 ? spans : undefined;
    }, 30_000);
    const spans = inTrace();
    const server = (service: string) => spans.find((span) => attribute(span, 'service.name') === service);

    expect(facade!.name).toBe(`POST ${String(attribute(facade!, 'http.route'))}`);
    const router = server('router-gtw');
    expect(parentOf(router!)).toBe(facade!.spanContext().spanId);
    const fetches = spans.filter((span) => span.name === 'gateway.fetch');
    expect(fetches.length).toBeGreaterThan(0);
    const subgraph = server('user-store-svc');
    expect(fetches.map((span) => span.spanContext().spanId)).toContain(parentOf(subgraph!));
    expect(attribute(subgraph!, 'request.id')).toBe(requestId);
    expect(spans.filter((span) => span.name === 'db.query' && attribute(span, 'db.namespace') === 'user').length).toBeGreaterThan(0);

    expect(new Set(consumed.map((span) => attribute(span, 'messaging.consumer.group.name'))).size).toBe(consumed.length);
    const workerQueries = spans.filter(
      (span) => span.name === 'db.query' && consumed.some((c) => c.spanContext().spanId === parentOf(span)),
    );
    expect(workerQueries.length).toBeGreaterThan(0);
  }, 60_000);
});
