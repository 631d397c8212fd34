import DataLoader from 'dataloader';
import { actsForUser } from '../../../kernel/access';
import type Redis from 'ioredis';
import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { UserStoreConfig } from './config';
import type { PrismaClient, User } from './data/db';
import { AccountsService } from './services/accounts.service';
import { directoryMailer, smtpMailer } from './mail/mailer';
import { DeveloperAppsService } from './services/developer-apps.service';
import { EmailVerificationService } from './services/email-verification.service';
import { loginOverrides } from './services/login-defaults';
import { LoginLimiter } from './services/login-limiter';
import { StaffService } from './services/staff.service';

export interface UserContext {
  identity: Identity;
  log: Logger;
  accounts: AccountsService;
  staff: StaffService;
  apps: DeveloperAppsService;
  emailVerification: EmailVerificationService;
  /** Per request, so a plan that resolves 50 users makes one query, and nothing is cached across callers. */
  users: DataLoader<string, User | null>;
  /** Accounts whose private fields the caller may read: their own, and one they have just created. */
  self: Set<string>;
  /** Whether the caller is staff allowed to read accounts' private fields. */
  staffReader: boolean;
}

/** The user domain's services, built once per process; the context of each request is made from them. */
export function createUserContext(config: UserStoreConfig, { prisma, redis }: { prisma: PrismaClient; redis?: Redis }, logger: Logger) {
  const limiter = new LoginLimiter(
    {
      accountFailures: config.LOGIN_ACCOUNT_FAILURES,
      accountLockSeconds: config.LOGIN_ACCOUNT_LOCK_SECONDS,
      attemptsPerIpPerMinute: config.LOGIN_IP_ATTEMPTS_PER_MINUTE,
      signUpsPerAddressPerHour: config.SIGNUP_ADDRESS_PER_HOUR,
      signUpsPerNetworkPerHour: config.SIGNUP_NETWORK_PER_HOUR,
    },
    redis,
    loginOverrides(prisma),
  );
  const accounts = new AccountsService(prisma, config.ACCESS_TOKEN_SIGNING_KEY, limiter);
  const staff = new StaffService(prisma, accounts, config.STAFF_TOKEN_SIGNING_KEY, config.STAFF_MFA_MAX_AGE_SECONDS, limiter);
  const apps = new DeveloperAppsService(prisma);
  const mailer = config.SMTP_URL
    ? smtpMailer(config.SMTP_URL, config.MAIL_FROM)
    : directoryMailer(config.MAIL_DIR, config.MAIL_FROM, logger);
  const emailVerification = new EmailVerificationService(prisma, mailer, {
    linkUrl: config.EMAIL_VERIFICATION_URL,
    ttlSeconds: config.EMAIL_VERIFICATION_TTL_SECONDS,
  });
  return (identity: Identity, log: Logger): UserContext => ({
    identity,
    log,
    accounts,
    staff,
    apps,
    emailVerification,
    users: new DataLoader((ids) => accounts.byIds(ids)),
    self: new Set(actsForUser(identity) ? [identity.userId] : []),
    staffReader: staff.suspension.canReadUsers(identity),
  });
}
