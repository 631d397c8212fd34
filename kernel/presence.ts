import type { Redis } from 'ioredis';

/**
 * Who can be told of a notification at once: a Redis sorted set whose members are user ids and whose scores say
 * until when (milliseconds since the epoch) each counts as connected. rt-gtw instances write it for the users holding
 * a `notifications` subscription, when they subscribe and again on a timer; the go-live fan-out reads it to write
 * the connected followers' notifications before anyone else's. Nothing of record: an entry outlives its socket by
 * at most the TTL, and a follower missing from it only gets their notification in their slice's turn.
 */
export const presenceKey = (prefix: string) => `${prefix}presence`;

/** How long a mark holds; rt-gtw renews its users' marks three times within it. */
export const PRESENCE_TTL_MS = 30_000;

/** Members per ZADD, so that renewing many users' marks never sends one huge command. */
const CHUNK = 1_000;

export class PresenceWriter {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Marks these users connected for the next TTL, and drops the marks that have lapsed. */
  async mark(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const until = this.now() + PRESENCE_TTL_MS;
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < userIds.length; i += CHUNK) {
      pipeline.zadd(this.key, ...userIds.slice(i, i + CHUNK).flatMap((id) => [until, id]));
    }
    pipeline.zremrangebyscore(this.key, '-inf', this.now());
    pipeline.pexpire(this.key, PRESENCE_TTL_MS);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
  }
}

/** The users marked connected now. */
export async function connectedUsers(redis: Redis, key: string, now = Date.now()): Promise<string[]> {
  return redis.zrangebyscore(key, `(${now}`, '+inf');
}
