import { randomUUID } from 'node:crypto';
import { startChatServices, type ChatServices } from '../../../../test/support/chat';
import { identities } from '../../../../test/support/identities';
import { ChatLimiter } from './chat-limiter';
import { type MessageDraft, MessageWriter } from './message-writer';
import { MessagesService } from './messages.service';

const { session } = identities;

/** Group commit of chat messages against a real PostgreSQL: what is stored together, in which order, and what is refused. */
describe(MessageWriter.name, () => {
  let chat: ChatServices;

  beforeAll(async () => {
    chat = await startChatServices({ viewerMessages: 1000, moderatorMessages: 1000 });
  });

  afterAll(() => chat?.close());

  const draft = (channelId: string, senderId: string, text: string): MessageDraft => ({
    id: randomUUID(),
    channelId,
    senderId,
    senderLogin: 'sender',
    senderDisplayName: 'Sender',
    text,
    comparableText: text,
    replyToId: null,
    fragments: [{ type: 'text', text, emoteId: null, userId: null }],
    badges: [],
    headers: {},
  });

  /** The transactions that stored the room's messages (PostgreSQL's xmin: one per transaction). */
  const transactions = async (channelId: string) =>
    new Set(
      (
        await chat.db.prisma.$queryRaw<{ tx: string }[]>`SELECT xmin::text AS tx FROM chat.message WHERE channel_id = ${channelId}::uuid`
      ).map((r) => r.tx),
    ).size;

  it('should store the messages accepted together in one transaction, in order, each with its event, answering each once committed', async () => {
    const room = await chat.room();
    const writer = new MessageWriter(chat.db.prisma);
    const texts = Array.from({ length: 10 }, (_, i) => `together ${i}`);

    const stored = await Promise.all(texts.map((text) => writer.write(draft(room.channelId, room.ownerId, text))));

    expect(stored.map((m) => m.text)).toEqual(texts);
    expect(await transactions(room.channelId)).toBe(1);
    const rows = await chat.db.prisma.message.findMany({
      where: { channelId: room.channelId },
      orderBy: [{ sentAt: 'asc' }, { id: 'asc' }],
    });
    expect(rows.map((m) => m.id)).toEqual(stored.map((m) => m.id));
    expect(rows.map((m) => m.sentAt)).toEqual(stored.map((m) => m.sentAt));
    const events = await chat.outbox(room.channelId, 'chat.message.created.v1');
    expect(events.map((e) => e.data.messageId)).toEqual(stored.map((m) => m.id));
    expect(events.map((e) => e.data.sentAt)).toEqual(stored.map((m) => m.sentAt.toISOString()));
  });

  it('should fail only the message the database refuses when it shares a batch with others', async () => {
    const room = await chat.room();
    const writer = new MessageWriter(chat.db.prisma);
    const taken = await writer.write(draft(room.channelId, room.ownerId, 'first'));

    const results = await Promise.allSettled([
      writer.write(draft(room.channelId, room.ownerId, 'before')),
      writer.write({ ...draft(room.channelId, room.ownerId, 'same id'), id: taken.id }),
      writer.write(draft(room.channelId, room.ownerId, 'after')),
    ]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const events = await chat.outbox(room.channelId, 'chat.message.created.v1');
    expect(events.map((e) => e.data.text)).toEqual(['first', 'before', 'after']);
    expect(await chat.db.prisma.message.count({ where: { channelId: room.channelId } })).toBe(3);
  });

  it('should keep each room in the order of its history and outbox under concurrent senders', async () => {
    const room = await chat.room();
    const senders = [room.ownerId, room.moderatorId, room.vipId];
    const sent = await Promise.all(
      senders.map(async (senderId) => {
        const ids: string[] = [];
        for (let i = 0; i < 15; i += 1)
          ids.push((await chat.messages.send(session(senderId), room.channelId, `${senderId} ${i}`, null)).id);
        return ids;
      }),
    );

    const history = (await chat.messages.history(await chat.rooms.get(room.channelId), 100, null)).nodes.reverse();
    const events = await chat.outbox(room.channelId, 'chat.message.created.v1');
    expect(events.map((e) => e.data.messageId)).toEqual(history.map((m) => m.id));
    for (let i = 1; i < history.length; i += 1) expect(history[i].sentAt.getTime()).toBeGreaterThan(history[i - 1].sentAt.getTime());
    for (const [s, senderId] of senders.entries()) {
      expect(history.filter((m) => m.senderId === senderId).map((m) => m.id)).toEqual(sent[s]);
    }
  });

  it('should refuse inside a batch what a limit or a rule refuses, storing the rest', async () => {
    const room = await chat.room();
    const messages = new MessagesService(chat.db.prisma, chat.rooms, new ChatLimiter({ viewerMessages: 2, moderatorMessages: 2 }));
    const owner = session(room.ownerId);

    const rated = await Promise.allSettled(['one', 'two', 'three', 'four'].map((text) => messages.send(owner, room.channelId, text, null)));
    expect(rated.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(rated.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual([
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);

    const vip = session(room.vipId);
    const twice = await Promise.allSettled([
      chat.messages.send(vip, room.channelId, 'same text', null),
      chat.messages.send(vip, room.channelId, 'SAME TEXT', null),
    ]);
    expect(twice.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(twice.map((r) => (r.status === 'rejected' ? r.reason.code : 'stored')).sort()).toEqual(['CHAT_DUPLICATE', 'stored']);

    await chat.rooms.updateSettings(owner, room.channelId, { slowModeSeconds: 30 });
    const slow = await Promise.allSettled([
      chat.messages.send(session(room.viewerId), room.channelId, 'slow one', null),
      chat.messages.send(session(room.viewerId), room.channelId, 'slow two', null),
    ]);
    expect(slow.map((r) => (r.status === 'rejected' ? r.reason.code : 'stored')).sort()).toEqual(['CHAT_SLOW_MODE', 'stored']);

    const stored = (await chat.outbox(room.channelId, 'chat.message.created.v1')).map((e) => e.data.text);
    expect(stored).toHaveLength(2 + 1 + 1);
    expect(await chat.db.prisma.message.count({ where: { channelId: room.channelId } })).toBe(stored.length);
  });

  it('should store once and publish once a message whose sender crashed between the commit and the answer and retried', async () => {
    const room = await chat.room();
    const owner = session(room.ownerId);
    // The first process stores the message, then dies before answering: its answer is never read.
    const firstProcess = new MessagesService(chat.db.prisma, chat.rooms, new ChatLimiter({ viewerMessages: 10, moderatorMessages: 10 }));
    const stored = await firstProcess.send(owner, room.channelId, 'did it arrive?', null);

    // The sender retries on another (restarted) process, with a writer of its own.
    const restarted = new MessagesService(chat.db.prisma, chat.rooms, new ChatLimiter({ viewerMessages: 10, moderatorMessages: 10 }));
    await expect(restarted.send(owner, room.channelId, 'did it arrive?', null)).rejects.toMatchObject({ code: 'CHAT_DUPLICATE' });

    const events = await chat.outbox(room.channelId, 'chat.message.created.v1');
    expect(events.map((e) => e.data.messageId)).toEqual([stored.id]);
    expect(await chat.db.prisma.message.count({ where: { channelId: room.channelId } })).toBe(1);
  });
});
