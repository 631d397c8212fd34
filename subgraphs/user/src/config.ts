import { z } from 'zod';
import { databaseUrl, port, secret } from '../../../kernel/config';

export const userStoreConfigSchema = z.object({
  USER_STORE_PORT: port(4001),
  DATABASE_URL: databaseUrl,
  ACCESS_TOKEN_SECRET: secret('ACCESS_TOKEN_SECRET'),
  IDENTITY_SECRET: secret('IDENTITY_SECRET'),
});

export type UserStoreConfig = z.infer<typeof userStoreConfigSchema>;
