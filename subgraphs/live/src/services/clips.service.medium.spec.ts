import { randomBytes, randomUUID } from 'node:crypto';
import type { EventOf } from '../../../../kernel/events';
import type { Identity } from '../../../../kernel/identity';
import { createScratchDatabase } from '../../../../test/support/database';
import { identities } from '../../../../test/support/identities';
import { connectLiveDb, type LiveDb } from '../data/db';
import { LocalProvider } from '../providers/local';
import { MuxWebhooks, signMuxWebhook } from '../providers/mux';
import { ClipSourceUnavailable, type LiveProvider } from '../providers/port';
import { ClipsService } from './clips.service';
import { WebhooksService } from './webhooks.service';

const GROUP = 'spec';
const SECRET = 'clips-spec-mux-secret-0123456789';
const NOW = new Date();

/** Clips of streams and VODs written as the webhooks worker writes them, completed as the worker completes them. */
describe('ClipsService', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: LiveDb;
  let clips: ClipsService;
  const local = new LocalProvider();

  beforeAll(async () => {
    database = await createScratchDatabase();
    db = connectLiveDb(database.url, 4);
    clips = new ClipsService(db.prisma, local, () => NOW);
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  /** A channel with its live input, live for `liveSeconds` (offline when null), and a READY VOD of 100 s. */
  const channel = async (liveSeconds: number | null = 120) => {
    const channelId = randomUUID();
    await db.prisma.channelInfo.create({
      data: { channelId, ownerId: randomUUID(), title: 'Speedrun', category: 'Games', changedAt: NOW },
    });
    await db.prisma.liveInput.create({
      data: {
        channelId,
        provider: 'local',
        providerInputId: randomUUID(),
        streamKeyCipher: 'x',
        streamKeyHash: randomBytes(32).toString('hex'),
        playbackId: 'pb-live',
        rtmpUrl: 'rtmp://127.0.0.1/live',
      },
    });
    const stream = await db.prisma.stream.create({
      data: {
        id: randomUUID(),
        channelId,
        state: liveSeconds === null ? 'ended' : 'live',
        title: 'Any% attempt',
        category: 'Games',
        startedAt: new Date(NOW.getTime() - (liveSeconds ?? 600) * 1000),
        endedAt: liveSeconds === null ? NOW : null,
        playbackId: 'pb-live',
      },
    });
    const vod = await db.prisma.vod.create({
      data: {
        id: randomUUID(),
        channelId,
        streamId: stream.id,
        provider: 'local',
        providerAssetId: randomUUID(),
        state: 'ready',
        title: 'Yesterday',
        category: 'Games',
        durationSeconds: 100,
        playbackId: 'pb-vod',
        changedAt: NOW,
      },
    });
    return { channelId, stream, vod };
  };

  const received = async (channelId: string) =>
    (
      await db.prisma.outboxEvent.findMany({ where: { key: channelId, topic: 'live.webhook.received.v1' }, orderBy: { createdAt: 'asc' } })
    ).map((row) => row.payload as unknown as EventOf<'live.webhook.received.v1'>);
  const clipsReady = (channelId: string) => db.prisma.outboxEvent.findMany({ where: { key: channelId, topic: 'live.clip.ready.v1' } });

  it('should cut the last seconds of the live stream, and complete it once from the recorded asset report', async () => {
    const { channelId, stream } = await channel(120);
    const viewer = identities.session();
    const clip = await clips.create(viewer, channelId, { durationSeconds: 30 });
    expect(clip).toMatchObject({
      channelId,
      creatorId: viewer.userId,
      streamId: stream.id,
      vodId: null,
      provider: 'local',
      state: 'processing',
      title: 'Any% attempt',
      category: 'Games',
      startOffsetSeconds: 90,
      durationSeconds: 30,
      playbackId: null,
    });

    // The local provider's clip is ready at once: recorded in the inbox as its webhook would be.
    const [report] = await received(channelId);
    expect(report.data).toMatchObject({
      provider: 'local',
      eventType: 'video.asset.ready',
      clipId: clip.id,
      asset: { assetId: clip.providerAssetId, status: 'ready', durationSeconds: 30, playbackId: expect.any(String) },
    });
    expect(await db.prisma.webhookInbox.count({ where: { id: report.data.inboxId } })).toBe(1);

    expect(await clips.applyAsset(report, GROUP)).toBe('ready');
    await clips.applyAsset(report, GROUP);
    await clips.applyAsset({ ...report, id: randomUUID() }, GROUP);
    const [ready] = await clips.byIds([clip.id]);
    expect(ready).toMatchObject({
      state: 'ready',
      playbackId: report.data.asset?.playbackId,
      readyAt: new Date(report.data.providerOccurredAt),
    });
    const announced = await clipsReady(channelId);
    expect(announced.map((row) => (row.payload as { data: unknown }).data)).toEqual([
      {
        clipId: clip.id,
        channelId,
        creatorId: viewer.userId,
        streamId: stream.id,
        vodId: null,
        title: 'Any% attempt',
        durationSeconds: 30,
        playbackId: report.data.asset?.playbackId,
        readyAt: report.data.providerOccurredAt,
      },
    ]);
  });

  it('should cut a VOD within its length, with the title its creator gives', async () => {
    const { channelId, vod } = await channel(null);
    const clip = await clips.create(identities.session(), channelId, {
      vodId: vod.id,
      startOffsetSeconds: 70,
      durationSeconds: 30,
      title: '  the jump  ',
    });
    expect(clip).toMatchObject({ vodId: vod.id, streamId: vod.streamId, startOffsetSeconds: 70, title: 'the jump' });
    await expect(
      clips.create(identities.session(), channelId, { vodId: vod.id, startOffsetSeconds: 71, durationSeconds: 30 }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'startOffsetSeconds', message: expect.stringContaining('100') }],
    });
  });

  it('should refuse what cannot be cut, writing nothing', async () => {
    const live = await channel(120);
    const offline = await channel(null);
    const other = await channel(120);
    const viewer = identities.session();
    const refusal = (channelId: string, draft: Parameters<ClipsService['create']>[2], identity: Identity = viewer) =>
      clips.create(identity, channelId, draft).then(
        () => 'created',
        (error: { code: string; fields?: { field: string }[] }) => [error.code, ...(error.fields ?? []).map((f) => f.field)].join(' '),
      );
    expect(await refusal(live.channelId, { durationSeconds: 61 })).toBe('VALIDATION_FAILED durationSeconds');
    expect(await refusal(live.channelId, { durationSeconds: 4.9 })).toBe('VALIDATION_FAILED durationSeconds');
    expect(await refusal(live.channelId, { durationSeconds: Number.NaN })).toBe('VALIDATION_FAILED durationSeconds');
    expect(await refusal(live.channelId, { startOffsetSeconds: -1 })).toBe('VALIDATION_FAILED startOffsetSeconds');
    // The future has not been broadcast yet.
    expect(await refusal(live.channelId, { startOffsetSeconds: 100, durationSeconds: 30 })).toBe('VALIDATION_FAILED startOffsetSeconds');
    expect(await refusal(live.channelId, { title: 'x'.repeat(141) })).toBe('VALIDATION_FAILED title');
    expect(await refusal(offline.channelId, {})).toBe('LIVE_CHANNEL_OFFLINE');
    expect(await refusal(randomUUID(), {})).toBe('CHNL_NOT_FOUND');
    expect(await refusal('not-a-uuid', {})).toBe('CHNL_NOT_FOUND');
    expect(await refusal(live.channelId, { vodId: other.vod.id })).toBe('LIVE_VOD_NOT_FOUND');
    await db.prisma.vod.update({ where: { id: live.vod.id }, data: { state: 'recording' } });
    expect(await refusal(live.channelId, { vodId: live.vod.id })).toBe('LIVE_CLIP_SOURCE_UNAVAILABLE');

    // Any signed-in user; an app only for a user who granted clips:edit.
    expect(await refusal(live.channelId, {}, identities.anonymous())).toBe('UNAUTHENTICATED');
    expect(await refusal(live.channelId, {}, identities.oauth(randomUUID(), ['chat:edit']))).toBe('INSUFFICIENT_SCOPE scope');
    expect(await refusal(live.channelId, {}, identities.oauth(undefined, ['clips:edit']))).toBe('UNAUTHENTICATED');
    expect(await db.prisma.clip.count({ where: { channelId: { in: [live.channelId, offline.channelId] } } })).toBe(0);
    expect(await refusal(live.channelId, {}, identities.oauth(randomUUID(), ['clips:edit']))).toBe('created');
  });

  it("should answer the provider's refusal with a code, and record no clip", async () => {
    const { channelId } = await channel(120);
    const refusing = (error: Error): LiveProvider => Object.assign(new LocalProvider(), { createClip: () => Promise.reject(error) });
    const noSource = new ClipsService(db.prisma, refusing(new ClipSourceUnavailable('no recording yet')), () => NOW);
    await expect(noSource.create(identities.session(), channelId, {})).rejects.toMatchObject({ code: 'LIVE_CLIP_SOURCE_UNAVAILABLE' });
    const down = new ClipsService(db.prisma, refusing(new Error('connect ECONNREFUSED')), () => NOW);
    await expect(down.create(identities.session(), channelId, {})).rejects.toMatchObject({ code: 'UNAVAILABLE', retryAfter: 5 });
    expect(await db.prisma.clip.count({ where: { channelId } })).toBe(0);
  });

  it("should complete a provider's clip from its signed asset webhook, and keep a failed one failed", async () => {
    const { channelId } = await channel(120);
    let asked = 0;
    // A provider that makes its clips later, as Mux does, and speaks Mux's webhooks.
    const later: LiveProvider = Object.assign(new LocalProvider(), {
      createClip: async () => ({ assetId: `as-later-${channelId}-${++asked}` }),
    });
    const service = new ClipsService(db.prisma, later, () => NOW);
    const webhooks = new WebhooksService(db.prisma, later, { mux: new MuxWebhooks([SECRET]) });
    const assetWebhook = (type: string, assetId: string, clipId: string, at: Date) => {
      const body = JSON.stringify({
        type,
        id: randomUUID(),
        created_at: at.toISOString(),
        object: { type: 'asset', id: assetId },
        data: { id: assetId, passthrough: `clip:${clipId}`, duration: 29.9, playback_ids: [{ id: `pb-${assetId}`, policy: 'public' }] },
      });
      return webhooks.receive('mux', Buffer.from(body).toString('base64'), signMuxWebhook(SECRET, body));
    };

    const clip = await service.create(identities.session(), channelId, { durationSeconds: 30 });
    expect(await received(channelId)).toEqual([]);
    await expect(assetWebhook('video.asset.ready', 'as-unknown', clip.id, NOW)).rejects.toMatchObject({
      code: 'LIVE_WEBHOOK_UNKNOWN_STREAM',
    });
    await assetWebhook('video.asset.ready', clip.providerAssetId, clip.id, NOW);
    const [ready] = await received(channelId);
    expect(ready.data).toMatchObject({ clipId: clip.id, asset: { status: 'ready', playbackId: `pb-${clip.providerAssetId}` } });
    expect(await clips.applyAsset(ready, GROUP)).toBe('ready');
    expect((await clips.byIds([clip.id]))[0]).toMatchObject({ state: 'ready', durationSeconds: 29.9 });

    const failing = await service.create(identities.session(), channelId, { durationSeconds: 30 });
    await assetWebhook('video.asset.errored', failing.providerAssetId, failing.id, NOW);
    await assetWebhook('video.asset.ready', failing.providerAssetId, failing.id, new Date(NOW.getTime() + 1000));
    const [, errored, late] = await received(channelId);
    expect(await clips.applyAsset(errored, GROUP)).toBe('failed');
    expect(await clips.applyAsset(late, GROUP)).toBe('no-effect');
    expect((await clips.byIds([failing.id]))[0]).toMatchObject({ state: 'failed', playbackId: null });
    expect(await clipsReady(channelId)).toHaveLength(1);
  });

  it("should list a channel's clips newest first, page by page", async () => {
    const { channelId } = await channel(120);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await clips.create(identities.session(), channelId, { durationSeconds: 10 }));
    const first = await clips.ofChannel(channelId, 2, null);
    expect(first.totalCount).toBe(3);
    expect(first.nodes.map((c) => c.id)).toEqual([made[2].id, made[1].id]);
    const second = await clips.ofChannel(channelId, 2, first.pageInfo.endCursor);
    expect(second.nodes.map((c) => c.id)).toEqual([made[0].id]);
    expect(second.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });
});
