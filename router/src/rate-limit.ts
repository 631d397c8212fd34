import type Redis from 'ioredis';
import { redisReady } from '../../kernel/redis';

/**
 * The Public API's limit: a token bucket per (client, user), like Helix's. It refills continuously at
 * `points / windowSeconds` a second up to `points`; each request takes one. With Redis every router instance draws
 * from the same bucket (one atomic script, on Redis's clock so instances' clocks do not matter); without it, the
 * bucket lives in this process (the embedded default).
 */
export interface RateLimitPolicy {
  points: number;
  windowSeconds: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** When refused: seconds until one request fits. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  take(key: string): Promise<RateLimitDecision>;
}

const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms))
return { allowed, tostring(tokens) }
`;

type TakeCommand = (key: string, capacity: number, perMs: number) => Promise<[number, string]>;

function decide(policy: RateLimitPolicy, allowed: boolean, tokens: number): RateLimitDecision {
  const perSecond = policy.points / policy.windowSeconds;
  return {
    allowed,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.ceil((policy.points - tokens) / perSecond),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perSecond)),
  };
}

export function redisRateLimiter(redis: Redis, policy: RateLimitPolicy, keyPrefix: string): RateLimiter {
  redis.defineCommand('takeFromBucket', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  const take = (redis as unknown as { takeFromBucket: TakeCommand }).takeFromBucket.bind(redis);
  const perMs = policy.points / (policy.windowSeconds * 1000);
  return {
    async take(key) {
      const [allowed, tokens] = await take(`${keyPrefix}:${key}`, policy.points, perMs);
      return decide(policy, allowed === 1, Number(tokens));
    },
  };
}

/**
 * Counted in Redis for every instance, and in this instance alone whenever Redis cannot answer (the outage is
 * logged once by its client): an outage never lifts the limit nor fails the request.
 */
export function sharedRateLimiter(redis: Redis, policy: RateLimitPolicy, keyPrefix: string): RateLimiter {
  const shared = redisRateLimiter(redis, policy, keyPrefix);
  const local = memoryRateLimiter(policy);
  return {
    take: (key) => (redisReady(redis) ? shared.take(key).catch(() => local.take(key)) : local.take(key)),
  };
}

export function memoryRateLimiter(policy: RateLimitPolicy): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = policy.points / (policy.windowSeconds * 1000);
  return {
    async take(key) {
      const now = Date.now();
      const bucket = buckets.get(key) ?? { tokens: policy.points, at: now };
      bucket.tokens = Math.min(policy.points, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      const allowed = bucket.tokens >= 1;
      if (allowed) bucket.tokens -= 1;
      buckets.set(key, bucket);
      return decide(policy, allowed, bucket.tokens);
    },
  };
}

/** The IETF RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers), for one named policy. */
export function rateLimitHeaders(policy: RateLimitPolicy, decision: RateLimitDecision, name = 'public'): Record<string, string> {
  return {
    'ratelimit-policy': `"${name}";q=${policy.points};w=${policy.windowSeconds}`,
    ratelimit: `"${name}";r=${decision.remaining};t=${decision.resetSeconds}`,
    ...(decision.allowed ? {} : { 'retry-after': String(decision.retryAfterSeconds) }),
  };
}
