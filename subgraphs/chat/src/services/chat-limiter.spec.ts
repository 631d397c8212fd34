import { randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { DomainError } from '../../../../kernel/errors';
import { ChatLimiter } from './chat-limiter';

const limits = { viewerMessages: 3, moderatorMessages: 5 };

async function sendUntilRefused(limiter: ChatLimiter, channelId: string, userId: string, privileged: boolean) {
  for (let sent = 0; sent < 100; sent += 1) {
    try {
      await limiter.consume(channelId, userId, privileged);
    } catch (error) {
      return { sent, error: error as DomainError };
    }
  }
  throw new Error('never refused');
}

describe('ChatLimiter', () => {
  it('should allow viewers and moderators their own number of messages, then refuse with Retry-After', async () => {
    const limiter = new ChatLimiter(limits);
    const channelId = randomUUID();
    const viewer = await sendUntilRefused(limiter, channelId, randomUUID(), false);
    expect(viewer.sent).toBe(3);
    expect(viewer.error).toBeInstanceOf(DomainError);
    expect(viewer.error.code).toBe('RATE_LIMITED');
    expect(viewer.error.retryAfter).toBeGreaterThanOrEqual(1);
    expect(viewer.error.retryAfter).toBeLessThanOrEqual(30);
    expect((await sendUntilRefused(limiter, channelId, randomUUID(), true)).sent).toBe(5);
  });

  it('should count each room separately', async () => {
    const limiter = new ChatLimiter(limits);
    const userId = randomUUID();
    expect((await sendUntilRefused(limiter, randomUUID(), userId, false)).sent).toBe(3);
    expect((await sendUntilRefused(limiter, randomUUID(), userId, false)).sent).toBe(3);
  });

  it('should share the count between instances through Redis', async () => {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
    const prefix = `test-${randomBytes(6).toString('hex')}`;
    try {
      const [a, b] = [new ChatLimiter(limits, redis, prefix), new ChatLimiter(limits, redis, prefix)];
      const channelId = randomUUID();
      const userId = randomUUID();
      await a.consume(channelId, userId, false);
      await b.consume(channelId, userId, false);
      await a.consume(channelId, userId, false);
      await expect(b.consume(channelId, userId, false)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    } finally {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });
});
