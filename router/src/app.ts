import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import express from 'express';
import { createHttpApp, listen, type Listening } from '../../kernel/http';
import { IDENTITY_HEADER, REQUEST_ID_HEADER } from '../../kernel/identity';
import type { Logger } from '../../kernel/log';
import { fromRoot } from '../../kernel/paths';
import { loadPersistedOperations } from '../../kernel/persisted';
import { sendGraphQLError } from '../../kernel/graphql-http';
import { authenticate } from './auth';
import type { RouterConfig } from './config';
import { persistedOnly } from './persisted-only';
import { SUBGRAPHS } from './subgraphs';

interface RouterContext {
  identityToken: string;
  requestId: string;
}

export interface RunningRouter extends Listening {
  stop(): Promise<void>;
}

export async function startRouter(config: RouterConfig, logger: Logger): Promise<RunningRouter> {
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
  const server = new ApolloServer<RouterContext>({
    gateway,
    introspection: false,
    // The process's own shutdown decides the order: servers first, then consumers, then connections.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
    logger,
  });
  await server.start();

  const app = createHttpApp(logger, {
    subgraphs: async () => {
      const answers = await Promise.all(
        SUBGRAPHS.map((s) => fetch(new URL('/healthz', urls[s.name]), { signal: AbortSignal.timeout(1000) }).then((r) => r.ok)),
      );
      return answers.every(Boolean);
    },
  });
  app.use(
    '/graphql',
    express.json({ limit: '64kb' }),
    persistedOnly(loadPersistedOperations()),
    authenticate(config.ACCESS_TOKEN_SECRET, config.IDENTITY_SECRET),
    expressMiddleware(server, {
      context: async ({ req }) => ({ identityToken: req.identityToken, requestId: req.id }),
    }),
  );
  app.use((error: Error & { type?: string; status?: number }, req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(error);
    if (error.type === 'entity.parse.failed' || error.type === 'entity.too.large') {
      sendGraphQLError(res, error.status ?? 400, 'BAD_REQUEST', 'the request body is not valid JSON or is too large');
      return;
    }
    req.log.error({ err: error }, 'unhandled router error');
    sendGraphQLError(res, 500, 'INTERNAL', 'internal error');
  });

  const listening = await listen(app, config.ROUTER_PORT);
  logger.info({ url: listening.url }, 'router listening');
  return {
    ...listening,
    stop: async () => {
      await listening.close();
      await server.stop();
    },
  };
}
