import { z } from 'zod';
import { databaseUrl, port, secret } from '../../../kernel/config';

export const chnlStoreConfigSchema = z.object({
  CHNL_STORE_PORT: port(4002),
  DATABASE_URL: databaseUrl,
  IDENTITY_SECRET: secret('IDENTITY_SECRET'),
});

export type ChnlStoreConfig = z.infer<typeof chnlStoreConfigSchema>;

export const chnlProvisionConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  CHNL_PROVISION_HEALTH_PORT: port(4012),
});

export type ChnlProvisionConfig = z.infer<typeof chnlProvisionConfigSchema>;
