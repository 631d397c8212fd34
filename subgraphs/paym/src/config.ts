import { z } from 'zod';
import { databaseUrl, port, url } from '../../../kernel/config';
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
    /** How old a signed notification may be, in seconds (Stripe's own default: 5 minutes). */
    PAYM_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().positive().default(300),
  })
  .refine((c) => !c.PAYM_APPLE_ROOT_CERTS.length || c.PAYM_APPLE_ENVIRONMENT !== 'Production' || c.PAYM_APPLE_APP_ID, {
    message: 'App Store notifications in production need PAYM_APPLE_APP_ID',
    path: ['PAYM_APPLE_APP_ID'],
  });

export type PaymStoreConfig = z.infer<typeof paymStoreConfigSchema>;

export const paymWebhooksConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  PAYM_WEBHOOKS_HEALTH_PORT: port(4017),
  /** The platform's share of every payment, in percent; the rest is owed to the channel's streamer. */
  PAYM_PLATFORM_SHARE_PERCENT: z.coerce.number().int().min(0).max(100).default(50),
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
