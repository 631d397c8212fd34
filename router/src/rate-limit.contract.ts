import type { RateLimiter } from './rate-limit';

export const contractPolicy = { points: 3, windowSeconds: 3600 };

/**
 * One suite for both token buckets, in Redis (shared by router instances) and in-process (the embedded default):
 * `make` builds a limiter with `contractPolicy`.
 */
export function describeTokenBucket(name: string, make: () => { limiter: RateLimiter; close(): Promise<void> }): void {
  describe(`${name} token bucket`, () => {
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
}
