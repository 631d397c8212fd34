import { isIP } from 'node:net';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { sharedLimiter } from '../../../../kernel/redis';
import { DomainError } from '../../../../kernel/errors';
import type { LoginOverrides } from './login-defaults';

export interface LoginLimits {
  /** Failed logins an account takes before it is locked for `accountLockSeconds`. */
  accountFailures: number;
  accountLockSeconds: number;
  /** Login attempts one address may make per minute, whatever the account. */
  attemptsPerIpPerMinute: number;
  /** Wrong second-factor codes a staff member may give before their second factor is locked as long. */
  secondFactorFailures?: number;
  secondFactorLockSeconds?: number;
  /** Sign-ups one address may make per hour, and one IPv6 /64 network (what one subscriber is usually given). */
  signUpsPerAddressPerHour?: number;
  signUpsPerNetworkPerHour?: number;
}

/** The highest login limits staff may set in the platform's defaults (subgraphs/ptfm/limits.json). */
const PLATFORM_MAXIMUM = { accountFailures: 100, ipAttempts: 10000 };

export const DEFAULT_LOGIN_LIMITS = {
  accountFailures: 5,
  accountLockSeconds: 900,
  attemptsPerIpPerMinute: 30,
  signUpsPerAddressPerHour: 5,
  signUpsPerNetworkPerHour: 20,
} satisfies LoginLimits;

/**
 * Guessing passwords is slowed per account (a user who types well is never locked) and per address (every attempt,
 * so one client cannot spray many accounts); guessing a staff member's second factor is slowed per staff member,
 * whatever the password did. Each attempt takes its point before the secret is checked, and a success gives the
 * account's back: checking first and counting after would let concurrent guesses all be checked before the count
 * caught up. With Redis the counts hold across every instance of the user domain; in-process they hold in one
 * (the embedded default, and every instance while Redis is away: no outage lifts a limit).
 */
export class LoginLimiter {
  /** Per lock duration: a limiter's window is fixed, so a new lock duration counts afresh. */
  private readonly perAccount = new Map<number, RateLimiterAbstract>();
  private readonly perIp: RateLimiterAbstract;
  private readonly make: (options: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract;
  private readonly perSecondFactor: RateLimiterAbstract;
  private readonly signUpsPerAddress: RateLimiterAbstract;
  private readonly signUpsPerNetwork: RateLimiterAbstract;

  /**
   * `overrides` gives the platform's login limits (ptfm.defaults.updated.v1) where staff set them; the counters hold
   * up to the highest limit staff may set and the limit in force is compared to the count, so a change applies to
   * the next attempt.
   */
  constructor(
    private readonly limits: LoginLimits,
    redis?: Redis,
    private readonly overrides: () => Promise<LoginOverrides> = async () => ({}),
  ) {
    const make = (options: { keyPrefix: string; points: number; duration: number }) =>
      redis ? sharedLimiter(redis, options) : new RateLimiterMemory(options);
    this.make = make;
    this.perIp = make({
      keyPrefix: 'user:login:ip',
      points: Math.max(PLATFORM_MAXIMUM.ipAttempts, limits.attemptsPerIpPerMinute),
      duration: 60,
    });
    this.perSecondFactor = make({
      keyPrefix: 'user:login:second-factor',
      points: limits.secondFactorFailures ?? limits.accountFailures,
      duration: limits.secondFactorLockSeconds ?? limits.accountLockSeconds,
    });
    this.signUpsPerAddress = make({
      keyPrefix: 'user:signup:address',
      points: limits.signUpsPerAddressPerHour ?? DEFAULT_LOGIN_LIMITS.signUpsPerAddressPerHour,
      duration: 3600,
    });
    this.signUpsPerNetwork = make({
      keyPrefix: 'user:signup:network',
      points: limits.signUpsPerNetworkPerHour ?? DEFAULT_LOGIN_LIMITS.signUpsPerNetworkPerHour,
      duration: 3600,
    });
  }

  /**
   * Before a sign-up: takes the address's point and, for IPv6, its /64's, since one subscriber is handed a whole
   * /64 and could otherwise make accounts from 2^64 addresses.
   */
  async beforeSignUp(ip: string | undefined): Promise<void> {
    if (!ip) return;
    const network = ipv6Network64(ip);
    await this.signUpsPerAddress.consume(network ? ip.toLowerCase() : ip).catch(rethrowLimited);
    if (network) await this.signUpsPerNetwork.consume(network).catch(rethrowLimited);
  }

  /** Before checking a password: takes the address's point and the account's, or refuses when either is spent. */
  async beforeAttempt(login: string, ip: string | undefined): Promise<void> {
    const current = await this.overrides();
    if (ip) await within(this.perIp, ip, current.attemptsPerIpPerMinute ?? this.limits.attemptsPerIpPerMinute);
    await within(this.accountLimiter(current), login, current.accountFailures ?? this.limits.accountFailures);
  }

  /** The password was right: the account's failures are forgiven. */
  async succeeded(login: string): Promise<void> {
    await this.accountLimiter(await this.overrides()).delete(login);
  }

  private accountLimiter(current: LoginOverrides): RateLimiterAbstract {
    const duration = current.accountLockSeconds ?? this.limits.accountLockSeconds;
    let limiter = this.perAccount.get(duration);
    if (!limiter) {
      const points = Math.max(PLATFORM_MAXIMUM.accountFailures, this.limits.accountFailures);
      limiter = this.make({ keyPrefix: `user:login:account:${duration}`, points, duration });
      this.perAccount.set(duration, limiter);
    }
    return limiter;
  }

  /** Before checking a second-factor code: takes the staff member's point, or refuses when they are spent. */
  async beforeSecondFactor(userId: string): Promise<void> {
    await this.perSecondFactor.consume(userId).catch(rethrowLimited);
  }

  async secondFactorSucceeded(userId: string): Promise<void> {
    await this.perSecondFactor.delete(userId);
  }
}

/** Takes one point; refuses once the count passes `allowed`. */
async function within(limiter: RateLimiterAbstract, key: string, allowed: number): Promise<void> {
  const counted = await limiter.consume(key).catch((error: unknown) => {
    if (error instanceof RateLimiterRes) return error;
    throw error;
  });
  if (counted.consumedPoints > allowed) throw limited(counted);
}

const limited = (res: RateLimiterRes) =>
  new DomainError('RATE_LIMITED', 'too many login attempts, retry later', { retryAfter: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) });

function rethrowLimited(error: unknown): never {
  if (error instanceof RateLimiterRes) throw limited(error);
  throw error;
}

/**
 * The /64 network of an IPv6 address, in one spelling whatever the address's (`2001:db8::1` and
 * `2001:0db8:0:0::2` share `2001:db8:0:0::/64`); null for IPv4, also when written IPv4-mapped.
 */
export function ipv6Network64(ip: string): string | null {
  if (isIP(ip) !== 6 || /^::ffff:/i.test(ip) || ip.includes('.')) return null;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
