import { z } from 'zod';
import { addressList, logLevel, port, url } from '../../kernel/config';
import { DEFAULT_MAX_IN_FLIGHT } from './admission';

export const restFacadeConfigSchema = z.object({
  REST_FACADE_PORT: port(4000),
  /** Where the facade listens: loopback unless an operator exposes it (0.0.0.0, or one interface's address). */
  REST_FACADE_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * The proxies in front of the facade (load balancers) whose X-Forwarded-For is believed; none by default, the
   * facade being the edge. The client is the rightmost hop none of them wrote.
   */
  TRUSTED_PROXIES: addressList(''),
  /** The router's GraphQL endpoint; its /healthz is at the same origin. */
  ROUTER_URL: z.url({
    protocol: /^https?$/,
    error: (issue) =>
      issue.input === undefined ? 'is required (the router, e.g. http://127.0.0.1:4100/graphql)' : 'must be an http(s) URL',
  }),
  /** A router silent for longer than this is answered 504 rather than holding the client's connection open. */
  ROUTER_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** Router calls in flight at most; one more is answered at once 503 with Retry-After rather than queued. */
  REST_FACADE_MAX_IN_FLIGHT: z.coerce.number().int().positive().default(DEFAULT_MAX_IN_FLIGHT),
  /** The authorization server's public URL, named in the served Public API document (default: the facade's own origin). */
  OAUTH_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Where the router introspects tokens: `npm start` names the authorization server this way, and the facade passes
   * the authorization server's paths (`/oauth/`, `/activate`, its metadata) to this URL's origin.
   */
  OAUTH_INTROSPECTION_URL: url.default('http://127.0.0.1:4010/oauth/introspect'),
  LOG_LEVEL: logLevel,
});

export type RestFacadeConfig = z.infer<typeof restFacadeConfigSchema>;
