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
      LIVE_RECONNECT_WINDOW_SECONDS: '20',
      LIVE_DROP_CHECK_INTERVAL_MS: '1000',
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
    const started = livepeerEvent('stream.started', streamId, now - 200_000);
    expect((await deliver(started, null)).status).toBe(401);
    expect((await deliver(started, signLivepeerWebhook('not-the-secret-at-all', started, now - 200_000))).status).toBe(401);
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
    expect(live.stream.startedAt).toBe(new Date(now - 200_000).toISOString());
    // An idle older than the start changes nothing; a newer one is a drop, which the reconnect window (20 s here)
    // long passed without a new start: the stream ended when it dropped.
    expect((await deliver(livepeerEvent('stream.idle', streamId, now - 201_000))).status).toBe(200);
    expect((await deliver(livepeerEvent('stream.idle', streamId, now - 190_000))).status).toBe(200);
    await stateIs(channelId, 'OFFLINE');
    const rows = await db.query('SELECT state, started_at, ended_at FROM live.stream WHERE channel_id = $1', [channelId]);
    expect(rows.rows).toEqual([{ state: 'ended', started_at: new Date(now - 200_000), ended_at: new Date(now - 190_000) }]);
    const ended = await db.query("SELECT payload FROM live.outbox WHERE key = $1 AND topic = 'live.stream.ended.v1'", [channelId]);
    expect(ended.rows.map((r) => r.payload.data.endedAt)).toEqual([new Date(now - 190_000).toISOString()]);
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

  it('should keep a Livepeer stream that goes idle and starts again within the reconnect window one stream, gone live once', async () => {
    const owner = await signUpAndLogIn(api, 'peer_drop');
    const channelId = await eventually(
      async () => (await call(`${api}/me`, { token: owner.token })).body?.channel?.id as string | undefined,
      30_000,
    );
    const streamId = await eventually(async () => (await inputOf(channelId))?.provider_input_id as string | undefined, 30_000);
    const outbox = async (topic: string) =>
      (await db.query('SELECT payload FROM live.outbox WHERE key = $1 AND topic = $2 ORDER BY created_at', [channelId, topic])).rows.map(
        (r) => r.payload.data,
      );
    // Livepeer's times, ahead of the clock (within the signature's tolerance): the drop check, which measures the
    // window against the clock, cannot end the drop before the reconnection is applied.
    const t0 = Date.now() + 120_000;

    expect((await deliver(livepeerEvent('stream.started', streamId, t0))).status).toBe(200);
    const live = await stateIs(channelId, 'LIVE');
    expect((await deliver(livepeerEvent('stream.idle', streamId, t0 + 10_000))).status).toBe(200);
    await stateIs(channelId, 'RECONNECTING');
    expect((await deliver(livepeerEvent('stream.started', streamId, t0 + 25_000))).status).toBe(200);
    const back = await stateIs(channelId, 'LIVE');
    expect(back.stream).toEqual(live.stream);
    await eventually(async () => ((await outbox('live.stream.updated.v1')).length === 2 ? true : undefined));
    expect(await outbox('live.stream.started.v1')).toEqual([expect.objectContaining({ streamId: live.stream.id })]);
    expect(await outbox('live.stream.ended.v1')).toEqual([]);

    // Started again after the window: a new stream, the first having ended when it dropped.
    expect((await deliver(livepeerEvent('stream.idle', streamId, t0 + 30_000))).status).toBe(200);
    expect((await deliver(livepeerEvent('stream.started', streamId, t0 + 51_000))).status).toBe(200);
    const second = await eventually(async () => {
      const now = await streamOf(channelId);
      return now.streamState === 'LIVE' && now.stream.id !== live.stream.id ? now : undefined;
    });
    expect((await outbox('live.stream.started.v1')).map((e) => e.streamId)).toEqual([live.stream.id, second.stream.id]);
    expect(await outbox('live.stream.ended.v1')).toEqual([
      expect.objectContaining({ streamId: live.stream.id, endedAt: new Date(t0 + 30_000).toISOString() }),
    ]);
  });

  it("should make a Livepeer session's recording its VOD: recording, ready once with its length and playback id, deleted at Livepeer", async () => {
    const owner = await signUpAndLogIn(api, 'peer_vods');
    const channelId = await eventually(
      async () => (await call(`${api}/me`, { token: owner.token })).body?.channel?.id as string | undefined,
      30_000,
    );
    const streamId = await eventually(async () => (await inputOf(channelId))?.provider_input_id as string | undefined, 30_000);
    const vodsOf = async () => (await call(`${api}/channels/${channelId}/vods`)).body;
    const t0 = Date.now() - 120_000;

    // Livepeer reports the session's recording before the stream goes live: the VOD is the stream's all the same.
    const session = livepeer.session(streamId, 61.5);
    expect((await deliver(session.started(t0))).status).toBe(200);
    expect((await deliver(livepeerEvent('stream.started', streamId, t0 + 1000))).status).toBe(200);
    const live = await stateIs(channelId, 'LIVE');
    const recording = await eventually(async () => {
      const page = await vodsOf();
      return page.data?.[0]?.state === 'RECORDING' ? page.data[0] : undefined;
    });
    expect(recording).toMatchObject({ durationSeconds: 0, playbackId: null, thumbnailUrl: null });
    expect((await deliver(livepeerEvent('stream.idle', streamId, t0 + 63_000))).status).toBe(200);
    expect((await deliver(session.waiting(t0 + 70_000))).status).toBe(200);
    const ready = session.ready(t0 + 80_000);
    expect((await deliver(ready)).status).toBe(200);
    expect((await deliver(ready)).body.duplicate).toBe(true);
    // The recording asset's own events, ready or failed later: the VOD stays as it was made ready.
    expect((await deliver(session.asset('ready', t0 + 81_000).body)).status).toBe(200);
    expect((await deliver(session.asset('failed', t0 + 90_000).body)).status).toBe(200);
    const vod = await eventually(async () => {
      const page = await vodsOf();
      return page.data?.[0]?.state === 'READY' ? page.data[0] : undefined;
    });
    expect(vod).toEqual({
      id: recording.id,
      channel: { id: channelId },
      stream: { id: live.stream.id },
      state: 'READY',
      title: live.stream.title,
      category: live.stream.category,
      durationSeconds: 61.5,
      playbackId: session.id,
      thumbnailUrl: `https://image.mux.com/${session.id}/thumbnail.jpg?time=30`,
      createdAt: expect.any(String),
      readyAt: new Date(t0 + 80_000).toISOString(),
    });
    await eventually(async () =>
      Number(
        (await db.query("SELECT count(*) AS n FROM live.webhook_inbox WHERE channel_id = $1 AND event_type LIKE 'asset.%'", [channelId]))
          .rows[0].n,
      ) === 2
        ? true
        : undefined,
    );
    const announced = async () =>
      (await db.query("SELECT payload FROM live.outbox WHERE key = $1 AND topic = 'live.vod.ready.v1'", [channelId])).rows;
    await eventually(async () =>
      (await db.query("SELECT 1 FROM live.processed_event WHERE consumer_group = 'live-webhooks-wkr'")).rowCount! >= 7 ? true : undefined,
    );
    expect((await announced()).map((r) => r.payload.data)).toEqual([
      {
        vodId: vod.id,
        channelId,
        streamId: live.stream.id,
        title: live.stream.title,
        category: live.stream.category,
        durationSeconds: 61.5,
        playbackId: session.id,
        readyAt: new Date(t0 + 80_000).toISOString(),
      },
    ]);

    // A recording Livepeer could not make is a failed VOD; an asset event of no recording here is unknown.
    const broken = livepeer.session(streamId, 12);
    expect((await deliver(broken.started(t0 + 100_000))).status).toBe(200);
    await eventually(async () => ((await vodsOf()).total === 2 ? true : undefined));
    expect((await deliver(broken.asset('failed', t0 + 110_000).body)).status).toBe(200);
    await eventually(async () => ((await vodsOf()).data?.[0]?.state === 'FAILED' ? true : undefined));
    const stranger = livepeer.session(streamId, 5).asset('ready', Date.now());
    expect((await deliver(stranger.body)).body.code).toBe('LIVE_WEBHOOK_UNKNOWN_STREAM');

    // Its broadcaster deletes the VOD, and the recording asset goes at Livepeer.
    expect(livepeer.holdsAsset(session.id)).toBe(true);
    expect((await call(`${api}/vods/${vod.id}`, { method: 'DELETE', token: owner.token })).body).toEqual({ vodId: vod.id });
    expect(livepeer.requests).toContainEqual(expect.objectContaining({ method: 'DELETE', url: `/api/asset/${session.id}` }));
    expect(livepeer.holdsAsset(session.id)).toBe(false);
    expect((await call(`${api}/vods/${vod.id}`)).status).toBe(404);
  });
});
