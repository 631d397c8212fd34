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
 * once when it ends, never per command or per reconnect attempt. Resolves once connected, or after `timeoutMs`
 * without (the process then starts degraded), so that a process counts in Redis from its first request.
 */
export async function connectRedis(url: string, logger: Logger, whileDown: string, timeoutMs = 5_000): Promise<Redis> {
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
  await whenRedisReady(redis, timeoutMs);
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

/**
 * Waits until the client has connected, for at most `timeoutMs`: a process starts counting in Redis from its first
 * request when Redis is there, and starts anyway, degraded (the outage logged), when it is not.
 */
export async function whenRedisReady(redis: Redis, timeoutMs = 5_000): Promise<boolean> {
  if (redisReady(redis)) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', ready);
      resolve(false);
    }, timeoutMs);
    const ready = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', ready);
  });
}
