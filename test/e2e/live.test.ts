import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { EventBus } from '../../kernel/bus/port';
import { parseEvent } from '../../kernel/events';
import { generateSigningKey } from '../../kernel/keys';
import { createLogger } from '../../kernel/log';
import { readManifest } from '../../kernel/persisted';
import { type RunningRtGtw, startRtGtw } from '../../realtime/src/app';
import { rtGtwConfigSchema } from '../../realtime/src/config';
import { signMuxWebhook } from '../../subgraphs/live/src/providers/mux';
import { eventually } from '../support/eventually';
import { RawGraphQLWsClient } from '../support/graphql-ws';
import { kafkaBusForTests } from '../support/kafka';
import { type ApiResponse, call, signUpAndLogIn, startTestPlatform, type TestPlatform } from '../support/platform';

const SECRET = 'e2e-mux-webhook-secret-0123456789';

/**
 * The live domain end to end on Kafka: a channel's live input from its creation, its ingest for the broadcaster
 * only, and signed Mux webhooks through the REST facade's webhooks API driving the channel's stream, however late,
 * duplicated or wrong they arrive.
 */
describe('Live streams over the Webhooks and Private APIs on Kafka', () => {
  let platform: TestPlatform;
  let bus: EventBus;
  let db: Pool;
  let api: string;
  let webhooks: string;
  let secondRt: RunningRtGtw | undefined;

  beforeAll(async () => {
    bus = await kafkaBusForTests('live-e2e');
    platform = await startTestPlatform(bus, {
      LIVE_MUX_WEBHOOK_SECRET: `older-secret-abcdefghij,${SECRET}`,
      LIVE_RECONNECT_WINDOW_SECONDS: '60',
      RT_VIEWER_REPORT_INTERVAL_MS: '1000',
    });
    api = platform.api;
    webhooks = `${platform.facade.url}/webhooks/v1/live`;
    db = new Pool({ connectionString: platform.databaseUrl, max: 2 });
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await secondRt?.stop();
    await platform?.stop();
  });

  /** A broadcaster whose channel has its live input. */
  const broadcaster = async (prefix: string) => {
    const owner = await signUpAndLogIn(api, prefix);
    const channelId = await eventually(
      async () => (await call(`${api}/me`, { token: owner.token })).body?.channel?.id as string | undefined,
      30_000,
    );
    const ingest = await eventually(async () => {
      const answer = await call(`${api}/channels/${channelId}/ingest`, { token: owner.token });
      return answer.status === 200 ? answer.body : undefined;
    }, 30_000);
    const { rows } = await db.query('SELECT provider_input_id FROM live.live_input WHERE channel_id = $1', [channelId]);
    return { owner, channelId, ingest, inputId: rows[0].provider_input_id as string };
  };

  /** A Mux live stream event about `inputId`, at the provider's time `at`. */
  const muxEvent = (type: string, inputId: string, at: Date, id: string = randomUUID()) =>
    JSON.stringify({
      type: `video.live_stream.${type}`,
      id,
      created_at: at.toISOString(),
      object: { type: 'live_stream', id: inputId },
      data: { id: inputId, status: type, stream_key: 'never-stored' },
    });

  /** Delivers `body` as Mux does, signed with the configured secret unless a signature (null: none) is given. */
  const deliver = (body: string, signature: string | null = signMuxWebhook(SECRET, body)) =>
    call(`${webhooks}/mux`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...(signature !== null ? { 'mux-signature': signature } : {}) },
    });

  const streamOf = async (channelId: string) => (await call(`${api}/channels/${channelId}/stream`)).body;
  const stateIs = (channelId: string, state: string) =>
    eventually(async () => ((await streamOf(channelId)).streamState === state ? streamOf(channelId) : undefined));
  const count = async (sql: string, ...params: unknown[]) => Number((await db.query(sql, params)).rows[0].n);
  const outbox = (channelId: string, topic: string) =>
    db
      .query('SELECT payload, published_at FROM live.outbox WHERE key = $1 AND topic = $2 ORDER BY created_at', [channelId, topic])
      .then((r) => r.rows);

  it('should give each channel an ingest its broadcaster alone sees, the key stored encrypted and rotated at once', async () => {
    const { owner, channelId, ingest } = await broadcaster('ingest');
    expect(ingest).toEqual({
      provider: 'local',
      rtmpUrl: expect.stringMatching(/^rtmp:\/\//),
      srtUrl: null,
      streamKey: expect.any(String),
      playbackId: expect.any(String),
    });

    // The title a stream will take is the channel's from its creation on, before any change to it.
    const channel = (await call(`${api}/users/${owner.login}`)).body.channel;
    const { rows } = await db.query('SELECT title, category FROM live.channel_info WHERE channel_id = $1', [channelId]);
    expect(rows[0]).toEqual({ title: channel.title, category: channel.category });

    const viewer = await signUpAndLogIn(api, 'viewer');
    const refused = await call(`${api}/channels/${channelId}/ingest`, { token: viewer.token });
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 403, code: 'LIVE_NOT_BROADCASTER' });
    expect((await call(`${api}/channels/${channelId}/ingest`)).status).toBe(401);
    expect((await call(`${api}/channels/${channelId}/ingest/stream-key`, { method: 'POST', token: viewer.token })).status).toBe(403);

    const rotated = await call(`${api}/channels/${channelId}/ingest/stream-key`, { method: 'POST', token: owner.token });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ ...ingest, streamKey: expect.any(String) });
    expect(rotated.body.streamKey).not.toBe(ingest.streamKey);
    expect((await call(`${api}/channels/${channelId}/ingest`, { token: owner.token })).body.streamKey).toBe(rotated.body.streamKey);

    // The local provider's ingest finds a key by its digest: the old one no longer leads anywhere.
    const sha = (key: string) => createHash('sha256').update(key).digest('hex');
    expect(await count('SELECT count(*) AS n FROM live.live_input WHERE stream_key_hash = $1', sha(ingest.streamKey))).toBe(0);
    expect(await count('SELECT count(*) AS n FROM live.live_input WHERE stream_key_hash = $1', sha(rotated.body.streamKey))).toBe(1);
    const cleartext = `%${rotated.body.streamKey}%`;
    expect(await count('SELECT count(*) AS n FROM live.live_input WHERE stream_key_cipher LIKE $1', cleartext)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM live.outbox WHERE payload::text LIKE $1', cleartext)).toBe(0);
  });

  it('should refuse every wrong webhook with a problem, recording and publishing nothing', async () => {
    const { channelId, inputId } = await broadcaster('wrong');
    const at = new Date();
    const body = muxEvent('active', inputId, at);
    const now = Math.floor(Date.now() / 1000);
    const oneByteChanged = body.replace('"active"', '"activf"');
    const cases: [string, Promise<ApiResponse>, number, string][] = [
      ['no signature', deliver(body, null), 401, 'LIVE_WEBHOOK_SIGNATURE_INVALID'],
      ['a wrong secret', deliver(body, signMuxWebhook('not-the-configured-secret', body)), 401, 'LIVE_WEBHOOK_SIGNATURE_INVALID'],
      ['a body changed by one byte', deliver(oneByteChanged, signMuxWebhook(SECRET, body)), 401, 'LIVE_WEBHOOK_SIGNATURE_INVALID'],
      ['a timestamp 301 s old', deliver(body, signMuxWebhook(SECRET, body, now - 301)), 401, 'LIVE_WEBHOOK_STALE'],
      ['an unknown stream', deliver(muxEvent('active', 'no-such-stream', at)), 422, 'LIVE_WEBHOOK_UNKNOWN_STREAM'],
      [
        'an unknown event type',
        deliver(muxEvent('active', inputId, at).replace('video.live_stream.active', 'video.live_stream.exploded')),
        422,
        'LIVE_WEBHOOK_UNKNOWN_EVENT',
      ],
      ['invalid JSON', deliver('{"type": "video.live_stream.active",'), 400, 'LIVE_WEBHOOK_MALFORMED'],
    ];
    for (const [what, answer, status, code] of cases) {
      const { status: got, body: problem, headers } = await answer;
      expect({ what, status: got, code: problem?.code }).toEqual({ what, status, code });
      expect(headers.get('content-type')).toContain('application/problem+json');
    }
    const unknownProvider = await call(`${webhooks}/livepeer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(unknownProvider.status).toBe(404);
    expect(await count('SELECT count(*) AS n FROM live.webhook_inbox')).toBe(0);
    expect(await count("SELECT count(*) AS n FROM live.outbox WHERE topic = 'live.webhook.received.v1'")).toBe(0);
    expect((await streamOf(channelId)).streamState).toBe('OFFLINE');
  });

  it('should go live once on connected then active, whatever is delivered again or late, and keep a short drop one stream', async () => {
    const { owner, channelId, inputId } = await broadcaster('caster');
    const titled = await call(`${api}/channels/${channelId}`, {
      method: 'PATCH',
      token: owner.token,
      body: { title: 'Speedrun night', category: 'Games' },
    });
    expect(titled.status).toBe(200);
    await eventually(
      async () =>
        (await db.query("SELECT 1 FROM live.channel_info WHERE channel_id = $1 AND title = 'Speedrun night'", [channelId])).rowCount,
    );

    const started: string[] = [];
    const ended: string[] = [];
    const topics = ['live.stream.started.v1', 'live.stream.ended.v1'] as const;
    await bus.ensureTopics([...topics]);
    const subscription = await bus.subscribe({
      groupId: `live-e2e-${randomUUID()}`,
      topics: [...topics],
      fromBeginning: true,
      handle: async (message) => {
        if (message.topic === 'live.stream.started.v1') {
          const event = parseEvent('live.stream.started.v1', message.value);
          if (event.data.channelId === channelId) started.push(event.data.streamId);
        } else {
          const event = parseEvent('live.stream.ended.v1', message.value);
          if (event.data.channelId === channelId) ended.push(event.data.streamId);
        }
      },
    });
    try {
      const t0 = Date.now() - 600_000;
      const at = (seconds: number) => new Date(t0 + seconds * 1000);

      expect((await deliver(muxEvent('connected', inputId, at(0)))).status).toBe(200);
      await stateIs(channelId, 'CONNECTING');
      const active = muxEvent('active', inputId, at(2));
      const first = await deliver(active);
      expect(first.body).toEqual({ id: expect.any(String), duplicate: false });
      const live = await stateIs(channelId, 'LIVE');
      expect(live.stream).toEqual({
        id: expect.any(String),
        state: 'LIVE',
        title: 'Speedrun night',
        category: 'Games',
        startedAt: at(2).toISOString(),
        endedAt: null,
      });

      // The same webhook three times, then an idle older than the active: recorded once, and nothing changes.
      for (let i = 0; i < 3; i++) expect((await deliver(active)).body).toEqual({ id: first.body.id, duplicate: true });
      expect((await deliver(muxEvent('idle', inputId, at(1)))).status).toBe(200);
      // A drop and a reconnection within the window: later events of the channel, applied after those above.
      expect((await deliver(muxEvent('disconnected', inputId, at(10)))).status).toBe(200);
      await stateIs(channelId, 'RECONNECTING');
      expect((await deliver(muxEvent('connected', inputId, at(40)))).status).toBe(200);
      expect((await deliver(muxEvent('active', inputId, at(41)))).status).toBe(200);
      const back = await stateIs(channelId, 'LIVE');
      expect(back.stream).toEqual(live.stream);

      expect(await count('SELECT count(*) AS n FROM live.webhook_inbox WHERE channel_id = $1', channelId)).toBe(6);
      expect(await count('SELECT count(*) AS n FROM live.stream WHERE channel_id = $1', channelId)).toBe(1);
      const startedRows = await outbox(channelId, 'live.stream.started.v1');
      expect(startedRows).toHaveLength(1);
      expect(startedRows[0].payload.data).toMatchObject({ streamId: live.stream.id, ownerId: owner.id, title: 'Speedrun night' });
      await eventually(async () => started.length > 0);
      expect(started).toEqual([live.stream.id]);
      expect(ended).toEqual([]);

      // A reconnection after the window is a new stream, the first having ended when it dropped.
      expect((await deliver(muxEvent('disconnected', inputId, at(50)))).status).toBe(200);
      expect((await deliver(muxEvent('active', inputId, at(111)))).status).toBe(200);
      const second = await eventually(async () => {
        const now = await streamOf(channelId);
        return now.streamState === 'LIVE' && now.stream.id !== live.stream.id ? now : undefined;
      });
      expect(second.stream.startedAt).toBe(at(111).toISOString());
      await eventually(async () => ended.length > 0 && started.length > 1);
      expect(ended).toEqual([live.stream.id]);
      expect(started).toEqual([live.stream.id, second.stream.id]);
      expect((await outbox(channelId, 'live.stream.ended.v1'))[0].payload.data.endedAt).toBe(at(50).toISOString());

      expect((await deliver(muxEvent('idle', inputId, at(200)))).status).toBe(200);
      expect(await stateIs(channelId, 'OFFLINE')).toEqual({ id: channelId, streamState: 'OFFLINE', stream: null });
      // The inbox keeps what the provider said, never the stream key its events carry.
      expect(await count("SELECT count(*) AS n FROM live.webhook_inbox WHERE payload::text LIKE '%never-stored%'")).toBe(0);
    } finally {
      await subscription.stop();
    }
  });

  it("should list the streams on air most watched first, and each channel's history", async () => {
    const casters = [await broadcaster('list_a'), await broadcaster('list_b'), await broadcaster('list_c')];
    const t0 = Date.now() - 60_000;
    for (const [i, { channelId, inputId }] of casters.entries()) {
      expect((await deliver(muxEvent('active', inputId, new Date(t0 + i)))).status).toBe(200);
      await stateIs(channelId, 'LIVE');
    }
    // The first ends: history keeps it, the list of streams on air does not.
    expect((await deliver(muxEvent('idle', casters[0].inputId, new Date(t0 + 10_000)))).status).toBe(200);
    await stateIs(casters[0].channelId, 'OFFLINE');
    expect((await deliver(muxEvent('active', casters[0].inputId, new Date(t0 + 20_000)))).status).toBe(200);
    await stateIs(casters[0].channelId, 'LIVE');
    const ours = new Set(casters.map((c) => c.channelId));
    await db.query('UPDATE live.stream SET viewer_count = 7 WHERE channel_id = $1 AND ended_at IS NULL', [casters[1].channelId]);
    await db.query('UPDATE live.stream SET viewer_count = 3 WHERE channel_id = $1 AND ended_at IS NULL', [casters[2].channelId]);

    const onAir = await call(`${api}/streams?live=true&first=100`);
    expect(onAir.status).toBe(200);
    const listed = onAir.body.data.filter((s: { channel: { id: string } }) => ours.has(s.channel.id));
    expect(listed.map((s: { channel: { id: string }; viewerCount: number }) => [s.channel.id, s.viewerCount])).toEqual([
      [casters[1].channelId, 7],
      [casters[2].channelId, 3],
      [casters[0].channelId, 0],
    ]);
    expect(listed[0]).toMatchObject({
      state: 'LIVE',
      thumbnailUrl: expect.stringMatching(/^https:\/\/image\.mux\.com\/[^/]+\/thumbnail\.jpg\?v=\d+$/),
    });
    // Page by page, the same order.
    const firstPage = await call(`${api}/streams?first=1`);
    expect(firstPage.body.data).toHaveLength(1);
    const second = await call(`${api}/streams?first=1&after=${encodeURIComponent(firstPage.body.pagination.cursor)}`);
    expect(second.body.data[0].viewerCount).toBeLessThanOrEqual(firstPage.body.data[0].viewerCount);
    expect(second.body.data[0].id).not.toBe(firstPage.body.data[0].id);
    expect((await call(`${api}/streams?after=not-a-cursor`)).status).toBe(400);

    const history = await call(`${api}/channels/${casters[0].channelId}/streams`);
    expect(history.status).toBe(200);
    expect(history.body.total).toBe(2);
    expect(history.body.data.map((s: { state: string; thumbnailUrl: string | null }) => [s.state, s.thumbnailUrl === null])).toEqual([
      ['LIVE', false],
      ['ENDED', true],
    ]);
    const everyOne = await call(`${api}/streams?live=false&channelId=${casters[0].channelId}`);
    expect(everyOne.body.data.map((s: { id: string }) => s.id)).toEqual(history.body.data.map((s: { id: string }) => s.id));
  });

  it("should make a stream's recorded asset its VOD, ready once, listed per channel and deleted by its broadcaster only", async () => {
    const { owner, channelId, inputId } = await broadcaster('vods');
    const t0 = Date.now() - 120_000;
    const at = (seconds: number) => new Date(t0 + seconds * 1000);
    const assetEvent = (type: string, when: Date, data: Record<string, unknown> = {}) =>
      JSON.stringify({
        type: `video.asset.${type}`,
        id: randomUUID(),
        created_at: when.toISOString(),
        object: { type: 'asset', id: 'asset-1' },
        data: { id: `asset-${channelId}`, live_stream_id: inputId, ...data },
      });
    expect((await deliver(muxEvent('active', inputId, at(0)))).status).toBe(200);
    const live = await stateIs(channelId, 'LIVE');
    // An asset not recorded from a live stream is none of the lifecycle's business.
    const unrelated = await deliver(assetEvent('ready', at(1), { live_stream_id: undefined }));
    expect({ status: unrelated.status, code: unrelated.body.code }).toEqual({ status: 422, code: 'LIVE_WEBHOOK_UNKNOWN_EVENT' });

    expect((await deliver(assetEvent('created', at(1), { status: 'preparing' }))).status).toBe(200);
    const recording = await eventually(async () => {
      const page = await call(`${api}/channels/${channelId}/vods`);
      return page.body.data?.[0]?.state === 'RECORDING' ? page.body : undefined;
    });
    expect(recording.data[0]).toMatchObject({
      stream: { id: live.stream.id },
      durationSeconds: null,
      playbackId: null,
      thumbnailUrl: null,
    });

    const ready = assetEvent('ready', at(100), {
      status: 'ready',
      duration: 98.5,
      playback_ids: [{ id: 'vod-playback-1', policy: 'public' }],
    });
    expect((await deliver(ready)).status).toBe(200);
    expect((await deliver(ready)).body.duplicate).toBe(true);
    // Late: an error older than the ready, then one after it: the VOD stays ready.
    expect((await deliver(assetEvent('errored', at(50)))).status).toBe(200);
    expect((await deliver(assetEvent('errored', at(200)))).status).toBe(200);
    const vod = await eventually(async () => {
      const page = await call(`${api}/channels/${channelId}/vods`);
      return page.body.data?.[0]?.state === 'READY' ? page.body.data[0] : undefined;
    });
    expect(vod).toEqual({
      id: expect.any(String),
      channel: { id: channelId },
      stream: { id: live.stream.id },
      state: 'READY',
      title: live.stream.title,
      category: live.stream.category,
      durationSeconds: 98.5,
      playbackId: 'vod-playback-1',
      thumbnailUrl: 'https://image.mux.com/vod-playback-1/thumbnail.jpg?time=49',
      createdAt: expect.any(String),
      readyAt: at(100).toISOString(),
    });
    await eventually(async () =>
      (await db.query("SELECT 1 FROM live.processed_event WHERE consumer_group = 'live-webhooks-wkr'")).rowCount! >= 5 ? true : undefined,
    );
    const announced = await outbox(channelId, 'live.vod.ready.v1');
    expect(announced.map((r) => r.payload.data)).toEqual([
      {
        vodId: vod.id,
        channelId,
        streamId: live.stream.id,
        title: live.stream.title,
        category: live.stream.category,
        durationSeconds: 98.5,
        playbackId: 'vod-playback-1',
        readyAt: at(100).toISOString(),
      },
    ]);
    expect((await call(`${api}/vods/${vod.id}`)).body).toEqual(vod);

    const viewer = await signUpAndLogIn(api, 'vod_viewer');
    const refused = await call(`${api}/vods/${vod.id}`, { method: 'DELETE', token: viewer.token });
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 403, code: 'LIVE_NOT_BROADCASTER' });
    expect((await call(`${api}/vods/${vod.id}`, { method: 'DELETE', token: owner.token })).body).toEqual({ vodId: vod.id });
    expect((await call(`${api}/vods/${vod.id}`)).status).toBe(404);
    expect((await call(`${api}/vods/${vod.id}`, { method: 'DELETE', token: owner.token })).status).toBe(404);
    expect((await call(`${api}/channels/${channelId}/vods`)).body).toEqual({ data: [], total: 0, pagination: {} });
  });
  it('should let any signed-in viewer clip the live stream or a VOD, the clip completed through the webhooks worker', async () => {
    const { channelId, inputId } = await broadcaster('clips');
    const viewer = await signUpAndLogIn(api, 'clipper');
    const clip = (body: Record<string, unknown>, token: string | null = viewer.token) =>
      call(`${api}/channels/${channelId}/clips`, { method: 'POST', token: token ?? undefined, body });

    const offline = await clip({ durationSeconds: 20 });
    expect({ status: offline.status, code: offline.body.code }).toEqual({ status: 409, code: 'LIVE_CHANNEL_OFFLINE' });
    const t0 = Date.now() - 120_000;
    expect((await deliver(muxEvent('active', inputId, new Date(t0)))).status).toBe(200);
    const live = await stateIs(channelId, 'LIVE');

    expect((await clip({ durationSeconds: 20 }, null)).status).toBe(401);
    for (const wrong of [{ durationSeconds: 61 }, { durationSeconds: 4 }, { startOffsetSeconds: -1 }, { vodId: 'not-a-uuid' }]) {
      const refused = await clip(wrong);
      expect({ wrong, status: refused.status, code: refused.body.code }).toEqual({ wrong, status: 400, code: 'VALIDATION_FAILED' });
    }
    const future = await clip({ startOffsetSeconds: 110, durationSeconds: 30 });
    expect({ status: future.status, field: future.body.errors?.[0]?.field }).toEqual({ status: 400, field: 'startOffsetSeconds' });

    const made = await clip({ durationSeconds: 20, title: 'What a play' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      channel: { id: channelId },
      creator: { id: viewer.id, login: viewer.login },
      stream: { id: live.stream.id },
      vod: null,
      state: 'PROCESSING',
      title: 'What a play',
      durationSeconds: 20,
      playbackId: null,
    });
    expect(made.body.startOffsetSeconds).toBeGreaterThanOrEqual(100);
    const ready = await eventually(async () => {
      const answer = await call(`${api}/clips/${made.body.id}`);
      return answer.body.state === 'READY' ? answer.body : undefined;
    });
    expect(ready).toEqual({
      ...made.body,
      state: 'READY',
      playbackId: expect.stringMatching(/^[0-9a-f]{32}$/),
      thumbnailUrl: `https://image.mux.com/${ready.playbackId}/thumbnail.jpg?time=10`,
      readyAt: expect.any(String),
    });
    const announced = await eventually(async () => {
      const rows = await outbox(channelId, 'live.clip.ready.v1');
      return rows.length && rows.every((r) => r.published_at) ? rows : undefined;
    });
    expect(announced.map((r) => parseEvent('live.clip.ready.v1', JSON.stringify(r.payload)).data)).toEqual([
      expect.objectContaining({ clipId: ready.id, channelId, creatorId: viewer.id, playbackId: ready.playbackId, vodId: null }),
    ]);

    // A VOD of the stream, clipped from its start.
    const asset = (type: string, data: Record<string, unknown>) =>
      JSON.stringify({
        type: `video.asset.${type}`,
        id: randomUUID(),
        created_at: new Date(t0 + 1000).toISOString(),
        object: { type: 'asset', id: `asset-${channelId}` },
        data: { id: `asset-${channelId}`, live_stream_id: inputId, ...data },
      });
    expect(
      (await deliver(asset('ready', { status: 'ready', duration: 90, playback_ids: [{ id: 'pb-clip-vod', policy: 'public' }] }))).status,
    ).toBe(200);
    const vod = await eventually(async () => (await call(`${api}/channels/${channelId}/vods`)).body.data?.[0]);
    const fromVod = await clip({ vodId: vod.id, startOffsetSeconds: 30, durationSeconds: 60 });
    expect(fromVod.status).toBe(201);
    expect(fromVod.body).toMatchObject({ vod: { id: vod.id }, startOffsetSeconds: 30, durationSeconds: 60, title: live.stream.title });
    const tooLong = await clip({ vodId: vod.id, startOffsetSeconds: 31, durationSeconds: 60 });
    expect(tooLong.status).toBe(400);

    const listed = await eventually(async () => {
      const page = await call(`${api}/channels/${channelId}/clips?first=1`);
      return page.body.data?.[0]?.state === 'READY' ? page.body : undefined;
    });
    expect(listed.total).toBe(2);
    expect(listed.data.map((c: { id: string }) => c.id)).toEqual([fromVod.body.id]);
    const rest = await call(`${api}/channels/${channelId}/clips?after=${encodeURIComponent(listed.pagination.cursor)}`);
    expect(rest.body.data.map((c: { id: string }) => c.id)).toEqual([ready.id]);
    expect((await call(`${api}/clips/${randomUUID()}`)).status).toBe(404);
  });
  it("should count a live stream's distinct viewers over every realtime instance, current and peak", async () => {
    const { channelId, inputId } = await broadcaster('watched');
    expect((await deliver(muxEvent('active', inputId, new Date()))).status).toBe(200);
    await stateIs(channelId, 'LIVE');
    secondRt = await startRtGtw(
      rtGtwConfigSchema.parse({
        RT_PORT: '0',
        ACCESS_TOKEN_PUBLIC_KEYS: generateSigningKey().publicKeys,
        SERVICE_TOKEN_SIGNING_KEY: platform.keysEnv.SERVICE_TOKEN_SIGNING_KEY,
        ROUTER_URL: `${platform.router.url}/graphql`,
        RT_VIEWER_REPORT_INTERVAL_MS: '1000',
      }),
      bus,
      createLogger('rt-gtw', process.env.TEST_LOG_LEVEL ?? 'silent'),
    );
    const operations = new Map(readManifest('realtime.v1').operations.map((op) => [op.name, op.id]));
    const fan = await signUpAndLogIn(api, 'fan');
    // One user on two sockets, an anonymous viewer here, another on the second instance: three viewers.
    const sockets = await Promise.all([
      RawGraphQLWsClient.connect(platform.rt.wsUrl, { authorization: `Bearer ${fan.token}` }),
      RawGraphQLWsClient.connect(platform.rt.wsUrl, { authorization: `Bearer ${fan.token}` }),
      RawGraphQLWsClient.connect(platform.rt.wsUrl),
      RawGraphQLWsClient.connect(secondRt.wsUrl),
    ]);
    for (const [i, socket] of sockets.entries()) {
      socket.subscribe(`s${i}`, operations.get(i % 2 ? 'StreamStatus' : 'ChatMessages')!, { channelId });
    }
    const listed = async () => (await call(`${api}/streams?live=true&channelId=${channelId}`)).body.data?.[0];
    const watched = await eventually(async () => ((await listed())?.viewerCount === 3 ? listed() : undefined), 30_000);
    expect(watched.peakViewerCount).toBe(3);
    const everyOne = (await call(`${api}/streams?live=true&first=100`)).body.data.map((s: { viewerCount: number }) => s.viewerCount);
    expect(everyOne).toEqual([...everyOne].sort((x: number, y: number) => y - x));

    sockets[2].close();
    sockets[3].close();
    await eventually(async () => ((await listed())?.viewerCount === 1 ? true : undefined), 30_000);
    sockets[0].close();
    sockets[1].close();
    const left = await eventually(async () => ((await listed())?.viewerCount === 0 ? listed() : undefined), 30_000);
    expect(left.peakViewerCount).toBe(3);
  });
});
