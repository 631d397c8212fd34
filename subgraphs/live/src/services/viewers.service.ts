import type { EventOf } from '../../../../kernel/events';
import type { PrismaClient } from '../data/db';

/**
 * Viewer counts of the streams on air, from the realtime gateway's reports (live.viewers.counted.v1). Each gateway
 * instance reports its own distinct viewers per channel; a report replaces that instance's previous one and counts
 * until it expires, so a stream's count is the sum over the instances alive now: several instances add up instead
 * of overwriting each other, and a dead instance's viewers drop out when its last report expires.
 */
export class ViewersService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Applies one instance's report; one older than the instance's last applied changes nothing. */
  async applyReport(event: EventOf<'live.viewers.counted.v1'>): Promise<'applied' | 'stale'> {
    const { instanceId, countedAt, ttlSeconds, counts } = event.data;
    const at = new Date(countedAt);
    const expiresAt = new Date(at.getTime() + ttlSeconds * 1000);
    return this.prisma.$transaction(async (tx) => {
      const now = this.now();
      const previous = await tx.viewerReport.findMany({ where: { instanceId }, select: { channelId: true, countedAt: true } });
      if (previous.some((row) => row.countedAt >= at)) return 'stale' as const;
      const expired = await tx.viewerReport.findMany({ where: { expiresAt: { lte: now } }, select: { channelId: true } });
      // Every channel whose sum may change: those named now, before, or by a report that just expired.
      const channels = [
        ...new Set([...counts.map((c) => c.channelId), ...previous.map((r) => r.channelId), ...expired.map((r) => r.channelId)]),
      ].sort();
      // The streams on air of those channels, locked in one order: another instance's report touching the same
      // channels waits, then sums with this one's rows committed, so neither overwrites the other's viewers.
      const open = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM stream WHERE channel_id = ANY(${channels}::uuid[]) AND ended_at IS NULL ORDER BY channel_id, id FOR UPDATE`;
      await tx.viewerReport.deleteMany({ where: { OR: [{ instanceId }, { expiresAt: { lte: now } }] } });
      if (counts.length) {
        await tx.viewerReport.createMany({
          data: counts.map((c) => ({ instanceId, channelId: c.channelId, viewers: c.viewers, countedAt: at, expiresAt })),
          skipDuplicates: true,
        });
      }
      if (open.length) {
        await tx.$executeRaw`
          UPDATE stream s
             SET viewer_count = t.total, peak_viewer_count = GREATEST(s.peak_viewer_count, t.total)
            FROM (SELECT o.id,
                         COALESCE((SELECT sum(r.viewers) FROM viewer_report r WHERE r.channel_id = o.channel_id AND r.expires_at > ${now}), 0)::int AS total
                    FROM stream o WHERE o.id = ANY(${open.map((s) => s.id)}::uuid[])) t
           WHERE s.id = t.id AND (s.viewer_count <> t.total OR s.peak_viewer_count < t.total)`;
      }
      return 'applied' as const;
    });
  }
}
