import type Redis from 'ioredis';
import type { Logger } from '../../../../kernel/log';
import { redisReady } from '../../../../kernel/redis';
import { recordEvent } from '../data/db';
import type { PrismaClient } from '../data/prisma/client';

/** The answers that refuse a message for a rule the sender broke, which account analysis counts. */
export const REFUSAL_CODES: ReadonlySet<string> = new Set([
  'RATE_LIMITED',
  'USER_EMAIL_NOT_VERIFIED',
  'CHAT_BANNED',
  'CHAT_TIMED_OUT',
  'CHAT_FOLLOWERS_ONLY',
  'CHAT_SUBSCRIBERS_ONLY',
  'CHAT_EMOTE_ONLY',
  'CHAT_SLOW_MODE',
  'CHAT_BLOCKED_TERM',
  'CHAT_UNIQUE_CHAT',
  'CHAT_DUPLICATE',
]);

export interface RefusalSettings {
  /** The length of a counting window; windows start at multiples of it since the epoch. */
  windowSeconds: number;
  /** Refusals of one user within a window below which the window is not reported. */
  reportAt: number;
  /** Prefix of the Redis keys (CHAT_REDIS_PREFIX). */
  prefix: string;
}

/** The Redis hash field of a window's total: never an error code (those are upper case). */
const TOTAL = '#';
/** Refusals counted on other instances at the very end of a window still land in it before it is reported. */
const GRACE_MS = 1_000;
/** How often closed windows are looked for while some are pending. */
const TICK_MS = 1_000;
/**
 * Users whose windows one instance reports at once; past it, a window is still counted but not reported, so that a
 * flood of accounts cannot grow the process without bound.
 */
const MAX_PENDING = 100_000;

interface Pending {
  userId: string;
  windowStart: number;
  /** This instance counted the window's first refusal in Redis, so it reports the window's Redis counts. */
  inRedis: boolean;
  /** Refusals counted in this process while Redis was away. */
  local: Map<string, number>;
  /** The logger of the request that opened the window here, which tells if its report fails. */
  log?: Logger;
}

/**
 * Counts the messages refused to each user per window and reports each window once, as one
 * `chat.messages.refused.v1` event with the total and the reasons: a flood of refused requests costs a Redis
 * increment each (a map entry while Redis is away, as the message limits degrade), never a database write, and
 * at most one outbox row per user and window.
 *
 * With Redis the counts of every instance add up in one hash per user and window; the instance that counted the
 * window's first refusal reports it once the window has closed. While Redis is away each instance counts and
 * reports what it refused itself. Reports pending in a process that stops are lost: the signal is a sum over time,
 * and an hour of refusals is not missed for one window.
 */
export class RefusalCounter {
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private readonly windowMs: number;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly settings: RefusalSettings,
    private readonly redis?: Redis,
  ) {
    this.windowMs = settings.windowSeconds * 1000;
  }

  /** Counts one refused message of `userId`; a code that is not a rule's refusal is left out. Never throws. */
  async refused(userId: string, code: string, log?: Logger, now = Date.now()): Promise<void> {
    if (!REFUSAL_CODES.has(code)) return;
    const windowStart = now - (now % this.windowMs);
    const id = `${windowStart}:${userId}`;
    const counted = await this.countInRedis(id, code);
    if (counted === 'counted') return;
    let entry = this.pending.get(id);
    if (!entry) {
      if (this.pending.size >= MAX_PENDING) return;
      entry = { userId, windowStart, inRedis: false, local: new Map(), log };
      this.pending.set(id, entry);
    }
    if (counted === 'first') entry.inRedis = true;
    else entry.local.set(code, (entry.local.get(code) ?? 0) + 1);
    this.arm();
  }

  /**
   * Reports every window closed by `now` (past the grace) that this instance holds, in one transaction, and
   * returns how many events it wrote. A window whose write fails stays pending for the next tick.
   */
  async flush(now = Date.now()): Promise<number> {
    const due = [...this.pending.entries()].filter(([, p]) => p.windowStart + this.windowMs + GRACE_MS <= now);
    if (!due.length) return 0;
    const shared = await this.readRedis(due.filter(([, p]) => p.inRedis).map(([id]) => id));
    const reports = due.flatMap(([id, p]) => {
      const reasons: Record<string, number> = {};
      for (const [code, n] of [...Object.entries(shared.get(id) ?? {}), ...p.local]) reasons[code] = (reasons[code] ?? 0) + n;
      const count = Object.values(reasons).reduce((a, b) => a + b, 0);
      return count >= this.settings.reportAt ? [{ id, p, reasons, count }] : [];
    });
    try {
      if (reports.length) {
        await this.prisma.$transaction(async (tx) => {
          for (const { p, reasons, count } of reports) {
            await recordEvent(tx, 'chat.messages.refused.v1', p.userId, {
              userId: p.userId,
              windowStart: new Date(p.windowStart).toISOString(),
              windowEnd: new Date(p.windowStart + this.windowMs).toISOString(),
              count,
              reasons,
            });
          }
        });
      }
      for (const [id] of due) this.pending.delete(id);
      return reports.length;
    } catch (error) {
      due[0][1].log?.error({ err: error, windows: due.length }, 'chat refusals not reported yet, retrying');
      return 0;
    }
  }

  /** Windows waiting to be reported by this instance. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Stops looking for closed windows; what is pending is not reported. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** 'first' for the window's first refusal on any instance, 'counted' for a later one, 'down' without Redis. */
  private async countInRedis(id: string, code: string): Promise<'first' | 'counted' | 'down'> {
    if (!this.redis || !redisReady(this.redis)) return 'down';
    const key = this.keyOf(id);
    try {
      const replies = await this.redis
        .multi()
        .hincrby(key, code, 1)
        .hincrby(key, TOTAL, 1)
        .pexpire(key, 2 * this.windowMs + GRACE_MS * 10)
        .exec();
      const total = replies?.[1]?.[1];
      if (typeof total !== 'number') return 'down';
      return total === 1 ? 'first' : 'counted';
    } catch {
      return 'down';
    }
  }

  /** The counts of the windows this instance reports from Redis; a window Redis cannot answer for counts what was seen locally. */
  private async readRedis(ids: string[]): Promise<Map<string, Record<string, number>>> {
    const counts = new Map<string, Record<string, number>>();
    if (!ids.length || !this.redis || !redisReady(this.redis)) return counts;
    try {
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(this.keyOf(id));
      const replies = (await pipeline.exec()) ?? [];
      ids.forEach((id, index) => {
        const hash = replies[index]?.[1] as Record<string, string> | undefined;
        if (!hash) return;
        const reasons: Record<string, number> = {};
        for (const [field, value] of Object.entries(hash)) if (field !== TOTAL) reasons[field] = Number(value);
        counts.set(id, reasons);
      });
    } catch {
      return counts;
    }
    return counts;
  }

  private keyOf(id: string): string {
    return `${this.settings.prefix}:refused:${id}`;
  }

  /** Looks for closed windows every tick while some are pending, without holding the process open. */
  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      void this.flush().finally(() => {
        this.timer = undefined;
        if (this.pending.size) this.arm();
      });
    }, TICK_MS);
    this.timer.unref();
  }
}
