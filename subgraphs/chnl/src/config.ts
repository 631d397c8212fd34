import { z } from 'zod';
import { databaseUrl, port, replayWindowDays, runnerIntervalMs } from '../../../kernel/config';
import { publicKeys } from '../../../kernel/keys';

export const chnlStoreConfigSchema = z.object({
  CHNL_STORE_PORT: port(4002),
  DATABASE_URL: databaseUrl,
  IDENTITY_PUBLIC_KEYS: publicKeys('IDENTITY_PUBLIC_KEYS'),
});

export type ChnlStoreConfig = z.infer<typeof chnlStoreConfigSchema>;

export const chnlProvisionConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  CHNL_PROVISION_HEALTH_PORT: port(4012),
});

export type ChnlProvisionConfig = z.infer<typeof chnlProvisionConfigSchema>;

export const chnlPruneConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  CHNL_PRUNE_HEALTH_PORT: port(4026),
  CHNL_PRUNE_INTERVAL_MS: runnerIntervalMs,
  CHNL_REPLAY_WINDOW_DAYS: replayWindowDays,
});

export type ChnlPruneConfig = z.infer<typeof chnlPruneConfigSchema>;
