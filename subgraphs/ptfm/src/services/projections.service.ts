import { oncePerEvent, oncePerEventSql } from '../../../../kernel/bus/once';
import type { EventOf } from '../../../../kernel/events';
import { Prisma, type PrismaClient } from '../data/prisma/client';

/**
 * The platform domain's copies of what other domains own, each fed by their events: accounts' names (what a
 * go-live notification shows of the broadcaster) and channels' followers (whom it goes to). Every handler records
 * the event id with its effect in one transaction, so redelivery changes nothing twice; a follow and an unfollow
 * are on two topics that are not ordered between themselves, so the change that happened last wins whatever order
 * they arrive in.
 */
export class ProjectionsService {
  constructor(private readonly prisma: PrismaClient) {}

  async accountCreated(event: EventOf<'user.account.created.v1'>, group: string): Promise<'created' | 'duplicate'> {
    const { userId, login, displayName } = event.data;
    const written = await oncePerEventSql(
      this.prisma,
      group,
      event.id,
      Prisma.sql`INSERT INTO account (user_id, login, display_name) SELECT ${userId}::uuid, ${login}, ${displayName} FROM first_delivery
        ON CONFLICT DO NOTHING
        RETURNING 1`,
    );
    return written === 1 ? 'created' : 'duplicate';
  }

  async followChanged(
    event: EventOf<'chnl.follow.created.v1'> | EventOf<'chnl.follow.deleted.v1'>,
    group: string,
  ): Promise<'applied' | 'duplicate'> {
    const active = event.type === 'chnl.follow.created.v1';
    const at = new Date('followedAt' in event.data ? event.data.followedAt : event.data.unfollowedAt);
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      await tx.$executeRaw`
        INSERT INTO follower (channel_id, user_id, followed_at, active, changed_at)
        VALUES (${event.data.channelId}::uuid, ${event.data.userId}::uuid, ${at}, ${active}, ${at})
        ON CONFLICT (channel_id, user_id) DO UPDATE
          SET followed_at = CASE WHEN EXCLUDED.active THEN EXCLUDED.followed_at ELSE follower.followed_at END,
              active = EXCLUDED.active,
              changed_at = EXCLUDED.changed_at
          WHERE follower.changed_at <= EXCLUDED.changed_at`;
      return 'applied' as const;
    });
  }
}
