import { z } from 'zod';
import { addressList, logLevel, port, redisUrl, secret, url } from '../../kernel/config';
import { publicKeys, signingKey } from '../../kernel/keys';
import { gatewayTelemetry } from '../../kernel/telemetry';

/** The router's own settings; the subgraphs' URLs join them from the process registry (`subgraphUrlsSchema`). */
export const routerConfigSchema = z.object({
  ROUTER_PORT: port(4100),
  ACCESS_TOKEN_PUBLIC_KEYS: publicKeys('ACCESS_TOKEN_PUBLIC_KEYS'),
  STAFF_TOKEN_PUBLIC_KEYS: publicKeys('STAFF_TOKEN_PUBLIC_KEYS'),
  /** The platform's own processes calling the Internal API as themselves (rt-gtw reading bans). */
  SERVICE_TOKEN_PUBLIC_KEYS: publicKeys('SERVICE_TOKEN_PUBLIC_KEYS'),
  /** Signs the identity each subgraph call carries. */
  IDENTITY_SIGNING_KEY: signingKey('IDENTITY_SIGNING_KEY'),
  /** Peers whose X-Forwarded-For is believed: the REST facades. */
  TRUSTED_PROXIES: addressList('127.0.0.1,::1,::ffff:127.0.0.1'),
  /** How recent a staff member's second factor must be for the explorer (the user domain's rule for staff actions). */
  STAFF_MFA_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60),
  LOG_LEVEL: logLevel,
  /** `on` lets @apollo/gateway report usage to Apollo and probe cloud metadata (kernel/telemetry.ts); off unless set. */
  GATEWAY_TELEMETRY: gatewayTelemetry,
  /** The authorization server's introspection endpoint, which alone knows the Public API's opaque tokens. */
  OAUTH_INTROSPECTION_URL: url.default('http://127.0.0.1:4010/oauth/introspect'),
  /** The router's own confidential client at the authorization server. */
  OAUTH_ROUTER_CLIENT_ID: z.string().min(1).default('router-gtw'),
  OAUTH_ROUTER_CLIENT_SECRET: secret('OAUTH_ROUTER_CLIENT_SECRET'),
  /** How long an introspection answer is reused: a revoked token keeps working at most this long. */
  OAUTH_INTROSPECTION_CACHE_MS: z.coerce.number().int().min(0).max(1000).default(500),
  OAUTH_INTROSPECTION_TIMEOUT_MS: z.coerce.number().int().positive().default(2000),
  /** The Public API's token buckets, shared by every router instance; in this process only without it. */
  REDIS_URL: redisUrl.optional(),
  RATE_LIMIT_KEY_PREFIX: z.string().min(1).default('router:ratelimit:public'),
  /** Requests per (client, user) per window, refilled continuously (Helix: 800 a minute). */
  PUBLIC_RATE_LIMIT_POINTS: z.coerce.number().int().positive().default(800),
  PUBLIC_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  /**
   * Our apps' operations at the edge (`app.v1`, /private/graphql): requests per user, or per address for anonymous
   * callers, per window; buckets under `RATE_LIMIT_KEY_PREFIX:app`.
   */
  APP_RATE_LIMIT_POINTS: z.coerce.number().int().positive().default(1200),
  APP_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  /**
   * Readiness probes each subgraph's `/healthz` in the background (router/src/readiness.ts) and answers from the
   * last verdicts: a subgraph counts as down after this many failed probes in a row, each given the timeout, one
   * round every interval. The bounds keep a real outage red within 75 s at the most (5 × (5 s + 10 s)).
   */
  ROUTER_READINESS_INTERVAL_MS: z.coerce.number().int().min(100).max(5000).default(1000),
  ROUTER_READINESS_TIMEOUT_MS: z.coerce.number().int().min(100).max(10_000).default(2000),
  ROUTER_READINESS_FAILURES: z.coerce.number().int().min(1).max(5).default(3),
});

export type RouterConfig = z.infer<typeof routerConfigSchema>;
