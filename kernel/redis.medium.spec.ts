import { Writable } from 'node:stream';
import { pino } from 'pino';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { eventually } from '../test/support/eventually';
import { type RedisServer, startRedisServer } from '../test/support/redis-server';
import { connectRedis, redisReady, sharedLimiter } from './redis';

/** A Redis of the test's own is stopped and started again under a client and a limiter. */
describe('Redis outages', () => {
  let server: RedisServer;
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'error' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  );

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('should keep limiting in-process while Redis is away, and log the outage once when it begins and once when it ends', async () => {
    const redis = await connectRedis(server.url, logger, 'limits count in this instance only');
    await eventually(() => redisReady(redis), 15_000, 'Redis connected');
    const limiter = sharedLimiter(redis, { keyPrefix: `test:${Date.now()}`, points: 3, duration: 60 });
    await limiter.consume('shared');
    expect(await redis.keys('test:*')).toHaveLength(1);

    await server.stop();
    await eventually(() => !redisReady(redis), 15_000, 'Redis gone');
    const during = Date.now();
    for (let i = 0; i < 3; i += 1) await limiter.consume('alone');
    await expect(limiter.consume('alone')).rejects.toBeInstanceOf(RateLimiterRes);
    // No command waits for a reconnect: the fallback answers at once.
    expect(Date.now() - during).toBeLessThan(1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    await server.start();
    await eventually(() => redisReady(redis), 15_000, 'Redis back');
    await limiter.consume('shared');
    expect(await redis.keys('test:*')).toHaveLength(1);
    redis.disconnect();

    const outage = lines.filter((line) => line.msg.startsWith('Redis unavailable'));
    expect(outage).toEqual([expect.objectContaining({ level: 50, msg: 'Redis unavailable: limits count in this instance only' })]);
    expect(lines.filter((line) => line.msg.startsWith('Redis available again'))).toHaveLength(1);
  }, 30_000);
});
