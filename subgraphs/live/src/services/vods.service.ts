import { randomUUID } from 'node:crypto';
import { actingUser } from '../../../../kernel/access';
import { oncePerEvent } from '../../../../kernel/bus/once';
import { DomainError } from '../../../../kernel/errors';
import type { EventOf } from '../../../../kernel/events';
import type { Identity } from '../../../../kernel/identity';
import { isUuid } from '../../../../kernel/ids';
import { decodeCursor, type Page, pageSize, rowsAfter, toPage } from '../../../../kernel/paging';
import { type PrismaClient, recordEvent, type Vod } from '../data/db';
import type { LiveProvider } from '../providers/port';

/**
 * VODs: each stream's recording, as the provider's asset events report it (`recording → ready | failed`), listed per
 * channel and deletable by its broadcaster. Ready and failed are final: a late or repeated asset event changes
 * nothing, and neither does one about a VOD the broadcaster deleted.
 */
export class VodsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly provider?: LiveProvider,
  ) {}

  /** Applies one recorded asset webhook to the VOD of its asset. */
  async applyAsset(event: EventOf<'live.webhook.received.v1'>, group: string): Promise<string> {
    const { asset, channelId, provider } = event.data;
    if (!asset) return 'not-an-asset';
    const at = new Date(event.data.providerOccurredAt);
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      const known = await tx.vod.findUnique({ where: { provider_providerAssetId: { provider, providerAssetId: asset.assetId } } });
      if (known && (known.deletedAt || known.state !== 'recording' || known.changedAt >= at)) return 'no-effect';
      const fields = {
        state: asset.status,
        changedAt: at,
        durationSeconds: asset.durationSeconds ?? known?.durationSeconds ?? null,
        playbackId: asset.playbackId ?? known?.playbackId ?? null,
        readyAt: asset.status === 'ready' ? at : null,
      };
      let vod: Vod;
      if (known) {
        // A recording reported before its stream opened is linked to the stream opened since.
        const stream = known.streamId
          ? null
          : await tx.stream.findFirst({
              where: { channelId, createdAt: { gte: known.createdAt } },
              orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
            });
        vod = await tx.vod.update({
          where: { id: known.id },
          data: { ...fields, ...(stream ? { streamId: stream.id, title: stream.title, category: stream.category } : {}) },
        });
      } else {
        // The provider begins the asset when the stream goes live: the channel's latest stream is the one recorded,
        // unless it ended before a recording that is only beginning (Livepeer reports the recording of a session
        // before the session goes live): that recording's stream is the next one to open.
        const latest = await tx.stream.findFirst({ where: { channelId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
        const beginsAfter = asset.status === 'recording' && latest?.endedAt && latest.endedAt < at;
        const stream = beginsAfter ? null : latest;
        vod = await tx.vod.create({
          data: {
            id: randomUUID(),
            channelId,
            streamId: stream?.id ?? null,
            provider,
            providerAssetId: asset.assetId,
            title: stream?.title ?? '',
            category: stream?.category ?? '',
            ...fields,
          },
        });
      }
      if (vod.state === 'ready') {
        await recordEvent(tx, 'live.vod.ready.v1', channelId, {
          vodId: vod.id,
          channelId,
          streamId: vod.streamId,
          title: vod.title,
          category: vod.category,
          durationSeconds: vod.durationSeconds,
          playbackId: vod.playbackId,
          readyAt: at.toISOString(),
        });
      }
      return vod.state;
    });
  }

  /** A channel's VODs, newest first, the deleted ones left out. */
  async ofChannel(channelId: string, first: number | null | undefined, after: string | null | undefined): Promise<Page<Vod>> {
    const size = pageSize(first, 20);
    const position = decodeCursor(after, 'after');
    const where = { channelId, deletedAt: null };
    const [rows, totalCount] = await Promise.all([
      this.prisma.vod.findMany({
        where: position ? { ...where, ...rowsAfter(position, 'createdAt', 'id', 'desc') } : where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: size + 1,
      }),
      this.prisma.vod.count({ where }),
    ]);
    return toPage(rows, size, totalCount, (v) => ({ at: v.createdAt, id: v.id }));
  }

  async byIds(ids: readonly string[]): Promise<(Vod | null)[]> {
    const vods = await this.prisma.vod.findMany({ where: { id: { in: ids.filter(isUuid) }, deletedAt: null } });
    const byId = new Map(vods.map((v) => [v.id, v]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Deletes a VOD: its channel's broadcaster only; the provider's asset goes with it. */
  async delete(identity: Identity, vodId: string): Promise<string> {
    const userId = actingUser(identity);
    const vod = isUuid(vodId) ? await this.prisma.vod.findUnique({ where: { id: vodId } }) : null;
    if (!vod || vod.deletedAt) throw new DomainError('LIVE_VOD_NOT_FOUND', 'no such VOD');
    const info = await this.prisma.channelInfo.findUnique({ where: { channelId: vod.channelId } });
    if (info?.ownerId !== userId) throw new DomainError('LIVE_NOT_BROADCASTER', "only the channel's broadcaster deletes its VODs");
    await this.provider?.deleteAsset(vod.providerAssetId);
    await this.prisma.vod.update({ where: { id: vod.id }, data: { deletedAt: new Date() } });
    return vod.id;
  }
}
