import { z } from 'zod';
import { logLevel, port } from '../../kernel/config';

export const restFacadeConfigSchema = z.object({
  REST_FACADE_PORT: port(4000),
  /** The router's GraphQL endpoint; its /healthz is at the same origin. */
  ROUTER_URL: z.url({
    protocol: /^https?$/,
    error: (issue) =>
      issue.input === undefined ? 'is required (the router, e.g. http://127.0.0.1:4100/graphql)' : 'must be an http(s) URL',
  }),
  /** A router silent for longer than this is answered 504 rather than holding the client's connection open. */
  ROUTER_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  LOG_LEVEL: logLevel,
});

export type RestFacadeConfig = z.infer<typeof restFacadeConfigSchema>;
