import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type AgentOptions, createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from './log';
import { REQUEST_ID_HEADER } from './identity';
import { metricsRegistry, observeHttpRequest } from './metrics';
import { traceRequest } from './tracing';

export type ReadinessCheck = () => Promise<boolean>;

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Paths of the platform's own probes, neither logged nor counted. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** One request as the kernel sees it, whichever server answers it. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** The path, without the query string. */
  path: string;
  /** Taken from the caller when well-formed, so one id follows a request facade → router → subgraph. */
  id: string;
  log: Logger;
  /** Counts the request, and names its span, under `route` (a REST operation's id) rather than its route's mount. */
  name(route: string): void;
}

/** The route of a request no route answered, or answered before it knew which. */
export const UNMATCHED = 'unmatched';

const serviceOf = (logger: Logger): string => {
  const bindings = logger.bindings();
  return String(bindings.process ?? bindings.name ?? 'unnamed');
};

/**
 * What every request gets, in either server: its id, the security headers, a server span, and on the answer one
 * JSON log line and the HTTP metrics (probes excepted), counted under `route()` as it is once the answer is sent.
 */
function begin(service: string, logger: Logger, req: IncomingMessage, res: ServerResponse, path: string, route: () => string) {
  const incoming = req.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  const log = logger.child({ requestId: id });
  res.setHeader(REQUEST_ID_HEADER, id);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  // No answer of ours is meant to be framed (clickjacking of the consent and device pages included).
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('content-security-policy', "frame-ancestors 'none'");
  if (!PROBES.has(path)) {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const method = req.method ?? '';
      observeHttpRequest(service, method, route(), res.statusCode, ms / 1e3);
      log.info({ method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
  }
  return { id, log };
}

/** Sends `body` as it is, with its length; a text type without a charset is said to be UTF-8, as express does. */
export function sendText(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', contentType.includes('charset=') ? contentType : `${contentType}; charset=utf-8`);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, body: unknown) => sendText(res, status, 'application/json', JSON.stringify(body));

async function readiness(res: ServerResponse, checks: Record<string, ReadinessCheck>): Promise<void> {
  const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await check().catch(() => false)] as const));
  const ready = results.every(([, ok]) => ok);
  sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unready', checks: Object.fromEntries(results) });
}

/** `/healthz` (the process runs), `/readyz` (its dependencies answer) and `/metrics` (Prometheus, kernel/metrics.ts). */
function probes(checks: Record<string, ReadinessCheck>): Record<string, (res: ServerResponse) => Promise<void>> {
  return {
    '/healthz': async (res) => sendJson(res, 200, { status: 'ok' }),
    '/readyz': (res) => readiness(res, checks),
    '/metrics': async (res) => sendText(res, 200, metricsRegistry.contentType, await metricsRegistry.metrics()),
  };
}

/**
 * The route a request is counted under: what a handler named (`res.locals.route`, a REST operation id), the
 * express route matched, or the mount path; never the raw path, whose ids would make a series per resource.
 */
const routeOf = (req: Request, res: Response): string =>
  (res.locals.route as string | undefined) ?? (req.route ? `${req.baseUrl}${String(req.route.path)}` : req.baseUrl || UNMATCHED);

/**
 * An express app with what every process serves: a request id, one JSON log line per request, a server span, and
 * the probes. For the processes with pages and many routes (the REST facade's pages, the gateways' side doors); the
 * router, the subgraphs and the REST facade's APIs answer on `createHttpHandler`, without express's cost per request.
 */
export function createHttpApp(logger: Logger, checks: Record<string, ReadinessCheck>): Express {
  const app = express();
  const service = serviceOf(logger);
  // Paths are what the documents write: `/ADMIN/v1/...` is no route (express matches case-insensitively by default,
  // and reads the setting when its router is first used, which is below).
  app.enable('case sensitive routing');
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const path = req.originalUrl.split('?')[0];
    const route = () => routeOf(req, res);
    const exchange = begin(service, logger, req, res, path, route);
    req.id = exchange.id;
    req.log = exchange.log;
    traceRequest(service, { req, res, path: req.path, id: req.id, route }, next);
  });
  for (const [path, probe] of Object.entries(probes(checks))) {
    app.get(path, (_req, res) => probe(res));
  }
  return app;
}

/** An answer to one route of `createHttpHandler`; a rejection is logged and answered 500 by `fail`. */
export type RouteHandler = (exchange: Exchange) => Promise<void>;

export interface HttpHandlerOptions {
  /** Each route answers its path and the paths under it (`/graphql`, `/graphql/...`). */
  routes: Record<string, RouteHandler>;
  /** Answers a request whose handler threw, when nothing was sent yet. */
  fail(exchange: Exchange): void;
  /**
   * Takes every request on no route's path, probes included, as it came: a listener that gives requests what
   * `createHttpApp` does itself (the REST facade's express app, for its pages).
   */
  fallback?: RequestListener;
}

/**
 * A `node:http` request listener with what `createHttpApp` gives every request (id, security headers, log line,
 * metrics under the route's path, server span, probes) and a few routes: a 404 for any other path, or the fallback.
 */
export function createHttpHandler(logger: Logger, checks: Record<string, ReadinessCheck>, options: HttpHandlerOptions): RequestListener {
  const service = serviceOf(logger);
  const probe = probes(checks);
  const routes = Object.entries(options.routes);
  return (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const matched = routes.find(([mount]) => path === mount || path.startsWith(`${mount}/`));
    if (!matched && options.fallback) {
      options.fallback(req, res);
      return;
    }
    let route = matched?.[0] ?? UNMATCHED;
    const { id, log } = begin(service, logger, req, res, path, () => route);
    const exchange: Exchange = {
      req,
      res,
      path,
      id,
      log,
      name: (named) => {
        route = named;
      },
    };
    traceRequest(service, { req, res, path, id, route: () => route }, () => {
      const answered = matched
        ? matched[1](exchange)
        : Object.hasOwn(probe, path) && (req.method === 'GET' || req.method === 'HEAD')
          ? probe[path](res)
          : Promise.resolve(sendText(res, 404, 'text/plain', `Cannot ${req.method} ${path}`));
      answered.catch((error: unknown) => {
        exchange.log.error({ err: error }, 'unhandled error');
        if (res.headersSent) res.destroy();
        else options.fail(exchange);
      });
    });
  };
}

export interface Listening {
  server: Server;
  port: number;
  url: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes idle keep-alive sockets. */
  close(): Promise<void>;
}

/** How long the platform's servers keep an idle connection open (Node's default, 5 s, is shorter than most proxies'). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * A client agent for the platform's own servers, connections kept alive: it retires an idle socket before the
 * server closes it, at a second before the server's `Keep-Alive: timeout=N` hint or after a minute, whichever comes
 * first. Node's agent takes the hint only under a `timeout` of its own; without one it kept idle sockets forever,
 * and a call sent on one as the server closed it, after 65 s idle, failed with "socket hang up". A call in flight
 * is not cut by this timeout: the agent closes only sockets in its free list.
 */
export const KEPT_ALIVE: AgentOptions = { keepAlive: true, timeout: 60_000 };

/** Serves `handler` (an express app or `createHttpHandler`'s listener) on `host:port`. */
export function listen(handler: RequestListener, port: number, host = '127.0.0.1'): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.listen(port, host);
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.once('error', reject);
    server.once('listening', () => {
      const actual = (server.address() as AddressInfo).port;
      resolve({
        server,
        port: actual,
        url: `http://${host}:${actual}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/**
 * The client's address behind proxies: the rightmost hop of X-Forwarded-For that is not one of `trusted`, starting
 * from the socket's peer. Hops left of an untrusted one were written by whoever sent the request and prove nothing,
 * so taking the leftmost would let any client choose the address its limits are counted against.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: ReadonlySet<string>,
): string | undefined {
  if (!peer || !trusted.has(peer)) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    if (!trusted.has(hops[i])) return hops[i];
  }
  // Every hop is a proxy of ours: the first of them is as close to the client as anyone can tell.
  return hops[0] ?? peer;
}
