import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { pino } from 'pino';
import { connectRedis, redisReady } from '../../kernel/redis';
import { eventually } from '../../test/support/eventually';
import { type RedisServer, startRedisServer } from '../../test/support/redis-server';
import { redisRateLimiter, sharedRateLimiter } from './rate-limit';
import { contractPolicy as policy, describeTokenBucket } from './rate-limit.contract';

describeTokenBucket('redis', () => {
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  return {
    limiter: redisRateLimiter(redis, policy, `test:${randomBytes(6).toString('hex')}`),
    close: async () => void (await redis.quit()),
  };
});

describe('the shared rate limiter while Redis is away', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('should go on limiting in this instance, never failing a request, and count in Redis again once it is back', async () => {
    const redis = await connectRedis(server.url, pino({ level: 'silent' }), 'counted in this instance');
    await eventually(() => redisReady(redis), 15_000, 'Redis connected');
    const limiter = sharedRateLimiter(redis, policy, 'outage');
    await limiter.take('client');
    expect(await redis.exists('outage:client')).toBe(1);

    await server.stop();
    await eventually(() => !redisReady(redis), 15_000, 'Redis gone');
    const decisions = [];
    for (let i = 0; i <= policy.points; i += 1) decisions.push(await limiter.take('client'));
    expect(decisions.slice(0, policy.points).every((d) => d.allowed)).toBe(true);
    expect(decisions[policy.points].allowed).toBe(false);

    await server.start();
    await eventually(() => redisReady(redis), 15_000, 'Redis back');
    expect((await limiter.take('client')).allowed).toBe(true);
    expect(await redis.exists('outage:client')).toBe(1);
    redis.disconnect();
  }, 30_000);
});
