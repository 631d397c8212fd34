import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { memoryRateLimiter, rateLimitHeaders, redisRateLimiter, type RateLimiter } from './rate-limit';

const policy = { points: 3, windowSeconds: 3600 };

/** The same bucket, in Redis (shared by router instances) and in-process (the embedded default). */
describe.each([
  ['memory', () => ({ limiter: memoryRateLimiter(policy), close: async () => {} })],
  [
    'redis',
    () => {
      const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
      return { limiter: redisRateLimiter(redis, policy, `test:${randomBytes(6).toString('hex')}`), close: async () => void (await redis.quit()) };
    },
  ],
])('%s token bucket', (_name, make) => {
  let limiter: RateLimiter;
  let close: () => Promise<void>;

  beforeAll(() => {
    ({ limiter, close } = make());
  });

  afterAll(() => close());

  it('takes one point per request, refuses when empty, and keeps buckets apart', async () => {
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.take('app:user'));
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(decisions[3].retryAfterSeconds).toBeGreaterThan(0);
    expect(decisions[3].retryAfterSeconds).toBeLessThanOrEqual(1200);
    expect((await limiter.take('app:other-user')).allowed).toBe(true);
  });
});

describe(rateLimitHeaders.name, () => {
  it('writes the IETF fields, and Retry-After when refused', () => {
    expect(rateLimitHeaders(policy, { allowed: false, remaining: 0, resetSeconds: 3600, retryAfterSeconds: 1200 })).toEqual({
      'ratelimit-policy': '"public";q=3;w=3600',
      ratelimit: '"public";r=0;t=3600',
      'retry-after': '1200',
    });
  });
});
