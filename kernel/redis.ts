import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from './log';

/**
 * The Redis client of a process. Redis holds what every instance of a process shares and nothing of record (limit
 * counts, viewer counts), so losing it degrades a process without stopping it: each user of the client falls back
 * to counting in-process (README, "Redis outages") and the process stays ready.
 *
 * Commands fail at once while the connection is down (no offline queue), so no request waits on a reconnect; ioredis
 * keeps reconnecting by itself. The outage is logged once when it begins, with what it means for this process, and
 * once when it ends, never per command or per reconnect attempt.
 */
export function connectRedis(url: string, logger: Logger, whileDown: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.error({ err: error }, `Redis unavailable: ${whileDown}`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    // At the outage's own level, so that whoever saw it begin sees it end.
    logger.error('Redis available again: shared counts resume');
  });
  return redis;
}

/** Until a client created with connectRedis has connected once, or while it is reconnecting, its commands fail. */
export const redisReady = (redis: Redis) => redis.status === 'ready';

/**
 * A rate-limiter-flexible limiter counted in Redis for every instance, and in this instance alone whenever Redis
 * cannot answer: an outage never lifts the limit nor fails the request.
 */
export function sharedLimiter(redis: Redis, options: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract {
  return new RateLimiterRedis({
    ...options,
    storeClient: redis,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory(options),
  });
}
