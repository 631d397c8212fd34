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

/** Which provider holds the live inputs, and how to reach it. */
const providerShape = {
  /** `local` issues keys itself (npm start, tests); `mux` and `livepeer` call that provider's REST API. */
  LIVE_PROVIDER: z.enum(['local', 'mux', 'livepeer']).default('local'),
  LIVE_MUX_BASE_URL: url.default('https://api.mux.com'),
  LIVE_MUX_TOKEN_ID: z.string().optional(),
  LIVE_MUX_TOKEN_SECRET: z.string().optional(),
  LIVE_LIVEPEER_BASE_URL: url.default('https://livepeer.studio'),
  LIVE_LIVEPEER_API_KEY: z.string().optional(),
  /** 32 bytes, base64: the AES-256-GCM key the stream keys are stored under. */
  LIVE_KEY_ENCRYPTION_KEY: z
    .string({ error: 'is required (32 random bytes, base64)' })
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded'),
};

const muxCredentials = (config: { LIVE_PROVIDER: string; LIVE_MUX_TOKEN_ID?: string; LIVE_MUX_TOKEN_SECRET?: string }) =>
  config.LIVE_PROVIDER !== 'mux' || Boolean(config.LIVE_MUX_TOKEN_ID && config.LIVE_MUX_TOKEN_SECRET);
const muxCredentialsProblem = {
  message: 'LIVE_PROVIDER=mux needs LIVE_MUX_TOKEN_ID and LIVE_MUX_TOKEN_SECRET',
  path: ['LIVE_MUX_TOKEN_ID'],
};
const livepeerCredentials = (config: { LIVE_PROVIDER: string; LIVE_LIVEPEER_API_KEY?: string }) =>
  config.LIVE_PROVIDER !== 'livepeer' || Boolean(config.LIVE_LIVEPEER_API_KEY);
const livepeerCredentialsProblem = { message: 'LIVE_PROVIDER=livepeer needs LIVE_LIVEPEER_API_KEY', path: ['LIVE_LIVEPEER_API_KEY'] };

/** Where thumbnails are served from, in Mux's image API shape: `<base>/<playbackId>/thumbnail.jpg`. */
const imageBaseUrl = url.default('https://image.mux.com');

export const liveStoreConfigSchema = z
  .object({
    LIVE_STORE_PORT: port(4004),
    DATABASE_URL: databaseUrl,
    IDENTITY_PUBLIC_KEYS: publicKeys('IDENTITY_PUBLIC_KEYS'),
    ...providerShape,
    /** Mux webhook signing secrets; without one, Mux webhooks are refused. */
    LIVE_MUX_WEBHOOK_SECRET: secretList,
    LIVE_IMAGE_BASE_URL: imageBaseUrl,
    /** A live stream's thumbnail URL changes this often (a version parameter), so caches fetch a new still. */
    LIVE_THUMBNAIL_REFRESH_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
    /** Livepeer webhook signing secrets; without one, Livepeer webhooks are refused. */
    LIVE_LIVEPEER_WEBHOOK_SECRET: secretList,
    /** How old a signed webhook may be, in seconds (Mux's own advice: 5 minutes). */
    LIVE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().positive().default(300),
  })
  .refine(muxCredentials, muxCredentialsProblem)
  .refine(livepeerCredentials, livepeerCredentialsProblem);

export type LiveStoreConfig = z.infer<typeof liveStoreConfigSchema>;

export const liveProvisionConfigSchema = z
  .object({
    DATABASE_URL: databaseUrl,
    LIVE_PROVISION_HEALTH_PORT: port(4014),
    ...providerShape,
  })
  .refine(muxCredentials, muxCredentialsProblem)
  .refine(livepeerCredentials, livepeerCredentialsProblem);

export type LiveProvisionConfig = z.infer<typeof liveProvisionConfigSchema>;

export const liveWebhooksConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  LIVE_WEBHOOKS_HEALTH_PORT: port(4015),
  /** A drop followed by a reconnection within this many seconds stays one stream. */
  LIVE_RECONNECT_WINDOW_SECONDS: z.coerce.number().int().min(0).default(60),
  /** How often the streams whose drop outlived the window at a provider that reports no end to it are ended. */
  LIVE_DROP_CHECK_INTERVAL_MS: z.coerce.number().int().min(1_000).default(10_000),
  LIVE_IMAGE_BASE_URL: imageBaseUrl,
});

export type LiveWebhooksConfig = z.infer<typeof liveWebhooksConfigSchema>;

export const liveViewersConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  LIVE_VIEWERS_HEALTH_PORT: port(4020),
});

export type LiveViewersConfig = z.infer<typeof liveViewersConfigSchema>;

export const livePruneConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  LIVE_PRUNE_HEALTH_PORT: port(4028),
  LIVE_PRUNE_INTERVAL_MS: runnerIntervalMs,
  LIVE_REPLAY_WINDOW_DAYS: replayWindowDays,
});

export type LivePruneConfig = z.infer<typeof livePruneConfigSchema>;
