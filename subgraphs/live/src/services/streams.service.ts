import { randomUUID } from 'node:crypto';
import { oncePerEvent } from '../../../../kernel/bus/once';
import type { EventOf } from '../../../../kernel/events';
import { type PrismaClient, recordEvent, type Stream } from '../data/db';
import { signalOf } from '../providers';
import { decide, type OpenStream } from './lifecycle';

/** A Channel entity as the live domain resolves it: only its id. */
export interface ChannelRef {
  id: string;
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/**
 * Channels' streams: what the recorded webhooks make of them, one channel at a time, and the channels' titles and
 * categories a stream takes when it goes live.
 */
export class StreamsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly reconnectWindowSeconds = 60,
  ) {}

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
      const [locked] = await tx.$queryRaw<{ last_event_at: Date | null }[]>`
        SELECT last_event_at FROM live_input WHERE channel_id = ${channelId}::uuid FOR UPDATE`;
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
        await recordEvent(tx, 'live.stream.started.v1', channelId, {
          streamId: current.id,
          channelId,
          ownerId,
          title: current.title,
          category: current.category,
          // A stream goes live at the signal's time, whether it opens live or had connected before.
          startedAt: at.toISOString(),
        });
      } else if (current && announceChange) {
        await this.announceUpdate(tx, current, at);
      }
      return [end && 'ended', opening && 'opened', change?.state].filter(Boolean).join('+');
    });
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
    await tx.stream.update({ where: { id: stream.id }, data: { state: 'ended', endedAt: at } });
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
