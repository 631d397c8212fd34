import type { IncomingMessage } from 'node:http';
import { sendGraphQLError } from '../../kernel/graphql-http';
import { clientAddress, createHttpHandler, listen, sendText, type Listening } from '../../kernel/http';
import { BodyError, readJsonBody } from '../../kernel/json-body';
import type { EventBus } from '../../kernel/bus/port';
import type { Logger } from '../../kernel/log';
import type { RouterConfig } from './config';
import { createRouterCore, type RouterCore } from './core';
import type { SubgraphUrls } from './subgraphs';
import type { InProcessSubgraph } from '../../kernel/subgraph-port';

export interface RunningRouter extends Listening {
  core: RouterCore;
  stop(): Promise<void>;
}

/** A persisted operation's id and variables; the explorer's documents are the largest bodies. */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * router-gtw: the graph over HTTP, for GraphQL clients and for REST facades running in other processes. One route
 * on `node:http`: the router's cost per request is the plan and its subgraph calls, not a web framework's.
 */
export async function startRouter(
  config: RouterConfig,
  subgraphs: SubgraphUrls,
  logger: Logger,
  bus: EventBus,
  inProcess?: Record<string, InProcessSubgraph>,
): Promise<RunningRouter> {
  const core = await createRouterCore(config, subgraphs, logger, bus, inProcess);
  const trusted = new Set(config.TRUSTED_PROXIES);
  const handler = createHttpHandler(
    logger,
    { subgraphs: () => core.subgraphsHealthy() },
    {
      routes: {
        '/graphql': async ({ req, res, id }) => {
          let body: unknown;
          try {
            body = await readJsonBody(req, BODY_LIMIT_BYTES);
          } catch (error) {
            if (!(error instanceof BodyError)) throw error;
            if (error.status === 415) sendGraphQLError(res, 415, error.code, `send JSON in UTF-8: ${error.message}`);
            else sendGraphQLError(res, error.status, 'BAD_REQUEST', 'the request body is not valid JSON or is too large');
            return;
          }
          if (req.method !== 'POST') {
            sendGraphQLError(res, 405, 'METHOD_NOT_ALLOWED', 'use POST with a persisted operation id');
            return;
          }
          const authorization = req.headers.authorization;
          const reply = await core.execute({ body: body ?? {}, authorization, requestId: id, clientIp: clientIp(req, trusted) });
          for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
          sendText(res, reply.status, reply.headers['content-type'] ?? 'text/html', reply.body);
        },
      },
      fail: ({ res }) => sendGraphQLError(res, 500, 'INTERNAL', 'internal error'),
    },
  );

  const listening = await listen(handler, config.ROUTER_PORT);
  logger.info({ url: listening.url }, 'router listening');
  return {
    ...listening,
    core,
    stop: async () => {
      await listening.close();
      await core.stop();
    },
  };
}

/**
 * The caller's address: the peer's, unless the peer is a trusted proxy (the REST facade), whose X-Forwarded-For
 * then names the client. Anyone else could write that header to dodge per-client limits, so it is ignored.
 */
const clientIp = (req: IncomingMessage, trusted: Set<string>) =>
  clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted);
