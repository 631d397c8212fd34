import { randomBytes, randomUUID } from 'node:crypto';
import { makeEvent, type Topic } from '../../kernel/events';
import { connectChatDb, type ChatDb } from '../../subgraphs/chat/src/data/db';
import { ChatLimiter, DEFAULT_CHAT_LIMITS, type ChatLimits } from '../../subgraphs/chat/src/services/chat-limiter';
import { MessagesService } from '../../subgraphs/chat/src/services/messages.service';
import { ModerationService } from '../../subgraphs/chat/src/services/moderation.service';
import { ProjectionsService } from '../../subgraphs/chat/src/services/projections.service';
import { RoomsService } from '../../subgraphs/chat/src/services/rooms.service';
import { createScratchDatabase } from './database';

const GROUP = 'spec';

/**
 * The chat domain's services on a scratch database of their own, and rooms set up as production sets them up:
 * from the events of the channel and user domains, through the projections.
 */
export async function startChatServices(limits: ChatLimits = DEFAULT_CHAT_LIMITS) {
  const database = await createScratchDatabase();
  const db: ChatDb = connectChatDb(database.url, 4);
  const rooms = new RoomsService(db.prisma);
  const messages = new MessagesService(db.prisma, rooms, new ChatLimiter(limits));
  const moderation = new ModerationService(db.prisma, rooms);
  const projections = new ProjectionsService(db.prisma);
  const now = () => new Date().toISOString();

  /** A user the chat domain knows (user.account.created.v1). */
  const chatter = async (): Promise<string> => {
    const userId = randomUUID();
    const login = `chatter_${randomBytes(4).toString('hex')}`;
    await projections.chatterCreated(makeEvent('user.account.created.v1', { userId, login, displayName: login, createdAt: now() }), GROUP);
    return userId;
  };

  /** A channel's room with its broadcaster, and a moderator, a VIP and a viewer, all of them chatters. */
  const room = async () => {
    const [ownerId, moderatorId, vipId, viewerId] = [await chatter(), await chatter(), await chatter(), await chatter()];
    const channelId = randomUUID();
    await projections.roomCreated(makeEvent('chnl.channel.created.v1', { channelId, ownerId, createdAt: now() }), GROUP);
    await projections.roleChanged(makeEvent('chnl.moderator.added.v1', { channelId, ownerId, userId: moderatorId, at: now() }), GROUP);
    await projections.roleChanged(makeEvent('chnl.vip.added.v1', { channelId, ownerId, userId: vipId, at: now() }), GROUP);
    return { channelId, ownerId, moderatorId, vipId, viewerId };
  };

  /** `userId` follows the channel since `followedAt` (chnl.follow.created.v1). */
  const follow = async (channelId: string, ownerId: string, userId: string, followedAt = new Date()) => {
    await projections.followChanged(
      makeEvent('chnl.follow.created.v1', { channelId, ownerId, userId, followedAt: followedAt.toISOString() }),
      GROUP,
    );
  };

  /** The events the services wrote to the chat outbox for the channel, oldest first (the key is the channel). */
  const outbox = async (channelId: string, topic?: Topic) => {
    const rows = await db.prisma.outboxEvent.findMany({
      where: { key: channelId, ...(topic && { topic }) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map((row) => ({ topic: row.topic, ...(row.payload as { id: string; data: Record<string, unknown> }) }));
  };

  return {
    db,
    rooms,
    messages,
    moderation,
    projections,
    chatter,
    room,
    follow,
    outbox,
    close: async () => {
      await db.close();
      await database.drop();
    },
  };
}

export type ChatServices = Awaited<ReturnType<typeof startChatServices>>;
