import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { connectedUsers, PRESENCE_TTL_MS, PresenceWriter, presenceKey } from './presence';

/** The presence set on the real Redis: marks hold for the TTL, lapse after it, and many users go in chunks. */
describe('presence', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const key = presenceKey(`t${randomBytes(4).toString('hex')}:rt:`);

  afterAll(async () => {
    await redis.del(key);
    await redis.quit();
  });

  it('should list the users marked within the TTL, drop lapsed marks, and mark thousands at once', async () => {
    let clock = Date.parse('2026-11-27T20:00:00Z');
    const writer = new PresenceWriter(redis, key, () => clock);
    const early = randomUUID();
    await writer.mark([early]);
    clock += PRESENCE_TTL_MS / 2;
    const many = Array.from({ length: 2_500 }, () => randomUUID());
    await writer.mark(many);

    expect(new Set(await connectedUsers(redis, key, clock))).toEqual(new Set([early, ...many]));
    clock += PRESENCE_TTL_MS / 2;
    expect(await connectedUsers(redis, key, clock)).toHaveLength(2_500);
    await writer.mark([randomUUID()]);
    // The lapsed mark is gone from the set itself, not only filtered out.
    expect(await redis.zscore(key, early)).toBeNull();
    expect(await redis.zcard(key)).toBe(2_501);
  });
});
