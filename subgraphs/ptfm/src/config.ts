import { z } from 'zod';
import { databaseUrl, port, secret } from '../../../kernel/config';

export const ptfmStoreConfigSchema = z.object({
  PTFM_STORE_PORT: port(4005),
  DATABASE_URL: databaseUrl,
  IDENTITY_SECRET: secret('IDENTITY_SECRET'),
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
});

export type PtfmNotifyConfig = z.infer<typeof ptfmNotifyConfigSchema>;
