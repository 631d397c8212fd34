import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DomainError } from '../../../../kernel/errors';

export interface LoginLimits {
  /** Failed logins an account takes before it is locked for `accountLockSeconds`. */
  accountFailures: number;
  accountLockSeconds: number;
  /** Login attempts one address may make per minute, whatever the account. */
  attemptsPerIpPerMinute: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { accountFailures: 5, accountLockSeconds: 900, attemptsPerIpPerMinute: 30 };

/**
 * Guessing passwords is slowed per account (failures only, so a user who types well is never locked) and per
 * address (every attempt, so one client cannot spray many accounts). With Redis the counts hold across every
 * instance of the user domain; in-process they hold in one (the embedded default).
 */
export class LoginLimiter {
  private readonly perAccount: RateLimiterAbstract;
  private readonly perIp: RateLimiterAbstract;

  constructor(limits: LoginLimits, redis?: Redis) {
    const account = { keyPrefix: 'user:login:account', points: limits.accountFailures, duration: limits.accountLockSeconds };
    const ip = { keyPrefix: 'user:login:ip', points: limits.attemptsPerIpPerMinute, duration: 60 };
    this.perAccount = redis ? new RateLimiterRedis({ ...account, storeClient: redis }) : new RateLimiterMemory(account);
    this.perIp = redis ? new RateLimiterRedis({ ...ip, storeClient: redis }) : new RateLimiterMemory(ip);
  }

  /** Before checking a password: refuses when the address or the account has used up its attempts. */
  async beforeAttempt(login: string, ip: string | undefined): Promise<void> {
    const account = await this.perAccount.get(login);
    if (account && account.remainingPoints <= 0) throw limited(account);
    if (ip) await this.perIp.consume(ip).catch(rethrowLimited);
  }

  async failed(login: string): Promise<void> {
    await this.perAccount.consume(login).catch(rethrowLimited);
  }

  async succeeded(login: string): Promise<void> {
    await this.perAccount.delete(login);
  }
}

const limited = (res: RateLimiterRes) =>
  new DomainError('RATE_LIMITED', 'too many login attempts, retry later', { retryAfter: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) });

function rethrowLimited(error: unknown): never {
  if (error instanceof RateLimiterRes) throw limited(error);
  throw error;
}
