import { randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { whenRedisReady } from '../../../../kernel/redis';
import { startChatServices, type ChatServices } from '../../../../test/support/chat';
import { identities } from '../../../../test/support/identities';
import { ChatLimiter } from './chat-limiter';
import { MessagesService } from './messages.service';
import { RefusalCounter } from './refusals';

const WINDOW_SECONDS = 600;
/**
 * A time well inside one window, and one past its end and the grace. The window lies in the future: a counter's own
 * tick flushes with the real clock, and would report a past window in the middle of a case.
 */
const at = Date.UTC(2100, 10, 28, 3, 1, 0);
const closed = Date.UTC(2100, 10, 28, 3, 10, 2);

/** Refused messages counted per user and window, in a real Redis and reported to a real chat outbox. */
describe(RefusalCounter.name, () => {
  let chat: ChatServices;
  let redis: Redis;
  const counters: RefusalCounter[] = [];
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  const counter = (redisClient: Redis | undefined, reportAt = 5) => {
    const made = new RefusalCounter(chat.db.prisma, { windowSeconds: WINDOW_SECONDS, reportAt, prefix }, redisClient);
    counters.push(made);
    return made;
  };
  const reports = async (userId: string) =>
    (await chat.db.prisma.outboxEvent.findMany({ where: { key: userId, topic: 'chat.messages.refused.v1' } })).map(
      (row) => (row.payload as { data: Record<string, unknown> }).data,
    );

  beforeAll(async () => {
    chat = await startChatServices();
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
    await whenRedisReady(redis);
  });

  afterAll(async () => {
    for (const made of counters) made.stop();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await chat?.close();
  });

  it('sums a flood refused on two instances into one event per window, written only once the window has closed', async () => {
    const [a, b] = [counter(redis), counter(redis)];
    const userId = randomUUID();
    const codes = ['RATE_LIMITED', 'CHAT_SLOW_MODE', 'CHAT_BANNED'];
    for (let i = 0; i < 300; i++) await (i % 2 ? b : a).refused(userId, codes[i % 3], undefined, at + i);
    // Answers that are not a rule broken are no refusal.
    await a.refused(userId, 'CHAT_ROOM_NOT_FOUND', undefined, at);
    await b.refused(userId, 'VALIDATION_FAILED', undefined, at);

    // Only the instance that counted the window's first refusal holds it.
    expect([a.pendingCount, b.pendingCount]).toEqual([1, 0]);
    expect(await a.flush(at + 1000)).toBe(0);
    expect(await reports(userId)).toEqual([]);

    expect(await b.flush(closed)).toBe(0);
    expect(await a.flush(closed)).toBe(1);
    expect(await a.flush(closed + 60_000)).toBe(0);
    expect(await reports(userId)).toEqual([
      {
        userId,
        windowStart: '2100-11-28T03:00:00.000Z',
        windowEnd: '2100-11-28T03:10:00.000Z',
        count: 300,
        reasons: { RATE_LIMITED: 100, CHAT_SLOW_MODE: 100, CHAT_BANNED: 100 },
      },
    ]);
  });

  it('does not report a window with fewer refusals than the report threshold, and reports each window of its own', async () => {
    const a = counter(redis, 3);
    const [quiet, loud] = [randomUUID(), randomUUID()];
    for (let i = 0; i < 2; i++) await a.refused(quiet, 'CHAT_SLOW_MODE', undefined, at);
    for (let i = 0; i < 3; i++) await a.refused(loud, 'CHAT_BLOCKED_TERM', undefined, at);
    for (let i = 0; i < 4; i++) await a.refused(loud, 'CHAT_BLOCKED_TERM', undefined, closed);
    expect(await a.flush(closed + WINDOW_SECONDS * 1000)).toBe(2);
    expect(await reports(quiet)).toEqual([]);
    expect((await reports(loud)).map((r) => r.count).sort()).toEqual([3, 4]);
    expect(a.pendingCount).toBe(0);
  });

  it('counts in its own process while Redis is away, and still reports', async () => {
    const away = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, enableOfflineQueue: false });
    const a = counter(away);
    const userId = randomUUID();
    for (let i = 0; i < 6; i++) await a.refused(userId, 'RATE_LIMITED', undefined, at);
    expect(await a.flush(closed)).toBe(1);
    expect(await reports(userId)).toEqual([expect.objectContaining({ count: 6, reasons: { RATE_LIMITED: 6 } })]);
    away.disconnect();
  });

  it('counts the messages MessagesService refuses, and not the accepted ones', async () => {
    const refusals = counter(redis, 1);
    const messages = new MessagesService(
      chat.db.prisma,
      chat.rooms,
      new ChatLimiter({ viewerMessages: 2, moderatorMessages: 5 }),
      refusals,
    );
    const room = await chat.room();
    const viewer = identities.session(room.viewerId);
    await messages.send(viewer, room.channelId, 'one', null);
    await messages.send(viewer, room.channelId, 'two', null);
    for (const text of ['three', 'four', 'five'])
      await expect(messages.send(viewer, room.channelId, text, null)).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    await expect(messages.send(viewer, room.channelId, 'two', null)).rejects.toMatchObject({ extensions: { code: 'CHAT_DUPLICATE' } });
    await refusals.flush(Date.now() + (WINDOW_SECONDS + 2) * 1000);
    // Summed over the reports: the wall clock may have crossed a window's end meanwhile.
    const reported = await reports(room.viewerId);
    const reasons: Record<string, number> = {};
    for (const r of reported) for (const [code, n] of Object.entries(r.reasons as object)) reasons[code] = (reasons[code] ?? 0) + n;
    expect(reasons).toEqual({ RATE_LIMITED: 3, CHAT_DUPLICATE: 1 });
    expect(reported.reduce((sum, r) => sum + (r.count as number), 0)).toBe(4);
  });
});
