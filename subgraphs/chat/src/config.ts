import { z } from 'zod';
import { databaseUrl, port, redisUrl, replayWindowDays, runnerIntervalMs } from '../../../kernel/config';
import { publicKeys } from '../../../kernel/keys';
import { DEFAULT_CHAT_LIMITS } from './services/chat-limiter';

export const chatStoreConfigSchema = z.object({
  CHAT_STORE_PORT: port(4003),
  DATABASE_URL: databaseUrl,
  IDENTITY_PUBLIC_KEYS: publicKeys('IDENTITY_PUBLIC_KEYS'),
  /** Message limits shared by every instance; without it they are counted in this process only. */
  REDIS_URL: redisUrl.optional(),
  /** Prefix of the limit counters in Redis, so that environments sharing a Redis never count each other's messages. */
  CHAT_REDIS_PREFIX: z.string().min(1).default('chat'),
  CHAT_VIEWER_MESSAGES_PER_30S: z.coerce.number().int().positive().default(DEFAULT_CHAT_LIMITS.viewerMessages),
  CHAT_MODERATOR_MESSAGES_PER_30S: z.coerce.number().int().positive().default(DEFAULT_CHAT_LIMITS.moderatorMessages),
  /**
   * Refused messages are counted per user in windows of this many seconds, and each window is reported once
   * (chat.messages.refused.v1) for account analysis.
   */
  CHAT_REFUSALS_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** Refusals of one user within a window below which the window is not reported (a slow-mode slip is no signal). */
  CHAT_REFUSALS_REPORT_AT: z.coerce.number().int().min(1).max(100_000).default(5),
});

export type ChatStoreConfig = z.infer<typeof chatStoreConfigSchema>;

export const chatProvisionConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  CHAT_PROVISION_HEALTH_PORT: port(4013),
});

export type ChatProvisionConfig = z.infer<typeof chatProvisionConfigSchema>;

export const chatPruneConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  CHAT_PRUNE_HEALTH_PORT: port(4027),
  CHAT_PRUNE_INTERVAL_MS: runnerIntervalMs,
  CHAT_REPLAY_WINDOW_DAYS: replayWindowDays,
  /** Days a chat message is kept after it was sent; history older than that is deleted. */
  CHAT_HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
});

export type ChatPruneConfig = z.infer<typeof chatPruneConfigSchema>;
