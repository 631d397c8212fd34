import { actingUser, requireScope } from '../../../../kernel/access';
import { DomainError, type FieldProblem } from '../../../../kernel/errors';
import type { Identity } from '../../../../kernel/identity';
import { isUuid } from '../../../../kernel/ids';
import type { Scope } from '../../../../kernel/scopes';
import { recordEvent, type Room } from '../data/db';
import LIMITS from '../../limits.json';
import type { PrismaClient } from '../data/prisma/client';

export type Badge = 'broadcaster' | 'moderator' | 'vip';

/** Who a user is in a room, which decides the limits and modes that apply to them. */
export interface Standing {
  badges: Badge[];
  /** The broadcaster or one of the channel's moderators: may moderate, exempt from modes, higher rate limit. */
  moderator: boolean;
  /** A VIP: exempt from slow mode and followers-only, as on Twitch. */
  vip: boolean;
  /** Entitled to the channel's subscription (paym.subscription.* events): may chat in subscriber-only mode. */
  subscriber: boolean;
}

export interface ChatSettingsInput {
  slowModeSeconds?: number | null;
  followersOnlyMinutes?: number | null;
  emoteOnly?: boolean | null;
  uniqueChat?: boolean | null;
  subscriberOnly?: boolean | null;
}

/** Who `userId` is in `room`, from their active roles there and whether they are entitled to its subscription. */
export function standingOf(room: Room, userId: string, roles: string[], subscriber: boolean): Standing {
  if (userId === room.ownerId) return { badges: ['broadcaster'], moderator: true, vip: false, subscriber: false };
  const moderator = roles.includes('moderator');
  const vip = roles.includes('vip');
  const badges: Badge[] = [...(moderator ? ['moderator' as const] : []), ...(vip ? ['vip' as const] : [])];
  return { badges, moderator, vip, subscriber };
}

/** Rooms, their modes and who holds which role in them. */
export class RoomsService {
  constructor(private readonly prisma: PrismaClient) {}

  async byIds(channelIds: readonly string[]): Promise<(Room | null)[]> {
    const rows = await this.prisma.room.findMany({ where: { channelId: { in: [...new Set(channelIds.filter(isUuid))] } } });
    const byId = new Map(rows.map((r) => [r.channelId, r]));
    return channelIds.map((id) => byId.get(id) ?? null);
  }

  async get(channelId: string): Promise<Room> {
    const room = isUuid(channelId) ? await this.prisma.room.findUnique({ where: { channelId } }) : null;
    if (!room) throw new DomainError('CHAT_ROOM_NOT_FOUND', 'this channel has no chat room');
    return room;
  }

  async standing(room: Room, userId: string): Promise<Standing> {
    if (userId === room.ownerId) return standingOf(room, userId, [], false);
    const [roles, subscription] = await Promise.all([
      this.prisma.roomRole.findMany({ where: { channelId: room.channelId, userId, active: true }, select: { role: true } }),
      this.prisma.subscriber.findUnique({ where: { channelId_userId: { channelId: room.channelId, userId } }, select: { active: true } }),
    ]);
    return standingOf(
      room,
      userId,
      roles.map((r) => r.role),
      subscription?.active === true,
    );
  }

  /**
   * The room a moderation action applies to and the moderator acting, refusing an app without `scope` and anyone
   * who is neither the broadcaster nor one of the channel's moderators.
   */
  async moderate(identity: Identity, channelId: string, scope: Scope): Promise<{ room: Room; moderatorId: string }> {
    const moderatorId = actingUser(identity);
    requireScope(identity, scope);
    const room = await this.get(channelId);
    if (!(await this.standing(room, moderatorId)).moderator) {
      throw new DomainError('CHAT_NOT_MODERATOR', "only the broadcaster and the channel's moderators may do this");
    }
    return { room, moderatorId };
  }

  /** Changes a room's modes: omitted fields keep their value, a null turns slow mode or followers-only off. */
  async updateSettings(identity: Identity, channelId: string, input: ChatSettingsInput): Promise<Room> {
    const { moderatorId } = await this.moderate(identity, channelId, 'moderator:manage:chat_settings');
    const changes = validateSettings(input);
    return this.prisma.$transaction(async (tx) => {
      const room = await tx.room.update({ where: { channelId }, data: changes });
      await recordEvent(tx, 'chat.room.updated.v1', channelId, {
        channelId,
        updatedBy: moderatorId,
        updatedAt: room.updatedAt.toISOString(),
        modes: {
          slowModeSeconds: room.slowModeSeconds,
          followersOnlyMinutes: room.followersOnlyMinutes,
          emoteOnly: room.emoteOnly,
          uniqueChat: room.uniqueChat,
          subscriberOnly: room.subscriberOnly,
        },
      });
      return room;
    });
  }

  /** Hides every message sent so far; the history starts again after this instant. */
  async clear(identity: Identity, channelId: string): Promise<Room> {
    const { moderatorId } = await this.moderate(identity, channelId, 'moderator:manage:chat_messages');
    const clearedAt = new Date();
    return this.prisma.$transaction(async (tx) => {
      const room = await tx.room.update({ where: { channelId }, data: { clearedAt } });
      await recordEvent(tx, 'chat.room.cleared.v1', channelId, { channelId, clearedBy: moderatorId, clearedAt: clearedAt.toISOString() });
      return room;
    });
  }
}

function validateSettings(input: ChatSettingsInput) {
  const problems: FieldProblem[] = [];
  const changes: {
    slowModeSeconds?: number | null;
    followersOnlyMinutes?: number | null;
    emoteOnly?: boolean;
    uniqueChat?: boolean;
    subscriberOnly?: boolean;
  } = {};
  const range = (field: 'slowModeSeconds' | 'followersOnlyMinutes', bounds: { minimum: number; maximum: number }) => {
    const value = input[field];
    if (value === undefined) return;
    if (value !== null && (!Number.isInteger(value) || value < bounds.minimum || value > bounds.maximum)) {
      problems.push({ field, message: `must be null (off) or an integer from ${bounds.minimum} to ${bounds.maximum}` });
    }
    changes[field] = value;
  };
  range('slowModeSeconds', LIMITS['settings.slowModeSeconds']);
  range('followersOnlyMinutes', LIMITS['settings.followersOnlyMinutes']);
  for (const flag of ['emoteOnly', 'uniqueChat', 'subscriberOnly'] as const) {
    const value = input[flag];
    if (value != null) changes[flag] = value;
  }
  if (problems.length) throw new DomainError('VALIDATION_FAILED', 'the chat settings are invalid', { fields: problems });
  return changes;
}
