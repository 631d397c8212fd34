import { randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { whenRedisReady } from '../../../../kernel/redis';
import { ChatLimiter } from './chat-limiter';

const limits = { viewerMessages: 3, moderatorMessages: 5 };

describe('ChatLimiter in Redis', () => {
  it('should share the count between instances through Redis', async () => {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
    const prefix = `test-${randomBytes(6).toString('hex')}`;
    // Until it has connected a limiter counts in its own instance, as during an outage (kernel/redis.ts).
    await whenRedisReady(redis);
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
