import express from 'express';
import { sendGraphQLError } from '../../kernel/graphql-http';
import { clientAddress, createHttpApp, listen, type Listening } from '../../kernel/http';
import type { EventBus } from '../../kernel/bus/port';
import type { Logger } from '../../kernel/log';
import type { RouterConfig } from './config';
import { createRouterCore, type RouterCore } from './core';
import type { SubgraphUrls } from './subgraphs';

export interface RunningRouter extends Listening {
  core: RouterCore;
  stop(): Promise<void>;
}

/** router-gtw: the graph over HTTP, for GraphQL clients and for REST facades running in other processes. */
export async function startRouter(config: RouterConfig, subgraphs: SubgraphUrls, logger: Logger, bus: EventBus): Promise<RunningRouter> {
  const core = await createRouterCore(config, subgraphs, logger, bus);
  const trusted = new Set(config.TRUSTED_PROXIES);
  const app = createHttpApp(logger, { subgraphs: () => core.subgraphsHealthy() });
  app.use('/graphql', express.json({ limit: '64kb' }), async (req, res) => {
    if (req.method !== 'POST') {
      sendGraphQLError(res, 405, 'METHOD_NOT_ALLOWED', 'use POST with a persisted operation id');
      return;
    }
    const authorization = req.headers.authorization;
    const reply = await core.execute({ body: req.body ?? {}, authorization, requestId: req.id, clientIp: clientIp(req, trusted) });
    res.status(reply.status).set(reply.headers).send(reply.body);
  });
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
const clientIp = (req: express.Request, trusted: Set<string>) =>
  clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted);
