import type { EventBus } from '../../kernel/bus/port';
import { readManifest } from '../../kernel/persisted';
import { eventually } from '../support/eventually';
import { RawGraphQLWsClient } from '../support/graphql-ws';
import { kafkaBusForTests } from '../support/kafka';
import { call, signUpAndLogIn, startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * Every process serves Prometheus metrics on its health port. One end-to-end run (sign-up → Kafka → workers, a chat
 * message fanned out by rt-gtw) moves the counters an operator watches; each process's /metrics shows them.
 */
const realtime = new Map(readManifest('realtime.v1').operations.map((op) => [op.name, op.id]));

/** The value of one series of a Prometheus text exposition, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics', () => {
  let bus: EventBus;
  let platform: TestPlatform;
  let client: RawGraphQLWsClient | undefined;

  beforeAll(async () => {
    bus = await kafkaBusForTests('metrics-e2e');
    platform = await startTestPlatform(bus);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await platform?.stop();
  });

  const scrape = async (url: string) => {
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  it('moves the counters of every process through one end-to-end run', async () => {
    const before = await scrape(platform.facade.url);
    const owner = await signUpAndLogIn(platform.api, 'metered');
    const channelId = await eventually(
      async () => (await call(`${platform.api}/me`, { token: owner.token })).body?.channel?.id as string | undefined,
    );
    const chat = `${platform.api}/channels/${channelId}/chat`;
    await eventually(async () => (await call(`${chat}/settings`)).status === 200);
    client = await RawGraphQLWsClient.connect(platform.rt.wsUrl, { authorization: `Bearer ${owner.token}` });
    client.subscribe('m', realtime.get('ChatMessages')!, { channelId });
    await eventually(async () => platform.rt.rooms.localViewerCounts().get(channelId) === 1);
    expect((await call(`${chat}/messages`, { method: 'POST', token: owner.token, body: { text: 'counted' } })).status).toBe(201);
    await client.waitForFrames('m', 1, 30_000);

    for (const [name, running] of Object.entries(platform.processes)) {
      const text = await scrape(running.url);
      expect({ name, served: text.includes('# TYPE process_cpu_user_seconds_total counter') }).toEqual({ name, served: true });
    }

    const after = await scrape(platform.facade.url);
    const moved = (name: string, labels: Record<string, string>) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    // The REST facade counts by operation id, the router by persisted operation name and outcome.
    expect(moved('http_requests_total', { service: 'rest-facade-gtw', route: 'SendChatMessage', status: '201' })).toBe(1);
    expect(moved('http_request_duration_seconds_count', { service: 'rest-facade-gtw', route: 'SendChatMessage' })).toBe(1);
    expect(moved('http_requests_total', { service: 'router-gtw', route: '/graphql', status: '200' })).toBeGreaterThan(2);
    expect(moved('graphql_operations_total', { operation: 'SendChatMessage', kind: 'persisted', outcome: 'ok' })).toBe(1);
    expect(moved('subgraph_fetch_duration_seconds_count', { subgraph: 'chat', outcome: 'ok' })).toBeGreaterThan(0);
    expect(moved('http_requests_total', { service: 'chat-store-svc', route: '/graphql' })).toBeGreaterThan(0);
    // The sign-up reached the workers through Kafka; their lag is read from the batches they handled.
    expect(sample(after, 'kafka_consumer_messages_total', { outcome: 'processed' })).toBeGreaterThan(0);
    expect(sample(after, 'kafka_consumer_lag_messages')).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'outbox_backlog_rows', { schema: 'chat' })).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'outbox_oldest_unpublished_age_seconds', { schema: 'user' })).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'realtime_sockets')).toBeGreaterThan(0);
    expect(sample(after, 'realtime_subscriptions')).toBeGreaterThan(0);
    expect(moved('realtime_frames_sent_total', {})).toBeGreaterThan(0);
    expect(after).toContain('# TYPE rate_limit_refusals_total counter');
  }, 90_000);
});
