import { z } from 'zod';
import { logLevel, port, secret, url } from '../../kernel/config';

export const routerConfigSchema = z.object({
  ROUTER_PORT: port(4100),
  USER_SUBGRAPH_URL: url.default('http://127.0.0.1:4001/graphql'),
  CHNL_SUBGRAPH_URL: url.default('http://127.0.0.1:4002/graphql'),
  CHAT_SUBGRAPH_URL: url.default('http://127.0.0.1:4003/graphql'),
  ACCESS_TOKEN_SECRET: secret('ACCESS_TOKEN_SECRET'),
  IDENTITY_SECRET: secret('IDENTITY_SECRET'),
  /** Peers whose X-Forwarded-For is believed: the REST facades. */
  TRUSTED_PROXIES: z
    .string()
    .default('127.0.0.1,::1,::ffff:127.0.0.1')
    .transform((v) => v.split(',').map((p) => p.trim()).filter(Boolean)),
  LOG_LEVEL: logLevel,
});

export type RouterConfig = z.infer<typeof routerConfigSchema>;
