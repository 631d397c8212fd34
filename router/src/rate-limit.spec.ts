import { memoryRateLimiter, rateLimitHeaders } from './rate-limit';
import { contractPolicy as policy, describeTokenBucket } from './rate-limit.contract';

describeTokenBucket('memory', () => ({ limiter: memoryRateLimiter(policy), close: async () => {} }));

describe(rateLimitHeaders.name, () => {
  it('writes the IETF fields, and Retry-After when refused', () => {
    expect(rateLimitHeaders(policy, { allowed: false, remaining: 0, resetSeconds: 3600, retryAfterSeconds: 1200 })).toEqual({
      'ratelimit-policy': '"public";q=3;w=3600',
      ratelimit: '"public";r=0;t=3600',
      'retry-after': '1200',
    });
  });
});
