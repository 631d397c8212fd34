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
/** The highest rate staff may set in the platform's defaults (subgraphs/ptfm/limits.json). */
const PLATFORM_MAXIMUM = 1000;

/**
 * Message rate per sender and room, at the platform's current limits (ptfm.defaults.updated.v1) or, until staff set
 * them, the configured ones. The counters hold up to the highest limit allowed and the limit is compared to the
 * count, so a change of limit applies to the very next message and keeps what was already counted. With Redis the counts hold across every instance of the chat domain (a
 * client spreading its messages over instances gains nothing); in-process they hold in one (the embedded default,
 * and every instance while Redis is away).
 */
export class ChatLimiter {
  private readonly viewer: RateLimiterAbstract;
  private readonly moderator: RateLimiterAbstract;

  constructor(
    private readonly configured: ChatLimits,
    redis?: Redis,
    prefix = 'chat',
  ) {
    const points = Math.max(PLATFORM_MAXIMUM, configured.viewerMessages, configured.moderatorMessages);
    const viewer = { keyPrefix: `${prefix}:rate:viewer`, points, duration: WINDOW_SECONDS };
    const moderator = { keyPrefix: `${prefix}:rate:moderator`, points, duration: WINDOW_SECONDS };
    this.viewer = redis ? sharedLimiter(redis, viewer) : new RateLimiterMemory(viewer);
    this.moderator = redis ? sharedLimiter(redis, moderator) : new RateLimiterMemory(moderator);
  }

  /** Counts one message, or refuses it with RATE_LIMITED and the seconds until the window lets one more through. */
  async consume(channelId: string, userId: string, privileged: boolean, platform: Partial<ChatLimits> = {}): Promise<void> {
    const limiter = privileged ? this.moderator : this.viewer;
    const allowed = privileged
      ? (platform.moderatorMessages ?? this.configured.moderatorMessages)
      : (platform.viewerMessages ?? this.configured.viewerMessages);
    const counted = await limiter.consume(`${channelId}:${userId}`).catch((error: unknown) => {
      if (error instanceof RateLimiterRes) return error;
      throw error;
    });
    if (counted.consumedPoints > allowed) {
      throw new DomainError('RATE_LIMITED', `too many messages: at most ${allowed} every ${WINDOW_SECONDS} seconds`, {
        retryAfter: Math.max(1, Math.ceil(counted.msBeforeNext / 1000)),
      });
    }
  }
}
