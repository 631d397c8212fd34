import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import { clientAddress, createHttpApp } from '../../kernel/http';
import type { Logger } from '../../kernel/log';
import { fromRoot } from '../../kernel/paths';
import { readManifest } from '../../kernel/persisted';
import { type ApiDocument, createEngine } from './engine';
import { createGraphQLEndpoint, GRAPHQL_PATH, loadGraphQLEndpointOptions } from './graphql-endpoint';
import { admitting, DEFAULT_MAX_IN_FLIGHT } from './admission';
import { ProblemError, problemHandler } from './problem';
import { authorizationServerRoutes } from './authorization-server';
import { consoleRoutes } from './console';
import { explorerRoutes } from './explorer';
import { referenceRoutes } from './reference';
import { createRouterClient, type RouterClient } from './router-client';

const OPENAPI_DIR = fromRoot('contracts', 'openapi');

/** Every API the facade serves: each OpenAPI document in contracts/openapi with the manifest of the same name. */
export function loadApiDocuments(): ApiDocument[] {
  return readdirSync(OPENAPI_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.json'.length);
      return {
        name,
        openapi: JSON.parse(readFileSync(join(OPENAPI_DIR, file), 'utf8')),
        operations: readManifest(name).operations,
      };
    });
}

export interface RestFacadeOptions {
  /** The router's GraphQL endpoint, or the router itself when both run in one process. */
  router: { url: string; timeoutMs?: number } | RouterClient;
  documents: ApiDocument[];
  logger: Logger;
  /** Proxies in front of the facade whose X-Forwarded-For is believed (none: the facade is the edge). */
  trustedProxies?: string[];
  /** The authorization server's public origin, which the served Public API document sends developers to. */
  authorizationServer?: string;
  /**
   * The authorization server's internal origin: its paths (`/oauth/`, `/activate`, its metadata) are then served on
   * the facade's origin, where the developer console and the consent page share the user's sign-in.
   */
  authorizationServerUpstream?: string;
  /** The router's GraphQL endpoint, for the explorer's queries (default: `router.url`; no explorer without one). */
  explorerRouterUrl?: string;
  /** Router calls in flight at most; one more is answered 503 with Retry-After (`admission.ts`). */
  maxInFlight?: number;
}

export interface RestFacade {
  app: Express;
  /** Closes the pooled connections to the router. */
  close(): void;
}

/** The REST facade as an express app; it refuses to build when a document and its operations disagree. */
export async function createRestFacade(options: RestFacadeOptions): Promise<RestFacade> {
  const router = admitting(
    'execute' in options.router ? options.router : createRouterClient(options.router.url, options.router.timeoutMs ?? 10_000),
    options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
    options.logger,
  );
  const app = createHttpApp(options.logger, { router: () => router.healthy() });
  const trusted = new Set(options.trustedProxies ?? []);
  // API answers carry tokens, secrets and one caller's data: no cache keeps them unless a route says otherwise.
  app.use((req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    res.locals.clientIp = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted);
    next();
  });
  app.use(GRAPHQL_PATH, createGraphQLEndpoint(loadGraphQLEndpointOptions(router)));
  const json = express.json({ limit: '64kb', type: ['application/json', 'application/*+json'] });
  // Providers' webhooks (a live stream's whole state) are larger than an API request.
  const raw = express.raw({ limit: '256kb', type: () => true });
  app.use(referenceRoutes(options.documents, options.authorizationServer));
  app.use(consoleRoutes());
  if (options.authorizationServerUpstream) app.use(authorizationServerRoutes(options.authorizationServerUpstream));
  const explorerRouter = options.explorerRouterUrl ?? ('url' in options.router ? options.router.url : undefined);
  if (explorerRouter) app.use(explorerRoutes(explorerRouter));
  for (const doc of options.documents) {
    const engine = await createEngine(doc, router);
    app.use(engine.mountPath, engine.rawBody ? raw : json, engine.handle);
  }
  app.use(() => {
    throw new ProblemError('NOT_FOUND', 'no such route');
  });
  app.use(problemHandler);
  return { app, close: () => router.close() };
}
