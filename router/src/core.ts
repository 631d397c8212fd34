import { readFileSync } from 'node:fs';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { AUDITED_STAFF_READS } from '../../kernel/audited-reads';
import type { ErrorCode } from '../../kernel/errors';
import { GRAPHQL_RESPONSE, graphQLErrorBody } from '../../kernel/graphql-http';
import type { EventBus } from '../../kernel/bus/port';
import { IDENTITY_HEADER, REQUEST_ID_HEADER } from '../../kernel/identity';
import { createIdentityTokens } from './identity-tokens';
import { createRevocations } from '../../kernel/revocations';
import type { Logger } from '../../kernel/log';
import { fromRoot } from '../../kernel/paths';
import { applyGatewayTelemetry } from '../../kernel/telemetry';
import { loadPersistedOperations } from '../../kernel/persisted';
import { PUBLIC_API_RESOURCE } from '../../kernel/scopes';
import { apiAccessTable, apiFamily, oauthVerifier, serviceVerifier, sessionVerifier, staffVerifier, type VerifiedCaller } from './callers';
import type { RouterConfig } from './config';
import { createIntrospection, IntrospectionUnavailable } from '../../kernel/introspection';
import { connectRedis } from '../../kernel/redis';
import { limitRules } from './limits';
import { memoryRateLimiter, rateLimitHeaders, sharedRateLimiter, type RateLimitPolicy } from './rate-limit';
import { explorerRefusal, isAdHoc, objectOrEmpty } from './explorer';
import { resolvePersisted } from './persisted';
import { createSubgraphFetcher, inProcessFetch } from './subgraph-fetcher';
import type { InProcessSubgraph } from '../../kernel/subgraph-port';
import { instrumentRouter } from './metrics';
import { timedFetch } from '../../kernel/metrics';
import { traceHeaders } from '../../kernel/tracing';
import { backgroundProbes } from './readiness';
import type { SubgraphUrls } from './subgraphs';
import type { RouterPort, RouterReply } from '../../kernel/router-port';

interface RouterContext {
  /** The caller's identity signed for one subgraph (its audience), reused while fresh (identity-tokens.ts). */
  identityFor(subgraph: string): Promise<string>;
  requestId: string;
}

export interface RouterCore extends RouterPort {
  stop(): Promise<void>;
}

const refusal = (status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): RouterReply => ({
  status,
  headers: { 'content-type': GRAPHQL_RESPONSE, ...headers },
  body: graphQLErrorBody(code, message),
});

/** The user domain's audit of an explorer query, run by the router with the staff member's own identity. */
const AUDIT_EXPLORER_QUERY =
  'mutation AuditExplorerQuery($document: String!, $operationName: String, $variables: String) { auditExplorerQuery(document: $document, operationName: $operationName, variables: $variables) }';

/** The user domain's audit of a staff read another domain serves, run by the router with the staff member's identity. */
const AUDIT_STAFF_READ =
  'mutation AuditStaffRead($operationName: String!, $variables: String) { auditStaffRead(operationName: $operationName, variables: $variables) }';

/** Refusals of an audited read's permission: answered as the read itself would answer them. */
const READ_REFUSALS = new Set<string>(['FORBIDDEN', 'STAFF_MFA_REQUIRED', 'UNAUTHENTICATED']);

/**
 * The one API a persisted operation runs as, so one kind of token is verified: the API the caller names (the REST
 * facade names its route's), or the only one whose manifest holds the text. A text persisted in several APIs (the
 * same followers query in private.v1 and public.v1) must be named, or a session token would open the Public API.
 */
function apiOf(apis: string[], named: unknown): string | { status: number; code: ErrorCode; message: string } {
  if (named === undefined) {
    if (apis.length === 1) return apis[0];
    return { status: 400, code: 'BAD_REQUEST', message: `this operation is persisted in ${apis.join(', ')}: name one in extensions.api` };
  }
  if (typeof named === 'string' && apis.includes(named)) return named;
  return { status: 400, code: 'OPERATION_NOT_PERSISTED', message: `this operation is not persisted in ${String(named)}` };
}

const ANONYMOUS: VerifiedCaller = { kind: 'anonymous' };
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

/**
 * `bus` carries the suspensions that revoke signed tokens before they expire. `inProcess`: the subgraphs running in
 * this same process (`npm start`), called without HTTP; every other is called at its URL.
 */
export async function createRouterCore(
  config: RouterConfig,
  urls: SubgraphUrls,
  logger: Logger,
  bus: EventBus,
  inProcess: Record<string, InProcessSubgraph> = {},
): Promise<RouterCore> {
  const revocations = createRevocations(bus, logger, 'router-gtw');
  await revocations.start();
  applyGatewayTelemetry(config.GATEWAY_TELEMETRY);
  const subgraphs = createSubgraphFetcher();
  const identityTokens = createIdentityTokens(config.IDENTITY_SIGNING_KEY);
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(fromRoot('schema', 'supergraph.graphql'), 'utf8'),
    buildService: ({ name }) =>
      new RemoteGraphQLDataSource<RouterContext>({
        url: urls[name],
        // Typed as the data source reads the answer (status, headers.get, json, text), not as the whole WHATWG Response.
        fetcher: timedFetch(name, (inProcess[name] ? inProcessFetch(inProcess[name]) : subgraphs.fetch) as never) as never,
        async willSendRequest({ request, context }) {
          request.http?.headers.set(IDENTITY_HEADER, await context.identityFor(name));
          request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
          for (const [name, value] of Object.entries(traceHeaders())) request.http?.headers.set(name, value);
        },
      }),
    logger,
  });
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    // Only the explorer's queries can ask: persisted operations never hold introspection (the schema check refuses
    // them), and nothing else reaches Apollo.
    introspection: true,
    // The process's own shutdown decides the order: servers first, then consumers, then connections.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    validationRules: limitRules(),
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
    logger,
  });
  await apollo.start();
  const operations = loadPersistedOperations();
  const probes = backgroundProbes(
    Object.fromEntries(
      Object.entries(urls).map(([name, url]) => [
        name,
        // A subgraph in this process answers while the process runs.
        inProcess[name]
          ? async () => true
          : (signal: AbortSignal) => subgraphs.fetch(new URL('/healthz', url).href, { signal }).then((answer) => answer.ok),
      ]),
    ),
    {
      intervalMs: config.ROUTER_READINESS_INTERVAL_MS,
      timeoutMs: config.ROUTER_READINESS_TIMEOUT_MS,
      failureThreshold: config.ROUTER_READINESS_FAILURES,
    },
    (subgraph, up) =>
      logger[up ? 'info' : 'warn']({ subgraph }, up ? 'subgraph answers its probes again' : 'subgraph counted down: its probes failed'),
  );
  const introspection = createIntrospection({
    url: config.OAUTH_INTROSPECTION_URL,
    clientId: config.OAUTH_ROUTER_CLIENT_ID,
    clientSecret: config.OAUTH_ROUTER_CLIENT_SECRET,
    cacheMs: config.OAUTH_INTROSPECTION_CACHE_MS,
    timeoutMs: config.OAUTH_INTROSPECTION_TIMEOUT_MS,
    audience: PUBLIC_API_RESOURCE,
  });
  const access = apiAccessTable({
    session: sessionVerifier(config.ACCESS_TOKEN_PUBLIC_KEYS),
    oauth: oauthVerifier(introspection),
    staff: staffVerifier(config.STAFF_TOKEN_PUBLIC_KEYS),
    service: serviceVerifier(config.SERVICE_TOKEN_PUBLIC_KEYS),
  });
  const redis = config.REDIS_URL
    ? await connectRedis(config.REDIS_URL, logger, 'the API rate limits count in this instance only until it is back')
    : undefined;
  const policy: RateLimitPolicy = { points: config.PUBLIC_RATE_LIMIT_POINTS, windowSeconds: config.PUBLIC_RATE_LIMIT_WINDOW_SECONDS };
  const limiter = redis ? sharedRateLimiter(redis, policy, config.RATE_LIMIT_KEY_PREFIX) : memoryRateLimiter(policy);
  const appPolicy: RateLimitPolicy = { points: config.APP_RATE_LIMIT_POINTS, windowSeconds: config.APP_RATE_LIMIT_WINDOW_SECONDS };
  const appLimiter = redis ? sharedRateLimiter(redis, appPolicy, `${config.RATE_LIMIT_KEY_PREFIX}:app`) : memoryRateLimiter(appPolicy);

  /**
   * The caller, verified by the one kind of token the operation's API takes. No token is anonymous where the API
   * admits anonymous callers; a bad, expired or wrong-kind token is refused rather than downgraded to anonymous.
   */
  async function authenticate(apis: string[], authorization: string | undefined): Promise<VerifiedCaller | RouterReply> {
    const admitted = apis.flatMap((api) => access[apiFamily(api)] ?? []);
    if (authorization === undefined) {
      if (admitted.some((a) => a.anonymous)) return ANONYMOUS;
      return refusal(401, 'UNAUTHENTICATED', 'this API needs a bearer token', { 'www-authenticate': 'Bearer' });
    }
    const token = BEARER.exec(authorization)?.[1];
    let reason: 'expired' | 'invalid' = 'invalid';
    if (token) {
      for (const api of admitted) {
        const verified = await api.verify(token);
        if (verified.ok) {
          const { caller } = verified;
          const userId = caller.kind === 'anonymous' || caller.kind === 'service' ? undefined : caller.userId;
          if (userId && verified.issuedAt !== undefined && revocations.revoked(userId, verified.issuedAt)) {
            return refusal(401, 'UNAUTHENTICATED', 'access token revoked', {
              'www-authenticate': 'Bearer error="invalid_token", error_description="token revoked"',
            });
          }
          return caller;
        }
        if (verified.reason === 'expired') reason = 'expired';
      }
    }
    return refusal(401, 'UNAUTHENTICATED', `access token ${reason}`, {
      'www-authenticate': `Bearer error="invalid_token", error_description="token ${reason}"`,
    });
  }

  return instrumentRouter(operations, {
    async execute({ body, authorization, requestId, clientIp }) {
      let request: { query: string; operationName?: string; variables: Record<string, unknown> };
      let caller: VerifiedCaller | RouterReply;
      let explorer = false;
      let api: string | undefined;
      try {
        if (isAdHoc(body)) {
          // The explorer: staff holding graph:explore with a fresh second factor run queries of their own,
          // introspection included. Anyone else is answered as if only persisted operations existed.
          const staff = await authenticate(['admin.v1'], authorization);
          caller = 'status' in staff ? ANONYMOUS : staff;
          const refused = explorerRefusal({ ...caller, requestId }, body, config.STAFF_MFA_MAX_AGE_SECONDS);
          if (refused) return refusal(refused.status, refused.code, refused.message);
          request = {
            query: body.query as string,
            ...(typeof body.operationName === 'string' ? { operationName: body.operationName } : {}),
            variables: objectOrEmpty(body.variables),
          };
          explorer = true;
        } else {
          const resolved = resolvePersisted(operations, body);
          if ('code' in resolved) return refusal(resolved.status, resolved.code, resolved.message);
          const named = apiOf(resolved.operation.apis, body.extensions?.api);
          if (typeof named !== 'string') return refusal(named.status, named.code, named.message);
          api = named;
          caller = await authenticate([api], authorization);
          request = { query: resolved.operation.body, operationName: resolved.operation.name, variables: resolved.variables };
        }
      } catch (error) {
        if (!(error instanceof IntrospectionUnavailable)) throw error;
        logger.warn({ err: error, requestId }, 'token introspection failed');
        return refusal(503, 'UNAVAILABLE', 'the authorization server is unavailable, retry later');
      }
      if ('status' in caller) return caller;

      // Apps share the Public API by (client, user): one app cannot starve another, nor one user of an app the rest.
      // Our own apps' operations at the edge count per user, or per address for anonymous callers.
      const limit =
        caller.kind === 'oauth'
          ? { name: 'public', limiter, policy, key: `${caller.clientId}:${caller.userId ?? '-'}` }
          : api !== undefined && apiFamily(api) === 'app'
            ? {
                name: 'app',
                limiter: appLimiter,
                policy: appPolicy,
                key: caller.kind === 'session' ? `user:${caller.userId}` : `address:${clientIp ?? '-'}`,
              }
            : undefined;
      let limitHeaders: Record<string, string> = {};
      if (limit) {
        const decision = await limit.limiter.take(limit.key);
        if (decision) limitHeaders = rateLimitHeaders(limit.policy, decision, limit.name);
        if (decision && !decision.allowed) {
          return {
            status: 429,
            headers: { 'content-type': GRAPHQL_RESPONSE, ...limitHeaders },
            body: JSON.stringify({
              errors: [
                {
                  message: 'rate limit exceeded, retry later',
                  extensions: { code: 'RATE_LIMITED', retryAfter: decision.retryAfterSeconds },
                },
              ],
            }),
          };
        }
      }

      const identity = { ...caller, ip: clientIp, requestId };
      const identityFor = (subgraph: string) => identityTokens.tokenFor(identity, subgraph);
      const run = (body: typeof request) =>
        apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body },
          context: async () => ({ identityFor, requestId }),
        });

      // An explorer query is in the audit log before it runs: if it cannot be recorded, it does not run.
      if (explorer) {
        const audited = await run({
          query: AUDIT_EXPLORER_QUERY,
          variables: {
            document: request.query,
            operationName: request.operationName ?? null,
            variables: JSON.stringify(request.variables),
          },
        });
        const recorded = audited.body.kind === 'complete' && JSON.parse(audited.body.string).data?.auditExplorerQuery === true;
        if (!recorded) {
          logger.warn({ requestId }, 'explorer query refused: it could not be audited');
          return refusal(503, 'UNAVAILABLE', 'the query could not be audited, retry later');
        }
        logger.info(
          { requestId, staffId: caller.kind === 'staff' ? caller.userId : undefined, operationName: request.operationName },
          'explorer query',
        );
      }

      // A staff read another domain serves is in the audit log before it runs, as an explorer query is.
      if (api === 'admin.v1' && request.operationName && Object.hasOwn(AUDITED_STAFF_READS, request.operationName)) {
        const audited = await run({
          query: AUDIT_STAFF_READ,
          variables: { operationName: request.operationName, variables: JSON.stringify(request.variables) },
        });
        const answer = audited.body.kind === 'complete' ? JSON.parse(audited.body.string) : undefined;
        if (answer?.data?.auditStaffRead !== true) {
          if (READ_REFUSALS.has(answer?.errors?.[0]?.extensions?.code) && audited.body.kind === 'complete') {
            return { status: audited.status ?? 200, headers: Object.fromEntries(audited.headers), body: audited.body.string };
          }
          logger.warn({ requestId, operationName: request.operationName }, 'staff read refused: it could not be audited');
          return refusal(503, 'UNAVAILABLE', 'the read could not be audited, retry later');
        }
      }

      const response = await run(request);
      if (response.body.kind !== 'complete') return refusal(400, 'BAD_REQUEST', 'incremental delivery is not served here');
      return {
        status: response.status ?? 200,
        headers: { ...Object.fromEntries(response.headers), ...limitHeaders },
        body: response.body.string,
      };
    },

    async subgraphsHealthy() {
      return revocations.ready() && probes.allUp();
    },

    async stop() {
      probes.stop();
      await apollo.stop();
      subgraphs.close();
      await revocations.stop();
      await redis?.quit();
    },
  });
}
