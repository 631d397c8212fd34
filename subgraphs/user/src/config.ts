import { z } from 'zod';
import { databaseUrl, port, redisUrl, replayWindowDays, runnerIntervalMs, secret } from '../../../kernel/config';
import { publicKeys, signingKey } from '../../../kernel/keys';
import { fromRoot } from '../../../kernel/paths';
import { DEFAULT_LOGIN_LIMITS } from './services/login-limiter';

export const userStoreConfigSchema = z.object({
  USER_STORE_PORT: port(4001),
  DATABASE_URL: databaseUrl,
  /** Signs the access tokens of the Private API and the staff tokens of the Admin API: each its own key. */
  ACCESS_TOKEN_SIGNING_KEY: signingKey('ACCESS_TOKEN_SIGNING_KEY'),
  STAFF_TOKEN_SIGNING_KEY: signingKey('STAFF_TOKEN_SIGNING_KEY'),
  IDENTITY_PUBLIC_KEYS: publicKeys('IDENTITY_PUBLIC_KEYS'),
  /** Login limits shared by every instance; without it they are counted in this process only. */
  REDIS_URL: redisUrl.optional(),
  LOGIN_ACCOUNT_FAILURES: z.coerce.number().int().positive().default(DEFAULT_LOGIN_LIMITS.accountFailures),
  LOGIN_ACCOUNT_LOCK_SECONDS: z.coerce.number().int().positive().default(DEFAULT_LOGIN_LIMITS.accountLockSeconds),
  LOGIN_IP_ATTEMPTS_PER_MINUTE: z.coerce.number().int().positive().default(DEFAULT_LOGIN_LIMITS.attemptsPerIpPerMinute),
  /** Sign-ups one address may make per hour, and one IPv6 /64 network (what one subscriber usually holds). */
  SIGNUP_ADDRESS_PER_HOUR: z.coerce.number().int().positive().default(DEFAULT_LOGIN_LIMITS.signUpsPerAddressPerHour),
  SIGNUP_NETWORK_PER_HOUR: z.coerce.number().int().positive().default(DEFAULT_LOGIN_LIMITS.signUpsPerNetworkPerHour),
  /** Where mail is sent (`smtp://user:password@host:port`, or `smtps://`); unset, each mail is written to MAIL_DIR. */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_DIR: z.string().min(1).default(fromRoot('.data', 'mail')),
  MAIL_FROM: z.string().min(3).default('Streaming platform <no-reply@localhost>'),
  /** The page an email verification link opens (our web app's); the token is appended as `#token=...`. */
  EMAIL_VERIFICATION_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:4000/verify-email'),
  EMAIL_VERIFICATION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(24 * 3600),
  /** How long a staff member's TOTP confirmation opens staff actions; after it they confirm again. */
  STAFF_MFA_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60),
});

export type UserStoreConfig = z.infer<typeof userStoreConfigSchema>;

export const userAuditConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  USER_AUDIT_HEALTH_PORT: port(4030),
});

export type UserAuditConfig = z.infer<typeof userAuditConfigSchema>;

const secretList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(32, 'each key must be at least 32 characters')).min(1, 'needs at least one key'));

export const userOAuthConfigSchema = z.object({
  USER_OAUTH_PORT: port(4010),
  /** The authorization server's public URL, as apps and the discovery document name it; the URL it listens on by default. */
  OAUTH_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  DATABASE_URL: databaseUrl,
  /** Verifies the first-party session that approves an app's request. */
  ACCESS_TOKEN_PUBLIC_KEYS: publicKeys('ACCESS_TOKEN_PUBLIC_KEYS'),
  /** Signs the server's cookies, newest first (older keys still verify); generated per run when unset. */
  OAUTH_COOKIE_KEYS: secretList.optional(),
  /** A private JWK (JSON, with its `alg`) signing what the server signs; an ES256 key per run when unset. */
  OAUTH_SIGNING_JWK: z
    .string()
    .transform((v, ctx) => {
      try {
        return JSON.parse(v) as Record<string, unknown>;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON Web Key' });
        return z.NEVER;
      }
    })
    .optional(),
  /** The router's confidential client, the one allowed to introspect every token. */
  OAUTH_ROUTER_CLIENT_ID: z.string().min(1).default('router-gtw'),
  OAUTH_ROUTER_CLIENT_SECRET: secret('OAUTH_ROUTER_CLIENT_SECRET'),
});

export type UserOAuthConfig = z.infer<typeof userOAuthConfigSchema>;

export const userPruneConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  USER_PRUNE_HEALTH_PORT: port(4025),
  USER_PRUNE_INTERVAL_MS: runnerIntervalMs,
  USER_REPLAY_WINDOW_DAYS: replayWindowDays,
});

export type UserPruneConfig = z.infer<typeof userPruneConfigSchema>;
