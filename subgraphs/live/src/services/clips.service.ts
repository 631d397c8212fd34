import { randomUUID } from 'node:crypto';
import { actingUser, requireScope } from '../../../../kernel/access';
import { oncePerEvent } from '../../../../kernel/bus/once';
import { DomainError } from '../../../../kernel/errors';
import type { EventOf } from '../../../../kernel/events';
import type { Identity } from '../../../../kernel/identity';
import { isUuid } from '../../../../kernel/ids';
import { decodeCursor, type Page, pageSize, rowsAfter, toPage } from '../../../../kernel/paging';
import { type Clip, type PrismaClient, recordEvent } from '../data/db';
import { ClipSourceUnavailable, type ClipSource, type LiveProvider } from '../providers/port';

/** A clip's length bounds, in seconds (Twitch's: 5 to 60), and the length of one whose caller names none. */
export const CLIP_MIN_SECONDS = 5;
export const CLIP_MAX_SECONDS = 60;
const CLIP_DEFAULT_SECONDS = 30;
const TITLE_MAX = 140;

export interface ClipDraft {
  /** The VOD to cut from; none: the channel's live stream. */
  vodId?: string | null;
  /** Seconds from the start of the stream or VOD; none: the last `durationSeconds` of the live stream, or 0. */
  startOffsetSeconds?: number | null;
  durationSeconds?: number | null;
  title?: string | null;
}

const invalid = (field: string, message: string) =>
  new DomainError('VALIDATION_FAILED', `${field} ${message}`, { fields: [{ field, message }] });

/**
 * Clips: any signed-in viewer's cut (5 to 60 s) of a channel's live stream or of one of its VODs. The provider makes
 * each as an asset of its own and reports it through its asset webhooks, which the webhooks worker applies here:
 * `processing → ready | failed`, both final. A provider that has the clip at once (the local one) has its
 * readiness recorded in the webhook inbox with the clip, so every clip completes through the same worker.
 */
export class ClipsService {
  constructor(
    private readonly prisma: PrismaClient,
    /** Only creating a clip calls the provider: the webhooks worker, which completes them, builds this without one. */
    private readonly provider?: LiveProvider,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(identity: Identity, channelId: string, draft: ClipDraft): Promise<Clip> {
    const { provider } = this;
    if (!provider) throw new Error('ClipsService was built without a provider: it cannot create clips');
    requireScope(identity, 'clips:edit');
    const creatorId = actingUser(identity);
    const duration = draft.durationSeconds ?? CLIP_DEFAULT_SECONDS;
    if (!Number.isFinite(duration) || duration < CLIP_MIN_SECONDS || duration > CLIP_MAX_SECONDS) {
      throw invalid('durationSeconds', `must be between ${CLIP_MIN_SECONDS} and ${CLIP_MAX_SECONDS} seconds`);
    }
    const requestedStart = draft.startOffsetSeconds;
    if (requestedStart != null && (!Number.isFinite(requestedStart) || requestedStart < 0)) {
      throw invalid('startOffsetSeconds', 'must be 0 or more');
    }
    const title = draft.title?.trim() ?? '';
    if (title.length > TITLE_MAX) throw invalid('title', `must be at most ${TITLE_MAX} characters`);

    const info = isUuid(channelId) ? await this.prisma.channelInfo.findUnique({ where: { channelId } }) : null;
    if (!info) throw new DomainError('CHNL_NOT_FOUND', 'no such channel');
    const cut = draft.vodId
      ? await this.fromVod(channelId, draft.vodId, requestedStart, duration)
      : await this.fromLive(channelId, requestedStart, duration);

    const clipId = randomUUID();
    let created: Awaited<ReturnType<LiveProvider['createClip']>>;
    try {
      created = await provider.createClip({
        clipId,
        source: cut.source,
        startSeconds: cut.start,
        durationSeconds: duration,
        title: title || cut.title,
      });
    } catch (error) {
      if (error instanceof ClipSourceUnavailable) throw new DomainError('LIVE_CLIP_SOURCE_UNAVAILABLE', error.message);
      throw new DomainError('UNAVAILABLE', 'the streaming provider did not take the clip, retry in a moment', { retryAfter: 5 });
    }

    return this.prisma.$transaction(async (tx) => {
      const clip = await tx.clip.create({
        data: {
          id: clipId,
          channelId,
          creatorId,
          streamId: cut.streamId,
          vodId: draft.vodId ?? null,
          provider: provider.name,
          providerAssetId: created.assetId,
          state: 'processing',
          title: title || cut.title,
          category: cut.category,
          startOffsetSeconds: cut.start,
          durationSeconds: duration,
        },
      });
      if (created.ready) {
        // What the provider's `video.asset.ready` would say, recorded as it would be: the worker completes the clip.
        const inboxId = randomUUID();
        const eventId = `clip-ready:${clipId}`;
        const at = this.now();
        await tx.webhookInbox.create({
          data: {
            id: inboxId,
            provider: provider.name,
            eventId,
            eventType: 'video.asset.ready',
            channelId,
            occurredAt: at,
            payload: { type: 'video.asset.ready', id: eventId, data: { id: created.assetId, passthrough: `clip:${clipId}` } },
          },
        });
        await recordEvent(tx, 'live.webhook.received.v1', channelId, {
          inboxId,
          provider: provider.name as 'local' | 'mux' | 'livepeer',
          providerEventId: eventId,
          eventType: 'video.asset.ready',
          channelId,
          providerOccurredAt: at.toISOString(),
          clipId,
          asset: { assetId: created.assetId, status: 'ready', ...created.ready },
        });
      }
      return clip;
    });
  }

  /** Applies one recorded asset webhook to its clip: `ready` or `failed` once, and nothing after that. */
  async applyAsset(event: EventOf<'live.webhook.received.v1'>, group: string): Promise<string> {
    const { asset, clipId, channelId } = event.data;
    if (!asset || !clipId) return 'not-a-clip';
    const at = new Date(event.data.providerOccurredAt);
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      const clip = await tx.clip.findUnique({ where: { id: clipId } });
      if (clip?.state !== 'processing' || asset.status === 'recording') return 'no-effect';
      if (asset.status === 'failed') {
        await tx.clip.update({ where: { id: clip.id }, data: { state: 'failed' } });
        return 'failed';
      }
      const ready = await tx.clip.update({
        where: { id: clip.id },
        data: {
          state: 'ready',
          readyAt: at,
          playbackId: asset.playbackId,
          durationSeconds: asset.durationSeconds ?? clip.durationSeconds,
        },
      });
      await recordEvent(tx, 'live.clip.ready.v1', channelId, {
        clipId: ready.id,
        channelId,
        creatorId: ready.creatorId,
        streamId: ready.streamId,
        vodId: ready.vodId,
        title: ready.title,
        durationSeconds: ready.durationSeconds,
        playbackId: ready.playbackId,
        readyAt: at.toISOString(),
      });
      return 'ready';
    });
  }

  /** A channel's clips, newest first. */
  async ofChannel(channelId: string, first: number | null | undefined, after: string | null | undefined): Promise<Page<Clip>> {
    const size = pageSize(first, 20);
    const position = decodeCursor(after, 'after');
    const where = { channelId };
    const [rows, totalCount] = await Promise.all([
      this.prisma.clip.findMany({
        where: position ? { ...where, ...rowsAfter(position, 'createdAt', 'id', 'desc') } : where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: size + 1,
      }),
      this.prisma.clip.count({ where }),
    ]);
    return toPage(rows, size, totalCount, (c) => ({ at: c.createdAt, id: c.id }));
  }

  async byIds(ids: readonly string[]): Promise<(Clip | null)[]> {
    const clips = await this.prisma.clip.findMany({ where: { id: { in: ids.filter(isUuid) } } });
    const byId = new Map(clips.map((c) => [c.id, c]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** A cut of a READY VOD of the channel, within its length. */
  private async fromVod(channelId: string, vodId: string, requestedStart: number | null | undefined, duration: number) {
    const vod = isUuid(vodId) ? await this.prisma.vod.findUnique({ where: { id: vodId } }) : null;
    if (!vod || vod.deletedAt || vod.channelId !== channelId) throw new DomainError('LIVE_VOD_NOT_FOUND', 'the channel has no such VOD');
    if (vod.state !== 'ready') throw new DomainError('LIVE_CLIP_SOURCE_UNAVAILABLE', 'the VOD is not ready to be clipped');
    const start = requestedStart ?? 0;
    if (vod.durationSeconds !== null && start + duration > vod.durationSeconds) {
      throw invalid('startOffsetSeconds', `the clip must end within the VOD (${vod.durationSeconds} s)`);
    }
    const stream = vod.streamId ? await this.prisma.stream.findUnique({ where: { id: vod.streamId } }) : null;
    const source: ClipSource = { assetId: vod.providerAssetId, playbackId: vod.playbackId, startedAt: stream?.startedAt ?? null };
    return { source, start, streamId: vod.streamId, title: vod.title, category: vod.category };
  }

  /** A cut of the channel's stream on air, within what has been broadcast so far. */
  private async fromLive(channelId: string, requestedStart: number | null | undefined, duration: number) {
    const stream = await this.prisma.stream.findFirst({ where: { channelId, endedAt: null, state: { in: ['live', 'reconnecting'] } } });
    if (!stream?.startedAt) throw new DomainError('LIVE_CHANNEL_OFFLINE', 'the channel is not live: clip one of its VODs');
    const broadcast = (this.now().getTime() - stream.startedAt.getTime()) / 1000;
    if (broadcast < duration) throw invalid('durationSeconds', `the stream has been live ${Math.floor(broadcast)} s only`);
    const start = requestedStart ?? broadcast - duration;
    if (start + duration > broadcast)
      throw invalid('startOffsetSeconds', `the clip must end within the ${Math.floor(broadcast)} s broadcast so far`);
    // The provider's recording of this stream, which its clips are cut from.
    const recording = await this.prisma.vod.findFirst({
      where: { streamId: stream.id, deletedAt: null },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    const source: ClipSource = {
      assetId: recording?.providerAssetId ?? null,
      playbackId: stream.playbackId || null,
      startedAt: stream.startedAt,
    };
    return { source, start, streamId: stream.id, title: stream.title, category: stream.category };
  }
}
