import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DomainError } from '../../../../kernel/errors';

export interface LoginLimits {
  /** Failed logins an account takes before it is locked for `accountLockSeconds`. */
  accountFailures: number;
  accountLockSeconds: number;
  /** Login attempts one address may make per minute, whatever the account. */
  attemptsPerIpPerMinute: number;
  /** Wrong second-factor codes a staff member may give before their second factor is locked as long. */
  secondFactorFailures?: number;
  secondFactorLockSeconds?: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { accountFailures: 5, accountLockSeconds: 900, attemptsPerIpPerMinute: 30 };

/**
 * Guessing passwords is slowed per account (a user who types well is never locked) and per address (every attempt,
 * so one client cannot spray many accounts); guessing a staff member's second factor is slowed per staff member,
 * whatever the password did. Each attempt takes its point before the secret is checked, and a success gives the
 * account's back: checking first and counting after would let concurrent guesses all be checked before the count
 * caught up. With Redis the counts hold across every instance of the user domain; in-process they hold in one
 * (the embedded default).
 */
export class LoginLimiter {
  private readonly perAccount: RateLimiterAbstract;
  private readonly perIp: RateLimiterAbstract;
  private readonly perSecondFactor: RateLimiterAbstract;

  constructor(limits: LoginLimits, redis?: Redis) {
    const make = (options: { keyPrefix: string; points: number; duration: number }) =>
      redis ? new RateLimiterRedis({ ...options, storeClient: redis }) : new RateLimiterMemory(options);
    this.perAccount = make({ keyPrefix: 'user:login:account', points: limits.accountFailures, duration: limits.accountLockSeconds });
    this.perIp = make({ keyPrefix: 'user:login:ip', points: limits.attemptsPerIpPerMinute, duration: 60 });
    this.perSecondFactor = make({
      keyPrefix: 'user:login:second-factor',
      points: limits.secondFactorFailures ?? limits.accountFailures,
      duration: limits.secondFactorLockSeconds ?? limits.accountLockSeconds,
    });
  }

  /** Before checking a password: takes the address's point and the account's, or refuses when either is spent. */
  async beforeAttempt(login: string, ip: string | undefined): Promise<void> {
    if (ip) await this.perIp.consume(ip).catch(rethrowLimited);
    await this.perAccount.consume(login).catch(rethrowLimited);
  }

  /** The password was right: the account's failures are forgiven. */
  async succeeded(login: string): Promise<void> {
    await this.perAccount.delete(login);
  }

  /** Before checking a second-factor code: takes the staff member's point, or refuses when they are spent. */
  async beforeSecondFactor(userId: string): Promise<void> {
    await this.perSecondFactor.consume(userId).catch(rethrowLimited);
  }

  async secondFactorSucceeded(userId: string): Promise<void> {
    await this.perSecondFactor.delete(userId);
  }
}

const limited = (res: RateLimiterRes) =>
  new DomainError('RATE_LIMITED', 'too many login attempts, retry later', { retryAfter: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) });

function rethrowLimited(error: unknown): never {
  if (error instanceof RateLimiterRes) throw limited(error);
  throw error;
}
