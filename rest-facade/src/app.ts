import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, RequestListener } from 'node:http';
import { join } from 'node:path';
import { clientAddress, createHttpApp, createHttpHandler, type Exchange, UNMATCHED } from '../../kernel/http';
import type { Logger } from '../../kernel/log';
import { fromRoot } from '../../kernel/paths';
import { readManifest } from '../../kernel/persisted';
import { type ApiDocument, createEngine } from './engine';
import { createGraphQLEndpoint, GRAPHQL_PATH, loadGraphQLEndpointOptions } from './graphql-endpoint';
import { admitting, DEFAULT_MAX_IN_FLIGHT } from './admission';
import { answerProblem, ProblemError, problemHandler } from './problem';
import { authorizationServerRoutes } from './authorization-server';
import { consoleRoutes } from './console';
import { explorerRoutes } from './explorer';
import { documentPages, referenceRoutes } from './reference';
import { createRouterClient, type RouterClient } from './router-client';

const OPENAPI_DIR = fromRoot('contracts', 'openapi');

// API answers carry tokens, secrets and one caller's data: no cache keeps them unless a route says otherwise.
const NO_STORE = 'no-store';

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
  /** The facade's listener: the APIs' paths answered on `node:http`, every other path by an express app. */
  app: RequestListener;
  /** Closes the pooled connections to the router. */
  close(): void;
}

/**
 * The REST facade; it refuses to build when a document and its operations disagree. An API request is answered on
 * `node:http` (`createHttpHandler`, the engine's route table, body-parser): express and its router were about a tenth
 * of the facade's CPU under load (README, "Speed of the request path"). The pages, the console, the explorer, the
 * authorization server's paths, `/private/graphql`, the probes and the 404 of any other path stay on express.
 */
export async function createRestFacade(options: RestFacadeOptions): Promise<RestFacade> {
  const router = admitting(
    'execute' in options.router ? options.router : createRouterClient(options.router.url, options.router.timeoutMs ?? 10_000),
    options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
    options.logger,
  );
  const checks = { router: () => router.healthy() };
  const app = createHttpApp(options.logger, checks);
  const trusted = new Set(options.trustedProxies ?? []);
  const clientIp = (req: IncomingMessage) => clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted);
  app.use((req, res, next) => {
    res.setHeader('cache-control', NO_STORE);
    res.locals.clientIp = clientIp(req);
    next();
  });
  app.use(GRAPHQL_PATH, createGraphQLEndpoint(loadGraphQLEndpointOptions(router)));
  app.use(referenceRoutes(options.documents, options.authorizationServer));
  app.use(consoleRoutes());
  if (options.authorizationServerUpstream) app.use(authorizationServerRoutes(options.authorizationServerUpstream));
  const explorerRouter = options.explorerRouterUrl ?? ('url' in options.router ? options.router.url : undefined);
  if (explorerRouter) app.use(explorerRoutes(explorerRouter));
  app.use(() => {
    throw new ProblemError('NOT_FOUND', 'no such route');
  });
  app.use(problemHandler);

  const routes: Record<string, (exchange: Exchange) => Promise<void>> = {};
  for (const doc of options.documents) {
    const engine = await createEngine(doc, router);
    routes[engine.mountPath] = async (exchange) => {
      // Counted as express counted a request whose operation is not known yet.
      exchange.name(UNMATCHED);
      exchange.res.setHeader('cache-control', NO_STORE);
      try {
        await engine.handle(exchange, clientIp(exchange.req));
      } catch (error) {
        if (exchange.res.headersSent) throw error;
        answerProblem(exchange, error);
      }
    };
  }
  const api = createHttpHandler(options.logger, checks, {
    routes,
    fail: (exchange) => answerProblem(exchange, new ProblemError('INTERNAL', 'an unexpected error occurred')),
    fallback: app,
  });
  // An API's own pages sit under its mount path; express matched them before the API, one trailing slash allowed, and
  // its router answered OPTIONS on them with their methods.
  const pages = new Set(
    options.documents.flatMap((doc) =>
      Object.values(documentPages(doc.openapi.servers?.[0]?.url as string)).flatMap((path) => [path, `${path}/`]),
    ),
  );
  const isPage = (req: IncomingMessage) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') return false;
    return pages.has((req.url ?? '/').split(/[?#]/, 1)[0]);
  };
  return { app: (req, res) => (isPage(req) ? app(req, res) : api(req, res)), close: () => router.close() };
}
