import { z } from 'zod';
import { addressList, logLevel, port, redisUrl, secret, url } from '../../kernel/config';
import { publicKeys, signingKey } from '../../kernel/keys';

export const rtGtwConfigSchema = z.object({
  RT_PORT: port(4200),
  ACCESS_TOKEN_PUBLIC_KEYS: publicKeys('ACCESS_TOKEN_PUBLIC_KEYS'),
  /**
   * At start rt-gtw reads the bans in force from the chat domain through the router's Internal API, as itself
   * (a service token signed with this key, verified by the router with SERVICE_TOKEN_PUBLIC_KEYS). Until it has
   * them it is unready and refuses sockets (1013); a router that is down is retried with backoff.
   */
  ROUTER_URL: url.default('http://127.0.0.1:4100/graphql'),
  SERVICE_TOKEN_SIGNING_KEY: signingKey('SERVICE_TOKEN_SIGNING_KEY'),
  /** How long one page of the bans may take before the read is retried. */
  RT_BANS_READ_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  /** Counts viewers across instances; without it each instance counts its own (one instance, or `npm start`). */
  REDIS_URL: redisUrl.optional(),
  /** Lets several environments (or test runs) share one Redis. */
  RT_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._-]*$/, 'only letters, digits, : . _ -')
    .default('rt:'),
  /** Names this instance's consumer group and its share of the viewer counts; unique per instance when not given. */
  RT_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'only letters, digits, . _ -, at most 64')
    .optional(),
  /** A socket holding more unsent bytes than this is a slow consumer: it is closed (1013) and dropped. */
  RT_MAX_BUFFERED_BYTES: z.coerce.number().int().min(16_384).default(1_048_576),
  /** The largest message a client may send; subscribe messages of persisted operations are small. */
  RT_MAX_CLIENT_MESSAGE_BYTES: z.coerce.number().int().min(1_024).default(16_384),
  RT_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().min(1).default(50),
  /**
   * Sockets one signed-in user may hold open on an instance, and anonymous sockets one address may: the next is
   * closed (1008). Signed-in sockets are not counted per address, so the people behind one NAT are not limited
   * together.
   */
  RT_MAX_SOCKETS_PER_USER: z.coerce.number().int().min(1).default(10),
  RT_MAX_ANONYMOUS_SOCKETS_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
  /** Proxies in front of rt-gtw whose X-Forwarded-For names the client's address (the rightmost untrusted hop). */
  RT_TRUSTED_PROXIES: addressList(''),
  /** How long a socket may stay open without connection_init before it is closed (4408). */
  RT_CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).default(3_000),
  /** Viewer counts are exchanged and pushed this often; never more than once a second. */
  RT_VIEWER_COUNT_INTERVAL_MS: z.coerce.number().int().min(1_000).default(1_000),
  /**
   * Each instance reports its distinct viewers per channel to the live domain (live.viewers.counted.v1) this often; a
   * report counts for three periods, so an instance that dies stops counting within them.
   */
  RT_VIEWER_REPORT_INTERVAL_MS: z.coerce.number().int().min(1_000).max(600_000).default(5_000),
  /** Pings every socket this often and drops the ones that do not answer within the next period. */
  RT_KEEPALIVE_MS: z.coerce.number().int().min(1_000).default(15_000),
  /**
   * Third-party apps' OAuth tokens (with chat:read) are checked at the authorization server's introspection endpoint,
   * with the resource servers' client (the router's); without a secret only session tokens are accepted.
   */
  OAUTH_INTROSPECTION_URL: url.default('http://127.0.0.1:4010/oauth/introspect'),
  OAUTH_ROUTER_CLIENT_ID: z.string().min(1).default('router-gtw'),
  OAUTH_ROUTER_CLIENT_SECRET: secret('OAUTH_ROUTER_CLIENT_SECRET').optional(),
  /** As the router's: a revoked token keeps working at most this long. */
  OAUTH_INTROSPECTION_CACHE_MS: z.coerce.number().int().min(0).max(1000).default(500),
  OAUTH_INTROSPECTION_TIMEOUT_MS: z.coerce.number().int().positive().default(2000),
  LOG_LEVEL: logLevel,
});

export type RtGtwConfig = z.infer<typeof rtGtwConfigSchema>;
