import type { Thumbnails } from './thumbnails';
import { randomUUID } from 'node:crypto';
import { oncePerEvent } from '../../../../kernel/bus/once';
import { DomainError } from '../../../../kernel/errors';
import type { EventOf } from '../../../../kernel/events';
import { isUuid } from '../../../../kernel/ids';
import { decodeCursor, type Page, pageSize, rowsAfter, toPage } from '../../../../kernel/paging';
import { type PrismaClient, recordEvent, type Stream } from '../data/db';
import { DROPS_END_UNREPORTED, signalOf } from '../providers';
import { decide, type OpenStream } from './lifecycle';

/** A Channel entity as the live domain resolves it: only its id. */
export interface ChannelRef {
  id: string;
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** States of a stream viewers can watch: on air. */
const ON_AIR = ['live', 'reconnecting'];

/**
 * Where a page of streams on air ends: the viewers of its last stream, and its id for ties. The kernel's cursors
 * order by time; this list orders by a count, so its cursor carries one (opaque all the same).
 */
const encodeViewersCursor = (viewerCount: number, id: string) => Buffer.from(JSON.stringify([viewerCount, id])).toString('base64url');

function decodeViewersCursor(cursor: string | null | undefined): { viewerCount: number; id: string } | undefined {
  if (!cursor) return undefined;
  try {
    const [viewerCount, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (Number.isSafeInteger(viewerCount) && typeof id === 'string' && isUuid(id)) return { viewerCount: viewerCount as number, id };
  } catch {
    // not JSON: the same refusal as a well-formed cursor naming nothing
  }
  throw new DomainError('VALIDATION_FAILED', 'the cursor is invalid', {
    fields: [{ field: 'after', message: 'is not a cursor from this API' }],
  });
}

export interface StreamListing {
  live?: boolean | null;
  channelId?: string | null;
  first?: number | null;
  after?: string | null;
}

/**
 * Channels' streams: what the recorded webhooks make of them, one channel at a time, and the channels' titles and
 * categories a stream takes when it goes live.
 */
export class StreamsService {
  private readonly reconnectWindowSeconds: number;
  private readonly thumbnails: Thumbnails | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    options: {
      /** A drop followed by a reconnection within this many seconds stays one stream. */
      reconnectWindowSeconds?: number;
      /** What gives a go-live event its still; without it the event carries none. */
      thumbnails?: Thumbnails;
    } = {},
  ) {
    this.reconnectWindowSeconds = options.reconnectWindowSeconds ?? 60;
    this.thumbnails = options.thumbnails;
  }

  /** The stream on air on each channel, null when offline. */
  async openByChannels(channelIds: readonly string[]): Promise<(Stream | null)[]> {
    const open = await this.prisma.stream.findMany({ where: { channelId: { in: [...channelIds] }, endedAt: null } });
    const byChannel = new Map(open.map((s) => [s.channelId, s]));
    return channelIds.map((id) => byChannel.get(id) ?? null);
  }

  async byIds(ids: readonly string[]): Promise<(Stream | null)[]> {
    const streams = await this.prisma.stream.findMany({ where: { id: { in: [...ids] } } });
    const byId = new Map(streams.map((s) => [s.id, s]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** A channel's streams, newest first. */
  async history(channelId: string, first: number | null | undefined, after: string | null | undefined): Promise<Page<Stream>> {
    const size = pageSize(first, 20);
    const position = decodeCursor(after, 'after');
    const where = { channelId };
    const [rows, totalCount] = await Promise.all([
      this.prisma.stream.findMany({
        where: position ? { ...where, ...rowsAfter(position, 'createdAt', 'id', 'desc') } : where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: size + 1,
      }),
      this.prisma.stream.count({ where }),
    ]);
    return toPage(rows, size, totalCount, (s) => ({ at: s.createdAt, id: s.id }));
  }

  /** Streams across channels: those on air, most watched first, or every one, newest first. */
  async list({ live = true, channelId, first, after }: StreamListing): Promise<Page<Stream>> {
    const size = pageSize(first, 20);
    // An id that is no channel's matches nothing: refused here so PostgreSQL is not asked to cast it.
    const byChannel = channelId ? { channelId: isUuid(channelId) ? channelId : '00000000-0000-0000-0000-000000000000' } : {};
    if (live === false) {
      const position = decodeCursor(after, 'after');
      const [rows, totalCount] = await Promise.all([
        this.prisma.stream.findMany({
          where: position ? { ...byChannel, ...rowsAfter(position, 'createdAt', 'id', 'desc') } : byChannel,
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          take: size + 1,
        }),
        this.prisma.stream.count({ where: byChannel }),
      ]);
      return toPage(rows, size, totalCount, (s) => ({ at: s.createdAt, id: s.id }));
    }
    const onAir = { ...byChannel, endedAt: null, state: { in: ON_AIR } };
    const position = decodeViewersCursor(after);
    const [rows, totalCount] = await Promise.all([
      this.prisma.stream.findMany({
        where: position
          ? {
              ...onAir,
              OR: [{ viewerCount: { lt: position.viewerCount } }, { viewerCount: position.viewerCount, id: { gt: position.id } }],
            }
          : onAir,
        orderBy: [{ viewerCount: 'desc' }, { id: 'asc' }],
        take: size + 1,
      }),
      this.prisma.stream.count({ where: onAir }),
    ]);
    const nodes = rows.slice(0, size);
    const last = nodes.at(-1);
    const hasNextPage = rows.length > size;
    return {
      nodes,
      totalCount,
      pageInfo: { hasNextPage, endCursor: hasNextPage && last ? encodeViewersCursor(last.viewerCount, last.id) : null },
    };
  }

  /**
   * Applies one recorded webhook to its channel's stream. The channel's live input row is locked first, so two
   * webhooks of one channel are applied one after the other whatever worker instance consumes them, each seeing the
   * provider time of the last.
   */
  async applyWebhook(event: EventOf<'live.webhook.received.v1'>, group: string): Promise<string> {
    const signal = signalOf(event.data.provider, event.data.eventType);
    if (!signal) return 'unhandled';
    const at = new Date(event.data.providerOccurredAt);
    const { channelId } = event.data;
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      const [locked] = await tx.$queryRaw<{ last_event_at: Date | null; playback_id: string }[]>`
        SELECT last_event_at, playback_id FROM live_input WHERE channel_id = ${channelId}::uuid FOR UPDATE`;
      if (!locked) return 'no-input';
      const open = await tx.stream.findFirst({ where: { channelId, endedAt: null } });
      const decision = decide(open as (Stream & OpenStream) | null, locked.last_event_at, signal, at, this.reconnectWindowSeconds);
      if ('ignore' in decision) {
        if (decision.ignore !== 'stale') await tx.liveInput.update({ where: { channelId }, data: { lastEventAt: at } });
        return decision.ignore;
      }
      await tx.liveInput.update({ where: { channelId }, data: { lastEventAt: at } });
      const { end, open: opening, change, announceChange, started } = decision.apply;
      if (end && open) await this.end(tx, open, end.at, end.announce);
      let current = open && !end ? open : null;
      if (opening) {
        const info = await tx.channelInfo.findUnique({ where: { channelId } });
        current = await tx.stream.create({
          data: {
            id: randomUUID(),
            channelId,
            state: opening.state,
            title: info?.title ?? '',
            category: info?.category ?? '',
            startedAt: opening.startedAt,
            playbackId: locked.playback_id,
          },
        });
      }
      if (change && current) {
        // Going live takes the channel's title and category as they are now, not as they were at connection.
        const info = started ? await tx.channelInfo.findUnique({ where: { channelId } }) : null;
        current = await tx.stream.update({
          where: { id: current.id },
          data: {
            state: change.state,
            disconnectedAt: change.disconnectedAt,
            ...(change.startedAt ? { startedAt: change.startedAt } : {}),
            ...(info ? { title: info.title, category: info.category } : {}),
          },
        });
      }
      if (current && started) {
        // The projection row is written with the live input, in the same transaction: it is there.
        const { ownerId } = await tx.channelInfo.findUniqueOrThrow({ where: { channelId }, select: { ownerId: true } });
        // The live image itself (its latest frame), unversioned: followers' notifications keep this URL.
        const thumbnailUrl = this.thumbnails?.url(current.playbackId);
        await recordEvent(tx, 'live.stream.started.v1', channelId, {
          streamId: current.id,
          channelId,
          ownerId,
          title: current.title,
          category: current.category,
          ...(thumbnailUrl ? { thumbnailUrl } : {}),
          // A stream goes live at the signal's time, whether it opens live or had connected before.
          startedAt: at.toISOString(),
        });
      } else if (current && announceChange) {
        await this.announceUpdate(tx, current, at);
      }
      return [end && 'ended', opening && 'opened', change?.state].filter(Boolean).join('+');
    });
  }

  /**
   * Ends the streams of providers that report no end to a drop (DROPS_END_UNREPORTED) once their reconnect window
   * has passed with nothing heard from the provider since the drop: they ended when they dropped, announced as any
   * end. Each channel is locked and checked again as a webhook would be, so a reconnection applied meanwhile wins.
   */
  async endExpiredDrops(now: Date, batch = 100): Promise<number> {
    const cutoff = new Date(now.getTime() - this.reconnectWindowSeconds * 1000);
    const dropped = await this.prisma.$queryRaw<{ channel_id: string }[]>`
      SELECT s.channel_id FROM stream s JOIN live_input i ON i.channel_id = s.channel_id
      WHERE s.ended_at IS NULL AND s.state = 'reconnecting' AND s.disconnected_at < ${cutoff}
        AND i.provider = ANY(${[...DROPS_END_UNREPORTED]}) AND (i.last_event_at IS NULL OR i.last_event_at <= s.disconnected_at)
      ORDER BY s.disconnected_at LIMIT ${batch}`;
    let ended = 0;
    for (const { channel_id: channelId } of dropped) {
      const done = await this.prisma.$transaction(
        async (tx) => {
          const [locked] = await tx.$queryRaw<{ last_event_at: Date | null }[]>`
          SELECT last_event_at FROM live_input WHERE channel_id = ${channelId}::uuid FOR UPDATE`;
          const open = await tx.stream.findFirst({ where: { channelId, endedAt: null } });
          if (!locked || open?.state !== 'reconnecting' || !open.disconnectedAt || open.disconnectedAt >= cutoff) return false;
          if (locked.last_event_at && locked.last_event_at > open.disconnectedAt) return false;
          await this.end(tx, open, open.disconnectedAt, open.startedAt !== null);
          return true;
        },
        // A background pass, not a request: a database slow to answer delays it rather than failing it.
        { timeout: 30_000 },
      );
      if (done) ended += 1;
    }
    return ended;
  }

  /** Projection of chnl.channel.created.v1 (the provision worker creates the live input with it). */
  async channelUpdated(event: EventOf<'chnl.channel.updated.v1'>, group: string): Promise<'applied' | 'duplicate'> {
    const { channelId, ownerId, changes, updatedAt } = event.data;
    const at = new Date(updatedAt);
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      const known = await tx.channelInfo.findUnique({ where: { channelId } });
      if (known && known.changedAt > at) return 'applied' as const;
      const fields = {
        ...(changes.title !== undefined ? { title: changes.title } : {}),
        ...(changes.category !== undefined ? { category: changes.category } : {}),
      };
      await tx.channelInfo.upsert({
        where: { channelId },
        create: { channelId, ownerId, changedAt: at, ...fields },
        update: { changedAt: at, ...fields },
      });
      // Viewers of a live stream see the new title or category at once.
      const open = await tx.stream.findFirst({ where: { channelId, endedAt: null, state: { in: ['live', 'reconnecting'] } } });
      if (open && Object.keys(fields).length) {
        const updated = await tx.stream.update({ where: { id: open.id }, data: fields });
        await this.announceUpdate(tx, updated, at);
      }
      return 'applied' as const;
    });
  }

  private async end(tx: Tx, stream: Stream, at: Date, announce: boolean) {
    await tx.stream.update({ where: { id: stream.id }, data: { state: 'ended', endedAt: at, viewerCount: 0 } });
    if (!announce || !stream.startedAt) return;
    await recordEvent(tx, 'live.stream.ended.v1', stream.channelId, {
      streamId: stream.id,
      channelId: stream.channelId,
      startedAt: stream.startedAt.toISOString(),
      endedAt: at.toISOString(),
    });
  }

  private async announceUpdate(tx: Tx, stream: Stream, at: Date) {
    if (stream.state !== 'live' && stream.state !== 'reconnecting') return;
    await recordEvent(tx, 'live.stream.updated.v1', stream.channelId, {
      streamId: stream.id,
      channelId: stream.channelId,
      state: stream.state,
      title: stream.title,
      category: stream.category,
      updatedAt: at.toISOString(),
    });
  }
}
