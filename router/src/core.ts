import { readFileSync } from 'node:fs';
import { ApolloServer, HeaderMap } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { ErrorCode } from '../../kernel/errors';
import { GRAPHQL_RESPONSE, graphQLErrorBody } from '../../kernel/graphql-http';
import type { EventBus } from '../../kernel/bus/port';
import { IDENTITY_HEADER, REQUEST_ID_HEADER, signIdentity } from '../../kernel/identity';
import type { Logger } from '../../kernel/log';
import { fromRoot } from '../../kernel/paths';
import { loadPersistedOperations } from '../../kernel/persisted';
import type { RouterConfig } from './config';
import { authenticate } from './callers';
import { limitRules } from './limits';
import { resolvePersisted, type GraphQLRequestBody } from './persisted';
import { createRevocations } from './revocations';
import { SUBGRAPHS } from './subgraphs';

interface RouterContext {
  identityToken: string;
  requestId: string;
}

export interface RouterRequest {
  body: GraphQLRequestBody;
  authorization?: string;
  requestId: string;
  clientIp?: string;
}

export interface RouterReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RouterCore {
  /** Runs one request through safelist, authentication and the gateway; HTTP and in-process callers share it. */
  execute(request: RouterRequest): Promise<RouterReply>;
  subgraphsHealthy(): Promise<boolean>;
  stop(): Promise<void>;
}

const refusal = (status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): RouterReply => ({
  status,
  headers: { 'content-type': GRAPHQL_RESPONSE, ...headers },
  body: graphQLErrorBody(code, message),
});

/** `bus` carries the suspensions that revoke tokens before they expire. */
export async function createRouterCore(config: RouterConfig, logger: Logger, bus: EventBus): Promise<RouterCore> {
  const revocations = createRevocations(bus, logger);
  await revocations.start();
  const urls = Object.fromEntries(SUBGRAPHS.map((s) => [s.name, config[s.env]]));
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(fromRoot('schema', 'supergraph.graphql'), 'utf8'),
    buildService: ({ name }) =>
      new RemoteGraphQLDataSource<RouterContext>({
        url: urls[name],
        fetcher: fetch as never,
        willSendRequest({ request, context }) {
          request.http?.headers.set(IDENTITY_HEADER, context.identityToken);
          request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
        },
      }),
    logger,
  });
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    introspection: false,
    // The process's own shutdown decides the order: servers first, then consumers, then connections.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    validationRules: limitRules(),
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
    logger,
  });
  await apollo.start();
  const operations = loadPersistedOperations();

  return {
    async execute({ body, authorization, requestId, clientIp }) {
      const resolved = resolvePersisted(operations, body);
      if ('code' in resolved) return refusal(resolved.status, resolved.code, resolved.message);

      const authenticated = await authenticate(resolved.operation.api, authorization, config.ACCESS_TOKEN_SECRET, revocations);
      if ('code' in authenticated) return refusal(authenticated.status, authenticated.code, authenticated.message, authenticated.headers);
      const identityToken = await signIdentity(config.IDENTITY_SECRET, { ...authenticated.caller, ip: clientIp, requestId });

      const headers = new HeaderMap([['content-type', 'application/json']]);
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: 'POST',
          headers,
          search: '',
          body: { query: resolved.operation.body, operationName: resolved.operation.name, variables: resolved.variables },
        },
        context: async () => ({ identityToken, requestId }),
      });
      if (response.body.kind !== 'complete') return refusal(400, 'BAD_REQUEST', 'incremental delivery is not served here');
      return {
        status: response.status ?? 200,
        headers: Object.fromEntries(response.headers),
        body: response.body.string,
      };
    },

    async subgraphsHealthy() {
      const answers = await Promise.all(
        SUBGRAPHS.map((s) =>
          fetch(new URL('/healthz', urls[s.name]), { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false),
        ),
      );
      return revocations.ready() && answers.every(Boolean);
    },

    stop: async () => {
      await apollo.stop();
      await revocations.stop();
    },
  };
}
