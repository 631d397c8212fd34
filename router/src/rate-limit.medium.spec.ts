import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { redisRateLimiter } from './rate-limit';
import { contractPolicy as policy, describeTokenBucket } from './rate-limit.contract';

describeTokenBucket('redis', () => {
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  return {
    limiter: redisRateLimiter(redis, policy, `test:${randomBytes(6).toString('hex')}`),
    close: async () => void (await redis.quit()),
  };
});
