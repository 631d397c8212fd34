import { randomUUID } from 'node:crypto';
import { type EventOf, makeEvent } from '../../../../kernel/events';
import { startChatServices, type ChatServices } from '../../../../test/support/chat';
import { identities } from '../../../../test/support/identities';
import { EmotesService } from './emotes.service';
import { MessagesService } from './messages.service';

const { session } = identities;
/** Small, so that the rate limit is reached in a few messages; each test has rooms of its own. */
const limits = { viewerMessages: 3, moderatorMessages: 5 };

/** MessagesService against a real PostgreSQL: what a message must pass, what is stored and what is emitted. */
describe(MessagesService.name, () => {
  let chat: ChatServices;
  let messages: MessagesService;
  let emotes: EmotesService;

  beforeAll(async () => {
    chat = await startChatServices(limits);
    messages = chat.messages;
    emotes = new EmotesService(chat.db.prisma, chat.rooms);
  });

  afterAll(() => chat?.close());

  it('should store an accepted message with its badges and fragments and write chat.message.created.v1 to the outbox', async () => {
    const room = await chat.room();
    const viewerLogin = (await chat.db.prisma.chatter.findUniqueOrThrow({ where: { userId: room.viewerId } })).login;
    const message = await messages.send(session(room.vipId), room.channelId, `  hi   @${viewerLogin}  `, null);
    expect(message).toMatchObject({ channelId: room.channelId, senderId: room.vipId, text: `hi @${viewerLogin}`, badges: ['vip'] });
    expect(message.fragments).toEqual([
      { type: 'text', text: 'hi ', emoteId: null, userId: null },
      { type: 'mention', text: `@${viewerLogin}`, emoteId: null, userId: room.viewerId },
    ]);
    const events = await chat.outbox(room.channelId, 'chat.message.created.v1');
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({
      messageId: message.id,
      senderId: room.vipId,
      text: `hi @${viewerLogin}`,
      badges: ['vip'],
      sentAt: message.sentAt.toISOString(),
    });
  });

  it('should refuse a sender the chat domain does not know yet with a retry, storing nothing', async () => {
    const room = await chat.room();
    await expect(messages.send(session(randomUUID()), room.channelId, 'too early', null)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      retryAfter: 1,
    });
    await expect(messages.send(session(room.viewerId), randomUUID(), 'no room', null)).rejects.toMatchObject({
      code: 'CHAT_ROOM_NOT_FOUND',
    });
    expect(await chat.db.prisma.message.count({ where: { channelId: room.channelId } })).toBe(0);
    expect(await chat.outbox(room.channelId)).toEqual([]);
  });

  it('should refuse banned and timed-out users until the ban is lifted, but never the broadcaster', async () => {
    const room = await chat.room();
    const owner = session(room.ownerId);
    await chat.moderation.ban(owner, room.channelId, room.viewerId, null, null);
    await expect(messages.send(session(room.viewerId), room.channelId, 'let me in', null)).rejects.toMatchObject({ code: 'CHAT_BANNED' });
    await chat.moderation.ban(owner, room.channelId, room.viewerId, 120, null);
    const timedOut = messages.send(session(room.viewerId), room.channelId, 'let me in', null);
    await expect(timedOut).rejects.toMatchObject({ code: 'CHAT_TIMED_OUT' });
    const retryAfter = (await timedOut.catch((error) => error)).retryAfter;
    expect(retryAfter).toBeGreaterThan(110);
    expect(retryAfter).toBeLessThanOrEqual(120);
    await chat.moderation.unban(owner, room.channelId, room.viewerId);
    await expect(messages.send(session(room.viewerId), room.channelId, 'back', null)).resolves.toMatchObject({ text: 'back' });
    // A ban the broadcaster holds (from before the room was theirs) does not silence them in their own room.
    await chat.db.prisma.ban.create({
      data: { channelId: room.channelId, userId: room.ownerId, moderatorId: room.moderatorId, reason: null, expiresAt: null },
    });
    await expect(messages.send(owner, room.channelId, 'still here', null)).resolves.toMatchObject({ text: 'still here' });
    expect((await chat.outbox(room.channelId, 'chat.message.created.v1')).map((e) => e.data.text)).toEqual(['back', 'still here']);
  });

  it('should refuse viewers whose email address is not verified, but not the broadcaster and moderators of the room', async () => {
    const room = await chat.room();
    for (const userId of [room.viewerId, room.vipId]) {
      await expect(messages.send(session(userId, false), room.channelId, 'unverified', null)).rejects.toMatchObject({
        code: 'USER_EMAIL_NOT_VERIFIED',
      });
    }
    await expect(messages.send(session(room.ownerId, false), room.channelId, 'my room', null)).resolves.toBeDefined();
    await expect(messages.send(session(room.moderatorId, false), room.channelId, 'moderating', null)).resolves.toBeDefined();
    // An app acting for a user carries no such claim: the Public API's own rules apply (README, Sign-up).
    await expect(messages.send(identities.oauth(room.viewerId, ['chat:edit']), room.channelId, 'via an app', null)).resolves.toBeDefined();
    expect((await chat.outbox(room.channelId, 'chat.message.created.v1')).map((e) => e.data.text)).toEqual([
      'my room',
      'moderating',
      'via an app',
    ]);
  });

  it('should refuse the same text from the same sender within the window, whatever its case, without counting it', async () => {
    const room = await chat.room();
    const viewer = session(room.viewerId);
    await messages.send(viewer, room.channelId, 'Hello there', null);
    await expect(messages.send(viewer, room.channelId, 'hello THERE', null)).rejects.toMatchObject({ code: 'CHAT_DUPLICATE' });
    await expect(messages.send(session(room.vipId), room.channelId, 'hello there', null)).resolves.toBeDefined();
    // The refused duplicate took none of the viewer's three messages.
    await messages.send(viewer, room.channelId, 'two', null);
    await messages.send(viewer, room.channelId, 'three', null);
    await expect(messages.send(viewer, room.channelId, 'four', null)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('should give moderators a higher rate limit than viewers', async () => {
    const room = await chat.room();
    const sendUntilRefused = async (userId: string) => {
      for (let sent = 0; ; sent += 1) {
        const error = await messages.send(session(userId), room.channelId, `message ${sent}`, null).then(
          () => undefined,
          (e) => e,
        );
        if (error) {
          expect(error).toMatchObject({ code: 'RATE_LIMITED' });
          return sent;
        }
      }
    };
    expect(await sendUntilRefused(room.viewerId)).toBe(limits.viewerMessages);
    expect(await sendUntilRefused(room.moderatorId)).toBe(limits.moderatorMessages);
  });

  it("should hold viewers to the room's followers-only and slow modes, VIPs and moderators exempt", async () => {
    const room = await chat.room();
    const owner = session(room.ownerId);
    await chat.rooms.updateSettings(owner, room.channelId, { followersOnlyMinutes: 10 });
    await expect(messages.send(session(room.viewerId), room.channelId, 'not following', null)).rejects.toMatchObject({
      code: 'CHAT_FOLLOWERS_ONLY',
    });
    await chat.follow(room.channelId, room.ownerId, room.viewerId, new Date(Date.now() - 60_000));
    await expect(messages.send(session(room.viewerId), room.channelId, 'following a minute', null)).rejects.toMatchObject({
      code: 'CHAT_FOLLOWERS_ONLY',
    });
    const veteran = await chat.chatter();
    await chat.follow(room.channelId, room.ownerId, veteran, new Date(Date.now() - 11 * 60_000));
    await expect(messages.send(session(veteran), room.channelId, 'following for long', null)).resolves.toBeDefined();
    await expect(messages.send(session(room.vipId), room.channelId, 'vip', null)).resolves.toBeDefined();

    await chat.rooms.updateSettings(owner, room.channelId, { followersOnlyMinutes: null, slowModeSeconds: 30 });
    await messages.send(session(room.viewerId), room.channelId, 'first', null);
    await expect(messages.send(session(room.viewerId), room.channelId, 'second', null)).rejects.toMatchObject({
      code: 'CHAT_SLOW_MODE',
      retryAfter: expect.any(Number),
    });
    await expect(messages.send(session(room.vipId), room.channelId, 'vip again', null)).resolves.toBeDefined();
    await expect(messages.send(session(room.moderatorId), room.channelId, 'mod', null)).resolves.toBeDefined();
    await expect(messages.send(session(room.moderatorId), room.channelId, 'mod again', null)).resolves.toBeDefined();
  });

  it('should refuse in emote-only mode a message with words, blocked terms, and in unique-chat mode a text anyone sent', async () => {
    const room = await chat.room();
    const owner = session(room.ownerId);
    const code = `Pog${randomUUID().slice(0, 8)}`;
    await emotes.createForChannel(owner, room.channelId, { code, name: 'Pog' });
    await chat.rooms.updateSettings(owner, room.channelId, { emoteOnly: true });
    await expect(messages.send(session(room.viewerId), room.channelId, `${code} nice`, null)).rejects.toMatchObject({
      code: 'CHAT_EMOTE_ONLY',
    });
    await expect(messages.send(session(room.viewerId), room.channelId, `${code} ${code}`, null)).resolves.toBeDefined();

    await chat.rooms.updateSettings(owner, room.channelId, { emoteOnly: false, uniqueChat: true });
    await chat.moderation.addBlockedTerm(owner, room.channelId, 'spoiler');
    await expect(messages.send(session(room.viewerId), room.channelId, 'big SPOILER ahead', null)).rejects.toMatchObject({
      code: 'CHAT_BLOCKED_TERM',
    });
    await messages.send(session(room.vipId), room.channelId, 'first!', null);
    await expect(messages.send(session(room.viewerId), room.channelId, 'FIRST!', null)).rejects.toMatchObject({ code: 'CHAT_UNIQUE_CHAT' });
    await expect(messages.send(session(room.moderatorId), room.channelId, 'first! spoiler', null)).resolves.toBeDefined();
    expect((await chat.outbox(room.channelId, 'chat.message.created.v1')).map((e) => e.data.senderId)).toEqual([
      room.viewerId,
      room.vipId,
      room.moderatorId,
    ]);
  });

  it('should accept a reply only to a live message of the same room', async () => {
    const room = await chat.room();
    const other = await chat.room();
    const viewer = session(room.viewerId);
    const original = await messages.send(viewer, room.channelId, 'question?', null);
    await expect(messages.send(session(room.vipId), room.channelId, 'answer', original.id)).resolves.toMatchObject({
      replyToId: original.id,
    });
    const elsewhere = await messages.send(session(other.viewerId), other.channelId, 'elsewhere', null);
    const gone = await messages.send(viewer, room.channelId, 'soon deleted', null);
    await messages.delete(session(room.moderatorId), room.channelId, gone.id);
    for (const replyToId of [elsewhere.id, gone.id, randomUUID(), 'not-an-id']) {
      await expect(messages.send(session(room.moderatorId), room.channelId, `reply to ${replyToId}`, replyToId)).rejects.toMatchObject({
        code: 'CHAT_MESSAGE_NOT_FOUND',
      });
    }
  });

  it("should page the history newest first, leaving out deleted, cleared and banned senders' messages", async () => {
    const room = await chat.room();
    const owner = session(room.ownerId);
    await messages.send(session(room.viewerId), room.channelId, 'before the clear', null);
    await chat.rooms.clear(owner, room.channelId);
    const sent = [];
    for (const [userId, text] of [
      [room.moderatorId, 'one'],
      [room.vipId, 'two'],
      [room.viewerId, 'three'],
      [room.moderatorId, 'four'],
      [room.ownerId, 'five'],
    ]) {
      sent.push(await messages.send(session(userId), room.channelId, text, null));
    }
    await messages.delete(owner, room.channelId, sent[1].id);
    await chat.moderation.ban(owner, room.channelId, room.viewerId, 600, null);

    const current = await chat.rooms.get(room.channelId);
    const first = await messages.history(current, 2, null);
    expect(first.nodes.map((m) => m.text)).toEqual(['five', 'four']);
    expect(first).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
    const second = await messages.history(current, 2, first.pageInfo.endCursor);
    expect(second.nodes.map((m) => m.text)).toEqual(['one']);
    expect(second.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
    await expect(messages.history(current, 2, 'bm90LWEtY3Vyc29y')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'before' }],
    });
    expect((await messages.history(current, 1_000, null)).nodes).toHaveLength(3);
  });

  it('should let only moderators delete a message, once, emitting chat.message.deleted.v1', async () => {
    const room = await chat.room();
    const message = await messages.send(session(room.viewerId), room.channelId, 'regrettable', null);
    await expect(messages.delete(session(room.vipId), room.channelId, message.id)).rejects.toMatchObject({ code: 'CHAT_NOT_MODERATOR' });
    await expect(messages.delete(identities.oauth(room.moderatorId, ['chat:edit']), room.channelId, message.id)).rejects.toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
    });
    const deleted = await messages.delete(
      identities.oauth(room.moderatorId, ['moderator:manage:chat_messages']),
      room.channelId,
      message.id,
    );
    expect(deleted).toMatchObject({ id: message.id, deletedBy: room.moderatorId, deletedAt: expect.any(Date) });
    await expect(messages.delete(session(room.ownerId), room.channelId, message.id)).rejects.toMatchObject({
      code: 'CHAT_MESSAGE_NOT_FOUND',
    });
    const events = await chat.outbox(room.channelId, 'chat.message.deleted.v1');
    expect(events.map((e) => e.data)).toEqual([
      {
        messageId: message.id,
        channelId: room.channelId,
        senderId: room.viewerId,
        deletedBy: room.moderatorId,
        deletedAt: deleted.deletedAt!.toISOString(),
      },
    ]);
    expect(await messages.byIds([message.id, 'nope'])).toEqual([null, null]);
  });

  it('should answer messages by id in the order asked, null for unknown and malformed ids', async () => {
    const room = await chat.room();
    const a = await messages.send(session(room.viewerId), room.channelId, 'a', null);
    const b = await messages.send(session(room.vipId), room.channelId, 'b', null);
    const found = await messages.byIds([b.id, 'x', a.id, randomUUID(), b.id]);
    expect(found.map((m) => m?.text ?? null)).toEqual(['b', null, 'a', null, 'b']);
  });
  it("should open new rooms in the platform's default modes, keep existing rooms' own, and refuse the global terms in every room", async () => {
    const existing = await chat.room();
    const off: EventOf<'ptfm.defaults.updated.v1'>['data']['chat'] = {
      slowModeSeconds: null,
      followersOnlyMinutes: null,
      subscriberOnly: false,
      emoteOnly: false,
      uniqueChat: false,
      blockedTerms: [],
    };
    const apply = (version: number, defaults: Partial<typeof off>) =>
      chat.projections.defaultsUpdated(
        makeEvent('ptfm.defaults.updated.v1', { version, changedAt: new Date().toISOString(), chat: { ...off, ...defaults } }),
        'spec',
      );
    const held = (await chat.db.prisma.platformDefaults.findUniqueOrThrow({ where: { id: 1 } })).version;
    try {
      expect(await apply(held + 2, { slowModeSeconds: 30, uniqueChat: true, blockedTerms: ['zqglobal'] })).toBe('applied');
      // An older change arriving late changes nothing.
      expect(await apply(held + 1, { emoteOnly: true })).toBe('stale');
      const fresh = await chat.room();
      const modes = (channelId: string) =>
        chat.db.prisma.room.findUniqueOrThrow({
          where: { channelId },
          select: { slowModeSeconds: true, uniqueChat: true, emoteOnly: true },
        });
      expect(await modes(fresh.channelId)).toEqual({ slowModeSeconds: 30, uniqueChat: true, emoteOnly: false });
      expect(await modes(existing.channelId)).toEqual({ slowModeSeconds: null, uniqueChat: false, emoteOnly: false });
      for (const room of [existing, fresh]) {
        await expect(messages.send(session(room.viewerId), room.channelId, 'a ZQGLOBAL here', null)).rejects.toMatchObject({
          code: 'CHAT_BLOCKED_TERM',
        });
      }
      await expect(messages.send(session(existing.viewerId), existing.channelId, 'all fine', null)).resolves.toBeDefined();
    } finally {
      await apply(held + 3, {});
    }
  });
  it("should hold the next messages to the platform's message rate once staff change it, and to the configured one until then", async () => {
    const room = await chat.room();
    const base = {
      slowModeSeconds: null,
      followersOnlyMinutes: null,
      subscriberOnly: false,
      emoteOnly: false,
      uniqueChat: false,
      blockedTerms: [],
    };
    const apply = (version: number, rates: { viewerMessagesPer30s?: number | null }) =>
      chat.projections.defaultsUpdated(
        makeEvent('ptfm.defaults.updated.v1', { version, changedAt: new Date().toISOString(), chat: { ...base, ...rates } }),
        'spec',
      );
    const held = (await chat.db.prisma.platformDefaults.findUniqueOrThrow({ where: { id: 1 } })).version;
    const send = (i: number) => messages.send(session(room.viewerId), room.channelId, `rate ${i}`, null);
    try {
      // The configured rate of this spec: 3.
      for (let i = 0; i < 3; i += 1) await send(i);
      await expect(send(3)).rejects.toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('at most 3 every 30 seconds') });
      expect(await apply(held + 1, { viewerMessagesPer30s: 5 })).toBe('applied');
      await expect(send(4)).resolves.toBeDefined();
      await expect(send(5)).rejects.toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('at most 5 every 30 seconds') });
      // Null (or an event from before the rates were defaults) gives the configured rate back.
      expect(await apply(held + 2, { viewerMessagesPer30s: null })).toBe('applied');
      await expect(send(6)).rejects.toMatchObject({ message: expect.stringContaining('at most 3 every 30 seconds') });
    } finally {
      await apply(held + 3, {});
    }
  });
});
