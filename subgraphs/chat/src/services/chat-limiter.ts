import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { sharedLimiter } from '../../../../kernel/redis';
import { DomainError } from '../../../../kernel/errors';

export interface ChatLimits {
  /** Messages a viewer may send to one room per 30 seconds. */
  viewerMessages: number;
  /** Messages the broadcaster and the room's moderators may send per 30 seconds. */
  moderatorMessages: number;
}

export const DEFAULT_CHAT_LIMITS: ChatLimits = { viewerMessages: 20, moderatorMessages: 100 };
const WINDOW_SECONDS = 30;

/**
 * Message rate per sender and room. With Redis the counts hold across every instance of the chat domain (a
 * client spreading its messages over instances gains nothing); in-process they hold in one (the embedded default,
 * and every instance while Redis is away).
 */
export class ChatLimiter {
  private readonly viewer: RateLimiterAbstract;
  private readonly moderator: RateLimiterAbstract;

  constructor(limits: ChatLimits, redis?: Redis, prefix = 'chat') {
    const viewer = { keyPrefix: `${prefix}:rate:viewer`, points: limits.viewerMessages, duration: WINDOW_SECONDS };
    const moderator = { keyPrefix: `${prefix}:rate:moderator`, points: limits.moderatorMessages, duration: WINDOW_SECONDS };
    this.viewer = redis ? sharedLimiter(redis, viewer) : new RateLimiterMemory(viewer);
    this.moderator = redis ? sharedLimiter(redis, moderator) : new RateLimiterMemory(moderator);
  }

  /** Counts one message, or refuses it with RATE_LIMITED and the seconds until the window lets one more through. */
  async consume(channelId: string, userId: string, privileged: boolean): Promise<void> {
    const limiter = privileged ? this.moderator : this.viewer;
    await limiter.consume(`${channelId}:${userId}`).catch((error: unknown) => {
      if (error instanceof RateLimiterRes) {
        throw new DomainError('RATE_LIMITED', `too many messages: at most ${limiter.points} every ${WINDOW_SECONDS} seconds`, {
          retryAfter: Math.max(1, Math.ceil(error.msBeforeNext / 1000)),
        });
      }
      throw error;
    });
  }
}
