import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { whenRedisReady } from '../../../../kernel/redis';
import { LoginLimiter } from './login-limiter';

/**
 * Two instances of the user domain sharing Redis, as user-store-svc runs in production: concurrent guesses at one
 * account are counted before any is checked, so no more get checked than the limit allows, whichever instance
 * takes them.
 */
describe(`${LoginLimiter.name} with Redis`, () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  const limits = { accountFailures: 5, accountLockSeconds: 900, attemptsPerIpPerMinute: 1000 };
  const instances = [new LoginLimiter(limits, redis), new LoginLimiter(limits, redis)];

  // Until it has connected a limiter counts in its own instance, as during an outage (kernel/redis.ts).
  beforeAll(() => whenRedisReady(redis));
  afterAll(() => redis.quit());

  const outcomes = async (attempt: (limiter: LoginLimiter) => Promise<void>) => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => attempt(instances[i % 2])));
    return results.map((r) => (r.status === 'fulfilled' ? 'checked' : (r.reason as { code: string }).code));
  };

  it('should let 5 of 20 concurrent password guesses at one account through, across both instances', async () => {
    const login = `guess_${randomUUID()}`;
    const seen = await outcomes((limiter) => limiter.beforeAttempt(login, '203.0.113.7'));
    expect(seen.filter((o) => o === 'checked')).toHaveLength(5);
    expect(seen.filter((o) => o === 'RATE_LIMITED')).toHaveLength(15);
  });

  it('should give the account its attempts back once the password was right', async () => {
    const login = `right_${randomUUID()}`;
    for (let i = 0; i < 4; i += 1) await instances[i % 2].beforeAttempt(login, undefined);
    await instances[0].succeeded(login);
    const seen = await outcomes((limiter) => limiter.beforeAttempt(login, undefined));
    expect(seen.filter((o) => o === 'checked')).toHaveLength(5);
  });

  it('should let 5 of 20 concurrent second-factor guesses through, across both instances', async () => {
    const userId = randomUUID();
    const seen = await outcomes((limiter) => limiter.beforeSecondFactor(userId));
    expect(seen.filter((o) => o === 'checked')).toHaveLength(5);
  });
});
