import { z } from 'zod';
import { databaseUrl, port, redisUrl, secret } from '../../../kernel/config';
import { DEFAULT_LOGIN_LIMITS } from './services/login-limiter';

export const userStoreConfigSchema = z.object({
  USER_STORE_PORT: port(4001),
  DATABASE_URL: databaseUrl,
  ACCESS_TOKEN_SECRET: secret('ACCESS_TOKEN_SECRET'),
  IDENTITY_SECRET: secret('IDENTITY_SECRET'),
  /** Login limits shared by every instance; without it they are counted in this process only. */
  REDIS_URL: redisUrl.optional(),
  LOGIN_ACCOUNT_FAILURES: z.coerce.number().int().positive().default(DEFAULT_LOGIN_LIMITS.accountFailures),
  LOGIN_ACCOUNT_LOCK_SECONDS: z.coerce.number().int().positive().default(DEFAULT_LOGIN_LIMITS.accountLockSeconds),
  LOGIN_IP_ATTEMPTS_PER_MINUTE: z.coerce.number().int().positive().default(DEFAULT_LOGIN_LIMITS.attemptsPerIpPerMinute),
  /** How long a staff member's TOTP confirmation opens staff actions; after it they confirm again. */
  STAFF_MFA_MAX_AGE_SECONDS: z.coerce.number().int().positive().default(15 * 60),
});

export type UserStoreConfig = z.infer<typeof userStoreConfigSchema>;
