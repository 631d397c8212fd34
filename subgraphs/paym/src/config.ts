import { z } from 'zod';
import { databaseUrl, port, replayWindowDays, runnerIntervalMs, url } from '../../../kernel/config';
import { publicKeys } from '../../../kernel/keys';

/** Comma-separated values, blanks dropped: several webhook secrets are valid at once while one is being rotated. */
const secretList = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  )
  .pipe(z.array(z.string().min(16, 'each secret must be at least 16 characters')));

/** How the domain reaches Stripe's API; without a key, web checkout is refused as unavailable. */
const stripeShape = {
  PAYM_STRIPE_API_KEY: z.string().min(1).optional(),
  PAYM_STRIPE_BASE_URL: url.default('https://api.stripe.com'),
};

/** The Android app whose Google Play subscriptions are taken. */
const googlePackage = { PAYM_GOOGLE_PACKAGE_NAME: z.string().min(1).default('com.example.streaming') };

/** A Google service account's JSON key, as Google hands it out (the JSON itself, or its base64). */
const serviceAccountKey = z
  .string()
  .min(1)
  .optional()
  .transform((v, ctx) => {
    if (!v) return undefined;
    try {
      const json = JSON.parse(v.trim().startsWith('{') ? v : Buffer.from(v, 'base64').toString('utf8'));
      return z
        .object({ client_email: z.string().min(1), private_key: z.string().min(1), private_key_id: z.string().optional() })
        .parse(json);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a service account JSON key with client_email and private_key' });
      return z.NEVER;
    }
  });

export const paymStoreConfigSchema = z
  .object({
    PAYM_STORE_PORT: port(4006),
    DATABASE_URL: databaseUrl,
    IDENTITY_PUBLIC_KEYS: publicKeys('IDENTITY_PUBLIC_KEYS'),
    ...stripeShape,
    /** Stripe webhook endpoint secrets (whsec_...); without one, Stripe's notifications are refused. */
    PAYM_STRIPE_WEBHOOK_SECRET: secretList,
    /**
     * The App Store roots the x5c chain of a notification must lead to (base64 DER certificates, comma-separated:
     * Apple Root CA G3 in production); without one, App Store notifications are refused.
     */
    PAYM_APPLE_ROOT_CERTS: z
      .string()
      .optional()
      .transform((v) => (v ? v.split(',').map((s) => s.trim()) : []))
      .pipe(z.array(z.string().refine((s) => Buffer.from(s, 'base64').length > 100, 'each root must be a base64 DER certificate'))),
    PAYM_APPLE_BUNDLE_ID: z.string().min(1).default('com.example.streaming'),
    PAYM_APPLE_ENVIRONMENT: z.enum(['Production', 'Sandbox']).default('Production'),
    /** The app's Apple id, which production notifications must name. */
    PAYM_APPLE_APP_ID: z.coerce.number().int().positive().optional(),
    /**
     * The audience Google Play's Pub/Sub push subscription puts in its tokens; without it, Google Play's
     * notifications are refused.
     */
    PAYM_GOOGLE_PUSH_AUDIENCE: z.string().min(1).optional(),
    /** The service account the push subscription authenticates as (the token's email). */
    PAYM_GOOGLE_PUSH_SERVICE_ACCOUNT: z.string().min(1).optional(),
    /** Where Google publishes the certificates its ID tokens are signed with. */
    PAYM_GOOGLE_CERTS_URL: url.default('https://www.googleapis.com/oauth2/v1/certs'),
    ...googlePackage,
    /** How old a signed notification may be, in seconds (Stripe's own default: 5 minutes). */
    PAYM_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().positive().default(300),
    /** How long a staff member's TOTP confirmation opens staff reads here (the user domain's setting, read alike). */
    STAFF_MFA_MAX_AGE_SECONDS: z.coerce
      .number()
      .int()
      .positive()
      .default(15 * 60),
  })
  .refine((c) => !c.PAYM_APPLE_ROOT_CERTS.length || c.PAYM_APPLE_ENVIRONMENT !== 'Production' || c.PAYM_APPLE_APP_ID, {
    message: 'App Store notifications in production need PAYM_APPLE_APP_ID',
    path: ['PAYM_APPLE_APP_ID'],
  })
  .refine((c) => !c.PAYM_GOOGLE_PUSH_AUDIENCE || c.PAYM_GOOGLE_PUSH_SERVICE_ACCOUNT, {
    message: "Google Play's notifications need the push subscription's service account",
    path: ['PAYM_GOOGLE_PUSH_SERVICE_ACCOUNT'],
  });

export type PaymStoreConfig = z.infer<typeof paymStoreConfigSchema>;

export const paymWebhooksConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  PAYM_WEBHOOKS_HEALTH_PORT: port(4017),
  /** The platform's share of every payment, in percent; the rest is owed to the channel's streamer. */
  PAYM_PLATFORM_SHARE_PERCENT: z.coerce.number().int().min(0).max(100).default(50),
  /** Android Publisher API, asked what a Google Play notification changed. */
  PAYM_GOOGLE_API_BASE_URL: url.default('https://androidpublisher.googleapis.com'),
  /** The service account the platform calls Google Play as; without it, Google Play's notifications are not applied. */
  PAYM_GOOGLE_SERVICE_ACCOUNT_KEY: serviceAccountKey,
  ...googlePackage,
  /** Disputes, early fraud warnings and refunds of one buyer, together, from which they are flagged to trust and safety. */
  PAYM_FRAUD_FLAG_THRESHOLD: z.coerce.number().int().positive().default(3),
  /** The share of a buyer's payments refunded, in percent, from which they are flagged (from their second refund). */
  PAYM_FRAUD_REFUND_RATE_PERCENT: z.coerce.number().int().min(1).max(100).default(50),
});

export type PaymWebhooksConfig = z.infer<typeof paymWebhooksConfigSchema>;

export const paymRenewalsConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  PAYM_RENEWALS_HEALTH_PORT: port(4019),
  /** How often overdue entitlements are swept, in seconds. */
  PAYM_RENEWALS_INTERVAL_SECONDS: z.coerce.number().int().positive().default(60),
  /** How long past its period end an entitlement no store renewed stays entitled (the stores' retry window). */
  PAYM_EXPIRY_SLACK_SECONDS: z.coerce.number().int().min(0).default(86_400),
});

export type PaymRenewalsConfig = z.infer<typeof paymRenewalsConfigSchema>;

export const paymTransfersConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  PAYM_TRANSFERS_HEALTH_PORT: port(4022),
  ...stripeShape,
  /** How often balances are paid out, in seconds. */
  PAYM_TRANSFERS_INTERVAL_SECONDS: z.coerce.number().positive().default(3600),
  /** The balance, in minor units of its currency, from which a streamer is paid. */
  PAYM_PAYOUT_MINIMUM: z.coerce.number().int().positive().default(5000),
});

export type PaymTransfersConfig = z.infer<typeof paymTransfersConfigSchema>;

export const paymPruneConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  PAYM_PRUNE_HEALTH_PORT: port(4029),
  PAYM_PRUNE_INTERVAL_MS: runnerIntervalMs,
  PAYM_REPLAY_WINDOW_DAYS: replayWindowDays,
});

export type PaymPruneConfig = z.infer<typeof paymPruneConfigSchema>;
