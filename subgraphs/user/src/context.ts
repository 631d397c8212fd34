import DataLoader from 'dataloader';
import { actsForUser } from '../../../kernel/access';
import type Redis from 'ioredis';
import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { UserStoreConfig } from './config';
import type { PrismaClient, User } from './data/db';
import { AccountsService } from './services/accounts.service';
import { DeveloperAppsService } from './services/developer-apps.service';
import { LoginLimiter } from './services/login-limiter';
import { StaffService } from './services/staff.service';

export interface UserContext {
  identity: Identity;
  log: Logger;
  accounts: AccountsService;
  staff: StaffService;
  apps: DeveloperAppsService;
  /** Per request, so a plan that resolves 50 users makes one query, and nothing is cached across callers. */
  users: DataLoader<string, User | null>;
  /** Accounts whose private fields the caller may read: their own, and one they have just created. */
  self: Set<string>;
  /** Whether the caller is staff allowed to read accounts' private fields. */
  staffReader: boolean;
}

/** The user domain's services, built once per process; the context of each request is made from them. */
export function createUserContext(config: UserStoreConfig, { prisma, redis }: { prisma: PrismaClient; redis?: Redis }) {
  const limiter = new LoginLimiter(
    {
      accountFailures: config.LOGIN_ACCOUNT_FAILURES,
      accountLockSeconds: config.LOGIN_ACCOUNT_LOCK_SECONDS,
      attemptsPerIpPerMinute: config.LOGIN_IP_ATTEMPTS_PER_MINUTE,
    },
    redis,
  );
  const accounts = new AccountsService(prisma, config.ACCESS_TOKEN_SECRET, limiter);
  const staff = new StaffService(prisma, accounts, config.ACCESS_TOKEN_SECRET, config.STAFF_MFA_MAX_AGE_SECONDS, limiter);
  const apps = new DeveloperAppsService(prisma);
  return (identity: Identity, log: Logger): UserContext => ({
    identity,
    log,
    accounts,
    staff,
    apps,
    users: new DataLoader((ids) => accounts.byIds(ids)),
    self: new Set(actsForUser(identity) ? [identity.userId] : []),
    staffReader: staff.suspension.canReadUsers(identity),
  });
}
