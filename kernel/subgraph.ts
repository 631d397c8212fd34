import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloServer, HeaderMap } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLFormattedError } from 'graphql';
import { formatDateTimeFields } from './date-time';
import type Redis from 'ioredis';
import { connectRedis } from './redis';
import type { EventBus } from './bus/port';
import type { DomainDb } from './db/client';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './db/unavailable';
import { type ErrorCode, isErrorCode } from './errors';
import { GRAPHQL_RESPONSE, graphQLErrorBody, sendGraphQLError } from './graphql-http';
import { storableTextPlugin } from './graphql-text';
import { createHttpHandler, listen, type Exchange, type Listening, type ReadinessCheck } from './http';
import { IDENTITY_HEADER, REQUEST_ID_HEADER, createIdentityVerifier, type Identity, type IdentityVerifier } from './identity';
import { BodyError, readJsonBody } from './json-body';
import type { VerificationKeys } from './keys';
import type { Logger } from './log';
import { createOutboxRelay } from './outbox/relay';
import { fromRoot } from './paths';
import type { InProcessSubgraph, SubgraphAnswer, SubgraphCall } from './subgraph-port';

type SubgraphResolvers = NonNullable<
  Extract<Extract<Parameters<typeof buildSubgraphSchema>[0], readonly unknown[]>[number], { typeDefs: unknown }>['resolvers']
>;

export interface SubgraphOptions<C> {
  name: string;
  sdlPath: string;
  /** One object per GraphQL type, as `buildSubgraphSchema` takes them (with `__resolveReference`). */
  resolvers: SubgraphResolvers;
  /** The router's public keys: a call must carry an identity it signed for this subgraph. */
  identityKeys: VerificationKeys;
  port: number;
  logger: Logger;
  checks: Record<string, ReadinessCheck>;
  /** Builds the per-request context (loaders, services) for a verified caller. */
  context(identity: Identity, log: Logger): C;
}

export interface RunningSubgraph extends Listening {
  apollo: ApolloServer<never>;
  inProcess: InProcessSubgraph;
  stop(): Promise<void>;
}

/**
 * A subgraph is never an open door: every request must carry the identity the router signed, or it is refused
 * before execution. Errors that are not part of the domain's contract are logged and masked.
 */
export async function startSubgraph<C extends object>(options: SubgraphOptions<C>): Promise<RunningSubgraph> {
  const schema = formatDateTimeFields(
    buildSubgraphSchema([{ typeDefs: parse(readFileSync(options.sdlPath, 'utf8')), resolvers: options.resolvers }]),
  );
  const apollo = new ApolloServer<C>({
    schema,
    introspection: false,
    // The process's own shutdown decides the order: servers first, then consumers, then connections.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    // Cache hints and inline traces would wrap every resolver of every request; neither is consumed here.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      storableTextPlugin(),
    ],
    logger: options.logger,
    formatError: (formatted: GraphQLFormattedError, error: unknown) => maskUnexpected(formatted, error, options.logger),
  });
  await apollo.start();
  const verifyIdentity = createIdentityVerifier(options.identityKeys, options.name);

  const handler = createHttpHandler(options.logger, options.checks, {
    routes: { '/graphql': (exchange) => answerGraphQL(exchange, apollo, verifyIdentity, options.context) },
    fail: ({ res }) => sendGraphQLError(res, 500, 'INTERNAL', 'internal error'),
  });
  const listening = await listen(handler, options.port);
  options.logger.info({ url: listening.url, subgraph: options.name }, 'subgraph listening');
  return {
    ...listening,
    apollo: apollo as unknown as ApolloServer<never>,
    inProcess: (call) => answerInProcess(call, apollo, verifyIdentity, options.context, options.logger),
    stop: async () => {
      await listening.close();
      await apollo.stop();
    },
  };
}

export interface DomainServiceOptions<P, C> {
  /** The domain's short name: its subgraph in the supergraph and its folder (`subgraphs/<name>/schema.graphql`). */
  name: string;
  /** The domain's PostgreSQL schema, whose outbox the process relays. */
  schema: string;
  connect(databaseUrl: string, max: number, logger: Logger): DomainDb<P>;
  resolvers: SubgraphResolvers;
  /**
   * Builds the domain's services once, from its own Prisma client and (when configured) the Redis that several
   * instances share, and returns the per-request context.
   */
  context(deps: { prisma: P; redis?: Redis }): (identity: Identity, log: Logger) => C;
}

export interface DomainServiceSettings {
  port: number;
  DATABASE_URL: string;
  IDENTITY_PUBLIC_KEYS: VerificationKeys;
  REDIS_URL?: string;
}

/**
 * A `{domain}-store-svc` process: the domain's subgraph on its own pool, and the relay of its outbox. It hands out
 * nothing but its address and server, its subgraph for a router in the same process, and how to stop it: the
 * domain's client and services stay inside the domain. Stopping closes the server first, then the relay, then
 * Redis and the pool.
 */
export async function startDomainService<P, C extends object>(
  domain: DomainServiceOptions<P, C>,
  settings: DomainServiceSettings,
  bus: EventBus,
  logger: Logger,
): Promise<Pick<RunningSubgraph, 'url' | 'server' | 'inProcess' | 'stop'>> {
  const db = domain.connect(settings.DATABASE_URL, 10, logger);
  const redis = settings.REDIS_URL
    ? await connectRedis(settings.REDIS_URL, logger, `${domain.name}'s limits count in this instance only until it is back`)
    : undefined;
  const relay = createOutboxRelay({ pool: db.pool, schema: domain.schema, bus, logger });
  await relay.start();
  const subgraph = await startSubgraph({
    name: domain.name,
    sdlPath: fromRoot('subgraphs', domain.name, 'schema.graphql'),
    resolvers: domain.resolvers,
    identityKeys: settings.IDENTITY_PUBLIC_KEYS,
    port: settings.port,
    logger,
    checks: {
      database: () => db.pool.query('SELECT 1').then(() => true),
      bus: () => bus.healthy(),
    },
    context: domain.context({ prisma: db.prisma, redis }),
  });
  return {
    url: subgraph.url,
    server: subgraph.server,
    inProcess: subgraph.inProcess,
    stop: async () => {
      await subgraph.stop();
      await relay.stop();
      await redis?.quit();
      await db.close();
    },
  };
}

/** The largest `_entities` batches the router sends stay well under it. */
const BODY_LIMIT_BYTES = 1024 * 1024;

type Refusal = { status: number; code: ErrorCode; message: string };

const UNIDENTIFIED: Refusal = {
  status: 401,
  code: 'UNAUTHENTICATED',
  message: 'subgraphs answer only the router: missing or invalid identity',
};

/** The request's headers as Apollo Server reads them, several values of one header joined. */
function headerMap(headers: Record<string, string | string[] | undefined>): HeaderMap {
  const map = new HeaderMap();
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) map.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return map;
}

/**
 * One GraphQL request, handed to Apollo Server as its HTTP integrations do, once the router's signed identity is
 * verified (before the body is even read) and the body parsed.
 */
async function answerGraphQL<C extends object>(
  { req, res, id, log }: Exchange,
  apollo: ApolloServer<C>,
  verifyIdentity: IdentityVerifier,
  context: SubgraphOptions<C>['context'],
): Promise<void> {
  const token = req.headers[IDENTITY_HEADER];
  const identity = typeof token === 'string' ? await verifyIdentity(token, id) : null;
  if (!identity) {
    sendGraphQLError(res, UNIDENTIFIED.status, UNIDENTIFIED.code, UNIDENTIFIED.message);
    return;
  }
  let body: unknown;
  try {
    body = await readJsonBody(req, BODY_LIMIT_BYTES);
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    sendGraphQLError(res, error.status, error.code, error.message);
    return;
  }
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: (req.method ?? 'GET').toUpperCase(),
      headers: headerMap(req.headers),
      search: query === -1 ? '' : url.slice(query),
      body,
    },
    context: async () => context(identity, log),
  });
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.setHeader('content-length', Buffer.byteLength(response.body.string));
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * `answerGraphQL` for the router in the same process: the same identity check, the same execution and answer,
 * without the HTTP exchange (two serialisations of the headers, the socket work on both sides). The call's log
 * lines carry its request id as over HTTP; no server span or HTTP metric is recorded for it, the router's timing
 * of the subgraph call stays.
 */
async function answerInProcess<C extends object>(
  call: SubgraphCall,
  apollo: ApolloServer<C>,
  verifyIdentity: IdentityVerifier,
  context: SubgraphOptions<C>['context'],
  logger: Logger,
): Promise<SubgraphAnswer> {
  const refuse = ({ status, code, message }: Refusal): SubgraphAnswer => ({
    status,
    headers: { 'content-type': GRAPHQL_RESPONSE },
    body: graphQLErrorBody(code, message),
  });
  const requestId = call.headers[REQUEST_ID_HEADER] ?? randomUUID();
  const token = call.headers[IDENTITY_HEADER];
  const identity = token ? await verifyIdentity(token, requestId) : null;
  if (!identity) return refuse(UNIDENTIFIED);
  let body: unknown;
  try {
    body = JSON.parse(call.body);
  } catch {
    return refuse({ status: 400, code: 'BAD_REQUEST', message: 'the request body is not valid JSON' });
  }
  const log = logger.child({ requestId });
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: 'POST', headers: headerMap(call.headers), search: '', body },
    context: async () => context(identity, log),
  });
  let text = '';
  if (response.body.kind === 'complete') text = response.body.string;
  else for await (const chunk of response.body.asyncIterator) text += chunk;
  return { status: response.status ?? 200, headers: Object.fromEntries(response.headers), body: text };
}

const GRAPHQL_CLIENT_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

function maskUnexpected(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (isErrorCode(code) || (typeof code === 'string' && GRAPHQL_CLIENT_CODES.has(code))) return formatted;
  // Not a fault of the request nor of the code: the client may try again once the database is back.
  if (isDatabaseUnavailable(error)) {
    logger.warn({ err: error }, 'database unavailable, answered UNAVAILABLE');
    return {
      message: 'the service is unavailable, retry later',
      path: formatted.path,
      extensions: { code: 'UNAVAILABLE', retryAfter: DATABASE_RETRY_AFTER_SECONDS },
    };
  }
  logger.error({ err: error }, 'unexpected resolver error');
  return { message: 'internal error', path: formatted.path, extensions: { code: 'INTERNAL' } };
}
