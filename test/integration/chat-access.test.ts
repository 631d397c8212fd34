import { randomUUID } from 'node:crypto';
import { makeEvent } from '../../kernel/events';
import { connectChatDb, type ChatDb } from '../../subgraphs/chat/src/data/db';
import { ChatLimiter, DEFAULT_CHAT_LIMITS } from '../../subgraphs/chat/src/services/chat-limiter';
import { MessagesService } from '../../subgraphs/chat/src/services/messages.service';
import { ModerationService } from '../../subgraphs/chat/src/services/moderation.service';
import { ProjectionsService } from '../../subgraphs/chat/src/services/projections.service';
import { RoomsService } from '../../subgraphs/chat/src/services/rooms.service';
import { createScratchDatabase } from '../support/database';
import { identities } from '../support/identities';

/**
 * Who may chat and moderate, decided by the chat services on the signed identity: our own apps act with every
 * right of their user, a third-party app only with the scopes its user granted (Twitch's names), nobody without a
 * user. The Public API's routes rely on exactly these checks.
 */
describe('chat access by caller kind and scope', () => {
  let db: ChatDb;
  let dropDatabase: () => Promise<void>;
  let messages: MessagesService;
  let moderation: ModerationService;
  let rooms: RoomsService;
  const channelId = randomUUID();
  const ownerId = randomUUID();
  const viewerId = randomUUID();

  beforeAll(async () => {
    const database = await createScratchDatabase();
    dropDatabase = database.drop;
    db = connectChatDb(database.url, 4);
    rooms = new RoomsService(db.prisma);
    messages = new MessagesService(db.prisma, rooms, new ChatLimiter(DEFAULT_CHAT_LIMITS));
    moderation = new ModerationService(db.prisma, rooms);
    const projections = new ProjectionsService(db.prisma);
    const now = new Date().toISOString();
    await projections.roomCreated(makeEvent('chnl.channel.created.v1', { channelId, ownerId, createdAt: now }), 'test');
    for (const [userId, login] of [
      [ownerId, 'access_owner'],
      [viewerId, 'access_viewer'],
    ]) {
      await projections.chatterCreated(makeEvent('user.account.created.v1', { userId, login, displayName: login, createdAt: now }), 'test');
    }
  });

  afterAll(async () => {
    await db?.close();
    await dropDatabase?.();
  });

  it('should let a session and an app holding chat:edit send, and refuse others with a code naming what is missing', async () => {
    await expect(messages.send(identities.session(viewerId), channelId, 'from our app', null)).resolves.toMatchObject({
      senderId: viewerId,
    });
    await expect(messages.send(identities.oauth(viewerId, ['chat:edit']), channelId, 'from an app', null)).resolves.toMatchObject({
      senderId: viewerId,
    });
    await expect(messages.send(identities.oauth(viewerId, ['chat:read']), channelId, 'no scope', null)).rejects.toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
    });
    await expect(messages.send(identities.oauth(undefined, ['chat:edit']), channelId, 'app token', null)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(messages.send(identities.anonymous(), channelId, 'anonymous', null)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(messages.send(identities.staff(viewerId, []), channelId, 'staff', null)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('should need the moderator scopes for an app, and the broadcaster or a moderator behind it', async () => {
    const owner = (scopes: string[]) => identities.oauth(ownerId, scopes);
    await expect(moderation.ban(owner(['chat:edit']), channelId, viewerId, 60, null)).rejects.toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    await expect(
      moderation.ban(identities.oauth(viewerId, ['moderator:manage:banned_users']), channelId, ownerId, 60, null),
    ).rejects.toMatchObject({
      code: 'CHAT_NOT_MODERATOR',
    });
    await expect(moderation.ban(owner(['moderator:manage:banned_users']), channelId, viewerId, 60, 'spam')).resolves.toMatchObject({
      userId: viewerId,
    });
    await expect(rooms.clear(owner(['moderator:manage:banned_users']), channelId)).rejects.toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    await expect(rooms.clear(owner(['moderator:manage:chat_messages']), channelId)).resolves.toMatchObject({ channelId });
    await expect(rooms.updateSettings(owner(['moderator:manage:chat_messages']), channelId, { emoteOnly: true })).rejects.toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
    });
  });
});
