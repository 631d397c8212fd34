import { oncePerEvent } from '../../../../kernel/bus/once';
import type { EventOf } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import { recordEvent } from '../data/db';
import type { PrismaClient } from '../data/prisma/client';

/** The channel a plan NOTIFYs on commit, so that every instance's slice runners wake up at once. */
export const FANOUT_CHANNEL = 'ptfm_fanout';

/** The bounds of every UUID: a slice with no lower or upper bound runs from or to them. */
const FIRST_UUID = '00000000-0000-0000-0000-000000000000';
const LAST_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/** A slice as its writer claims it, with what the announcement says. */
interface ClaimedSlice {
  stream_id: string;
  slice: number;
  channel_id: string;
  after_user: string | null;
  upto_user: string | null;
  users: string[] | null;
  owner_id: string;
  owner_login: string;
  owner_display_name: string;
  title: string;
  category: string;
  thumbnail_url: string | null;
  started_at: Date;
  at: Date;
}

export interface SliceWritten {
  streamId: string;
  slice: number;
  written: number;
}

/**
 * The go-live fan-out, in two steps so that any number of worker instances share one peak.
 *
 * `plan` (on live.stream.started.v1, once per event): writes the stream's announcement, what every notification
 * of it says, and cuts the channel's followers into slices of `sliceSize` by user id (one index scan), one
 * `fanout_job` row each; the followers connected to rt-gtw at that moment (kernel/presence.ts) make a slice 0 of
 * their own, claimed before the others, so that their sockets hear first.
 *
 * `writeNextSlice` (any instance, any number at once): claims one pending slice with FOR UPDATE SKIP LOCKED and,
 * in the same transaction, writes the inbox rows of its followers with one INSERT ... SELECT (muted channels and
 * users with go-live off filtered in the SELECT), records one ptfm.notification.created.v1 naming the recipients,
 * and marks the slice done. A crash anywhere rolls the whole slice back and leaves it pending; the unique
 * (stream, user) key makes a slice written twice, or a follower in two slices, still one notification.
 */
export class FanoutService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sliceSize: number,
    private readonly logger: Logger,
    /** The users connected for notifications now; without it no slice goes first. */
    private readonly connected?: () => Promise<string[]>,
  ) {}

  /** Connected users, or none when presence cannot be read: then every slice simply comes in its turn. */
  private async connectedNow(): Promise<string[]> {
    if (!this.connected) return [];
    try {
      return await this.connected();
    } catch (error) {
      this.logger.debug({ err: error }, 'presence not read: no follower goes first');
      return [];
    }
  }

  async plan(event: EventOf<'live.stream.started.v1'>, group: string): Promise<{ slices: number } | 'duplicate'> {
    const { streamId, channelId, ownerId, title, category, thumbnailUrl, startedAt } = event.data;
    const connected = await this.connectedNow();
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      const owner = await tx.account.findUnique({ where: { userId: ownerId } });
      if (!owner) this.logger.warn({ ownerId, streamId }, 'go-live of an account not projected yet: notified without its names');
      const announced = await tx.announcement.createMany({
        data: [
          {
            streamId,
            channelId,
            ownerId,
            ownerLogin: owner?.login ?? '',
            ownerDisplayName: owner?.displayName ?? '',
            title,
            category,
            thumbnailUrl: thumbnailUrl ?? null,
            startedAt: new Date(startedAt),
          },
        ],
        skipDuplicates: true,
      });
      // The same stream announced again (the live domain's event published twice) is already planned.
      if (announced.count === 0) return { slices: 0 };
      const bounds = await tx.$queryRaw<{ user_id: string }[]>`
        SELECT user_id::text FROM (
          SELECT user_id, row_number() OVER (ORDER BY user_id) AS n
            FROM follower WHERE channel_id = ${channelId}::uuid AND active
        ) numbered
        WHERE n % ${this.sliceSize} = 0
        ORDER BY user_id`;
      const uppers = [...bounds.map((b) => b.user_id), null];
      const present =
        connected.length === 0
          ? []
          : await tx.$queryRaw<{ user_id: string }[]>`
              SELECT user_id::text FROM follower
               WHERE channel_id = ${channelId}::uuid AND active AND user_id = ANY(${connected}::uuid[])`;
      const first = present.length > 0 ? [{ streamId, slice: 0, channelId, users: present.map((p) => p.user_id) }] : [];
      await tx.fanoutJob.createMany({
        data: [
          ...first,
          ...uppers.map((uptoUser, i) => ({ streamId, slice: i + 1, channelId, afterUser: i ? uppers[i - 1] : null, uptoUser })),
        ],
        skipDuplicates: true,
      });
      await tx.$executeRawUnsafe(`SELECT pg_notify('${FANOUT_CHANNEL}', '')`);
      return { slices: first.length + uppers.length };
    });
  }

  /**
   * Writes one pending slice; null when none is left to claim. A stream's id ranges wait until its slice 0 (the
   * connected followers) has committed: written alone, it is not slowed by the ranges' inserts, and its followers
   * are in the ranges too (written again as no-ops).
   */
  async writeNextSlice(): Promise<SliceWritten | null> {
    return this.prisma.$transaction(
      async (tx) => {
        const [job] = await tx.$queryRaw<ClaimedSlice[]>`
          SELECT j.stream_id::text, j.slice, j.channel_id::text, j.after_user::text, j.upto_user::text, j.users::text[],
                 a.owner_id::text, a.owner_login, a.owner_display_name, a.title, a.category, a.thumbnail_url, a.started_at, now() AS at
            FROM fanout_job j JOIN announcement a ON a.stream_id = j.stream_id
           WHERE j.done_at IS NULL
             AND (j.slice = 0 OR NOT EXISTS (
                   SELECT 1 FROM fanout_job z WHERE z.stream_id = j.stream_id AND z.slice = 0 AND z.done_at IS NULL))
           ORDER BY j.created_at, j.slice
           LIMIT 1
           FOR UPDATE OF j SKIP LOCKED`;
        if (!job) return null;
        const users = job.users ?? [];
        const recipients = await tx.$queryRaw<{ user_id: string }[]>`
          WITH written AS (
            INSERT INTO notification (id, user_id, stream_id, created_at)
            SELECT md5(${job.stream_id}::uuid::text || ':' || f.user_id::text)::uuid, f.user_id, ${job.stream_id}::uuid, ${job.at}
              FROM follower f
             WHERE f.channel_id = ${job.channel_id}::uuid
               AND f.active
               AND f.user_id > COALESCE(${job.after_user}::uuid, ${FIRST_UUID}::uuid)
               AND f.user_id <= COALESCE(${job.upto_user}::uuid, ${LAST_UUID}::uuid)
               AND (${users.length === 0} OR f.user_id = ANY(${users}::uuid[]))
               AND f.user_id <> ${job.owner_id}::uuid
               AND NOT EXISTS (SELECT 1 FROM preference p WHERE p.user_id = f.user_id AND NOT p.go_live)
               AND NOT EXISTS (SELECT 1 FROM channel_mute m WHERE m.user_id = f.user_id AND m.channel_id = f.channel_id)
            ON CONFLICT (stream_id, user_id) DO NOTHING
            RETURNING user_id
          )
          SELECT user_id::text FROM written`;
        if (recipients.length > 0) {
          await recordEvent(tx, 'ptfm.notification.created.v1', job.channel_id, {
            kind: 'go_live',
            streamId: job.stream_id,
            channelId: job.channel_id,
            broadcaster: { id: job.owner_id, login: job.owner_login, displayName: job.owner_display_name },
            title: job.title,
            category: job.category,
            ...(job.thumbnail_url ? { thumbnailUrl: job.thumbnail_url } : {}),
            startedAt: job.started_at.toISOString(),
            createdAt: job.at.toISOString(),
            recipients: recipients.map((r) => r.user_id) as [string, ...string[]],
          });
        }
        await tx.$executeRaw`
          UPDATE fanout_job SET done_at = now(), written = ${recipients.length}
           WHERE stream_id = ${job.stream_id}::uuid AND slice = ${job.slice}`;
        // The ranges waited for the connected followers' slice: its commit wakes every instance's lanes for them.
        if (job.slice === 0) await tx.$executeRawUnsafe(`SELECT pg_notify('${FANOUT_CHANNEL}', '')`);
        return { streamId: job.stream_id, slice: job.slice, written: recipients.length };
      },
      // A slice is one statement of a few thousand rows; under a peak it may wait its turn for the disk.
      { maxWait: 10_000, timeout: 60_000 },
    );
  }
}
