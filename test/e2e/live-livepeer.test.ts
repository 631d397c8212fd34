import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { EventBus } from '../../kernel/bus/port';
import { signLivepeerWebhook } from '../../subgraphs/live/src/providers/livepeer';
import { signMuxWebhook } from '../../subgraphs/live/src/providers/mux';
import { eventually } from '../support/eventually';
import { fakeLivepeer } from '../support/fake-livepeer';
import { kafkaBusForTests } from '../support/kafka';
import { call, signUpAndLogIn, startTestPlatform, type TestPlatform } from '../support/platform';

const SECRET = 'e2e-livepeer-webhook-secret-0123456789';
const API_KEY = 'e2e-livepeer-api-key';

/**
 * The live domain on Livepeer, end to end on Kafka: channels' streams created at a fake of Livepeer Studio's API,
 * and Livepeer-signed webhooks through the REST facade driving the channel's stream.
 */
describe('Live streams on Livepeer over the Webhooks and Private APIs on Kafka', () => {
  const livepeer = fakeLivepeer(API_KEY);
  let platform: TestPlatform;
  let bus: EventBus;
  let db: Pool;
  let api: string;
  let webhooks: string;

  beforeAll(async () => {
    const baseUrl = await livepeer.start();
    bus = await kafkaBusForTests('live-livepeer-e2e');
    platform = await startTestPlatform(bus, {
      LIVE_PROVIDER: 'livepeer',
      LIVE_LIVEPEER_BASE_URL: baseUrl,
      LIVE_LIVEPEER_API_KEY: API_KEY,
      LIVE_LIVEPEER_WEBHOOK_SECRET: SECRET,
      LIVE_MUX_WEBHOOK_SECRET: SECRET,
    });
    api = platform.api;
    webhooks = `${platform.facade.url}/webhooks/v1/live`;
    db = new Pool({ connectionString: platform.databaseUrl, max: 2 });
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await platform?.stop();
    await livepeer.stop();
  });

  const livepeerEvent = (event: string, streamId: string, at: number, id: string = randomUUID()) =>
    JSON.stringify({ id, webhookId: 'wh-e2e', createdAt: at, timestamp: at, event, stream: { id: streamId, streamKey: 'never-stored' } });
  const deliver = (body: string, signature: string | null = signLivepeerWebhook(SECRET, body, JSON.parse(body).timestamp)) =>
    call(`${webhooks}/livepeer`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...(signature !== null ? { 'livepeer-signature': signature } : {}) },
    });
  const streamOf = async (channelId: string) => (await call(`${api}/channels/${channelId}/stream`)).body;
  const stateIs = (channelId: string, state: string) =>
    eventually(async () => ((await streamOf(channelId)).streamState === state ? streamOf(channelId) : undefined));
  const inputOf = async (channelId: string) =>
    (await db.query('SELECT provider, provider_input_id FROM live.live_input WHERE channel_id = $1', [channelId])).rows[0];

  it('should create each channel’s stream at Livepeer, go live and offline on its signed webhooks, and rotate the key there', async () => {
    const owner = await signUpAndLogIn(api, 'peer');
    const channelId = await eventually(
      async () => (await call(`${api}/me`, { token: owner.token })).body?.channel?.id as string | undefined,
      30_000,
    );
    const ingest = await eventually(async () => {
      const answer = await call(`${api}/channels/${channelId}/ingest`, { token: owner.token });
      return answer.status === 200 ? answer.body : undefined;
    }, 30_000);
    expect(ingest).toEqual({
      provider: 'livepeer',
      rtmpUrl: 'rtmp://rtmp.livepeer.com/live',
      srtUrl: `srt://rtmp.livepeer.com:2935?streamid=${ingest.streamKey}`,
      streamKey: expect.any(String),
      playbackId: expect.any(String),
    });
    expect(livepeer.requests).toContainEqual(
      expect.objectContaining({ method: 'POST', url: '/api/stream', body: expect.objectContaining({ name: `channel-${channelId}` }) }),
    );
    const { provider_input_id: streamId } = await inputOf(channelId);
    expect(livepeer.ingestAccepts(ingest.streamKey)).toBe(true);

    // Wrong deliveries first: refused, nothing recorded.
    const now = Date.now();
    const started = livepeerEvent('stream.started', streamId, now - 5000);
    expect((await deliver(started, null)).status).toBe(401);
    expect((await deliver(started, signLivepeerWebhook('not-the-secret-at-all', started, now - 5000))).status).toBe(401);
    const old = livepeerEvent('stream.started', streamId, now - 301_000);
    expect((await deliver(old)).body.code).toBe('LIVE_WEBHOOK_STALE');
    expect((await deliver(livepeerEvent('stream.started', 'not-a-stream-here', now))).body.code).toBe('LIVE_WEBHOOK_UNKNOWN_STREAM');
    // Only the configured provider's webhooks are taken.
    const mux = await call(`${webhooks}/mux`, {
      method: 'POST',
      body: started,
      headers: { 'mux-signature': signMuxWebhook(SECRET, started) },
    });
    expect(mux.status).toBe(404);
    expect(Number((await db.query('SELECT count(*) AS n FROM live.webhook_inbox')).rows[0].n)).toBe(0);

    const first = await deliver(started);
    expect(first.body).toEqual({ id: expect.any(String), duplicate: false });
    expect((await deliver(started)).body).toEqual({ id: first.body.id, duplicate: true });
    const live = await stateIs(channelId, 'LIVE');
    expect(live.stream.startedAt).toBe(new Date(now - 5000).toISOString());
    // An idle older than the start changes nothing; a newer one ends the stream.
    expect((await deliver(livepeerEvent('stream.idle', streamId, now - 6000))).status).toBe(200);
    expect((await deliver(livepeerEvent('stream.idle', streamId, now - 1000))).status).toBe(200);
    await stateIs(channelId, 'OFFLINE');
    const rows = await db.query('SELECT state, started_at, ended_at FROM live.stream WHERE channel_id = $1', [channelId]);
    expect(rows.rows).toEqual([{ state: 'ended', started_at: new Date(now - 5000), ended_at: new Date(now - 1000) }]);
    expect(
      Number((await db.query("SELECT count(*) AS n FROM live.webhook_inbox WHERE payload::text LIKE '%never-stored%'")).rows[0].n),
    ).toBe(0);

    // Livepeer cannot replace a key: the channel gets a new stream there, and the old one is deleted with its key.
    const rotated = await call(`${api}/channels/${channelId}/ingest/stream-key`, { method: 'POST', token: owner.token });
    expect(rotated.status).toBe(200);
    expect(livepeer.ingestAccepts(ingest.streamKey)).toBe(false);
    expect(livepeer.ingestAccepts(rotated.body.streamKey)).toBe(true);
    const { provider_input_id: newStreamId } = await inputOf(channelId);
    expect(newStreamId).not.toBe(streamId);
    expect((await deliver(livepeerEvent('stream.started', streamId, Date.now()))).body.code).toBe('LIVE_WEBHOOK_UNKNOWN_STREAM');
    expect((await deliver(livepeerEvent('stream.started', newStreamId, Date.now()))).status).toBe(200);
    await stateIs(channelId, 'LIVE');
  });
});
