import { oncePerEvent, oncePerEventSql } from '../../../../kernel/bus/once';
import type { EventOf } from '../../../../kernel/events';
import { Prisma, type PrismaClient } from '../data/prisma/client';

/**
 * The chat domain's copies of what other domains own, each fed by their events: rooms from channels, chatters
 * from accounts, followers, moderators and VIPs, the platform's chat defaults. Every handler records the event id with its effect in one
 * transaction (one statement for the two every sign-up brings), so redelivery changes nothing twice; the two topics of a pair (added/removed) are not ordered
 * between themselves, so the change that happened last wins whatever order they arrive in.
 */
export class ProjectionsService {
  constructor(private readonly prisma: PrismaClient) {}

  /** A new channel's room, in the platform's default modes as this domain holds them now. */
  async roomCreated(event: EventOf<'chnl.channel.created.v1'>, group: string): Promise<'created' | 'duplicate'> {
    const { channelId, ownerId } = event.data;
    // The defaults' row always exists (its migration writes it): without it the NOT NULL modes refuse the insert.
    const written = await oncePerEventSql(
      this.prisma,
      group,
      event.id,
      Prisma.sql`INSERT INTO room (channel_id, owner_id, slow_mode_seconds, followers_only_minutes, subscriber_only, emote_only, unique_chat, updated_at)
        SELECT ${channelId}::uuid, ${ownerId}::uuid, d.slow_mode_seconds, d.followers_only_minutes, d.subscriber_only, d.emote_only, d.unique_chat, now()
        FROM first_delivery LEFT JOIN platform_defaults d ON d.id = 1
        ON CONFLICT DO NOTHING
        RETURNING 1`,
    );
    return written === 1 ? 'created' : 'duplicate';
  }

  /**
   * The platform's chat defaults, replaced whole by a higher version than the one held (an older event arriving late
   * changes nothing). Existing rooms keep their modes: only rooms created from now on take them.
   */
  async defaultsUpdated(event: EventOf<'ptfm.defaults.updated.v1'>, group: string): Promise<'applied' | 'stale' | 'duplicate'> {
    const { version, chat } = event.data;
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      const updated = await tx.platformDefaults.updateMany({
        where: { id: 1, version: { lt: version } },
        data: {
          version,
          slowModeSeconds: chat.slowModeSeconds,
          followersOnlyMinutes: chat.followersOnlyMinutes,
          subscriberOnly: chat.subscriberOnly,
          emoteOnly: chat.emoteOnly,
          uniqueChat: chat.uniqueChat,
          blockedTerms: chat.blockedTerms,
          // Absent from events published before the rates were defaults: the configured ones hold.
          viewerMessagesPer30s: chat.viewerMessagesPer30s ?? null,
          moderatorMessagesPer30s: chat.moderatorMessagesPer30s ?? null,
        },
      });
      return updated.count ? ('applied' as const) : ('stale' as const);
    });
  }

  async chatterCreated(event: EventOf<'user.account.created.v1'>, group: string): Promise<'created' | 'duplicate'> {
    const { userId, login, displayName } = event.data;
    const written = await oncePerEventSql(
      this.prisma,
      group,
      event.id,
      Prisma.sql`INSERT INTO chatter (user_id, login, display_name)
        SELECT ${userId}::uuid, ${login}, ${displayName} FROM first_delivery
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

  /** Projection of paym.subscription.*: the store's time of the change orders them, whatever the topics' order. */
  async subscriptionChanged(
    event: EventOf<'paym.subscription.activated.v1' | 'paym.subscription.renewed.v1' | 'paym.subscription.ended.v1'>,
    group: string,
  ): Promise<'applied' | 'duplicate'> {
    const active = event.type !== 'paym.subscription.ended.v1';
    const at = new Date(event.data.at);
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      await tx.$executeRaw`
        INSERT INTO subscriber (channel_id, user_id, tier, active, changed_at)
        VALUES (${event.data.channelId}::uuid, ${event.data.userId}::uuid, ${event.data.tier}, ${active}, ${at})
        ON CONFLICT (channel_id, user_id) DO UPDATE
          SET tier = EXCLUDED.tier, active = EXCLUDED.active, changed_at = EXCLUDED.changed_at
          WHERE subscriber.changed_at <= EXCLUDED.changed_at`;
      return 'applied' as const;
    });
  }

  async roleChanged(
    event: EventOf<'chnl.moderator.added.v1' | 'chnl.moderator.removed.v1' | 'chnl.vip.added.v1' | 'chnl.vip.removed.v1'>,
    group: string,
  ): Promise<'applied' | 'duplicate'> {
    const role = event.type.startsWith('chnl.moderator.') ? 'moderator' : 'vip';
    const active = event.type.endsWith('.added.v1');
    const at = new Date(event.data.at);
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      await tx.$executeRaw`
        INSERT INTO room_role (channel_id, user_id, role, active, changed_at)
        VALUES (${event.data.channelId}::uuid, ${event.data.userId}::uuid, ${role}, ${active}, ${at})
        ON CONFLICT (channel_id, role, user_id) DO UPDATE
          SET active = EXCLUDED.active, changed_at = EXCLUDED.changed_at
          WHERE room_role.changed_at <= EXCLUDED.changed_at`;
      return 'applied' as const;
    });
  }
}
