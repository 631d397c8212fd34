import { z } from 'zod';
import { databaseUrl, port, redisUrl, replayWindowDays, runnerIntervalMs, secret } from '../../../kernel/config';
import { publicKeys } from '../../../kernel/keys';

export const ptfmStoreConfigSchema = z.object({
  PTFM_STORE_PORT: port(4005),
  DATABASE_URL: databaseUrl,
  IDENTITY_PUBLIC_KEYS: publicKeys('IDENTITY_PUBLIC_KEYS'),
  /** How long a staff member's TOTP confirmation opens staff actions (the user domain's setting of the same name). */
  STAFF_MFA_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60),
});

export type PtfmStoreConfig = z.infer<typeof ptfmStoreConfigSchema>;

export const ptfmNotifyConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  PTFM_NOTIFY_HEALTH_PORT: port(4016),
  /**
   * Followers per slice of a go-live fan-out: one transaction (an INSERT ... SELECT) and one
   * ptfm.notification.created.v1 each. Larger slices mean fewer commits and events, smaller ones a faster first
   * socket frame and less work redone after a crash.
   */
  PTFM_FANOUT_SLICE_SIZE: z.coerce.number().int().min(100).max(5_000).default(2_000),
  /** Slices this instance writes at once; every instance of the worker takes slices of every fan-out. */
  PTFM_FANOUT_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /**
   * Where rt-gtw marks the users connected for notifications (kernel/presence.ts): a go-live writes those followers
   * first. Without it every slice comes in its turn.
   */
  REDIS_URL: redisUrl.optional(),
  /** rt-gtw's prefix of its Redis keys, under which its presence set is. */
  RT_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._-]*$/, 'only letters, digits, : . _ -')
    .default('rt:'),
  /**
   * Web Push (VAPID, RFC 8292): the application server's key pair (base64url, as \`web-push generate-vapid-keys\`
   * prints it) and its contact. Without the keys nothing is pushed; the inbox and the sockets still get everything.
   */
  PTFM_VAPID_PUBLIC_KEY: z.string().min(1).optional(),
  PTFM_VAPID_PRIVATE_KEY: secret('PTFM_VAPID_PRIVATE_KEY').optional(),
  PTFM_VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)/, 'must be a mailto: or https: URL')
    .default('mailto:ops@streaming.example'),
});

export type PtfmNotifyConfig = z.infer<typeof ptfmNotifyConfigSchema>;

/** The VAPID details when both keys are configured. */
export const vapidOf = (config: PtfmNotifyConfig) =>
  config.PTFM_VAPID_PUBLIC_KEY && config.PTFM_VAPID_PRIVATE_KEY
    ? { subject: config.PTFM_VAPID_SUBJECT, publicKey: config.PTFM_VAPID_PUBLIC_KEY, privateKey: config.PTFM_VAPID_PRIVATE_KEY }
    : undefined;

export const ptfmPruneConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  PTFM_PRUNE_HEALTH_PORT: port(4018),
  /** How often the inbox is pruned of notifications older than 30 days, and the replay window of the domain. */
  PTFM_PRUNE_INTERVAL_MS: runnerIntervalMs,
  PTFM_REPLAY_WINDOW_DAYS: replayWindowDays,
});

export type PtfmPruneConfig = z.infer<typeof ptfmPruneConfigSchema>;

export const ptfmSearchConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  PTFM_SEARCH_HEALTH_PORT: port(4024),
});

export type PtfmSearchConfig = z.infer<typeof ptfmSearchConfigSchema>;

export const ptfmAnalysisConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  PTFM_ANALYSIS_HEALTH_PORT: port(4031),
  /** Sign-ups from one address block (an IPv4 /24, an IPv6 /64) within an hour that open a case. */
  PTFM_ANALYSIS_SIGNUPS_PER_HOUR: z.coerce.number().int().min(2).max(10_000).default(10),
  /** Follows of one channel within a minute that open a case (a follow-bot wave). */
  PTFM_ANALYSIS_FOLLOWS_PER_MINUTE: z.coerce.number().int().min(2).max(100_000).default(200),
  /**
   * Throwaway-email sign-ups from one address block (or of one throwaway domain, when the address is unknown) within
   * an hour that open a case; 1 opens one for the first.
   */
  PTFM_ANALYSIS_THROWAWAY_SIGNUPS_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(3),
  /** Throwaway email domains beside the shipped list (disposable-email-domains), comma-separated. */
  PTFM_ANALYSIS_THROWAWAY_DOMAINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((d) => d.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/, 'must be domain names')),
    ),
  /** Chat messages of one user refused within an hour (chat.messages.refused.v1) that open a case. */
  PTFM_ANALYSIS_CHAT_REFUSALS_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(100),
});

export type PtfmAnalysisConfig = z.infer<typeof ptfmAnalysisConfigSchema>;
