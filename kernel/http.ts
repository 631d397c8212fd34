import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
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

/**
 * The route a request is counted under: what a handler named (`res.locals.route`, a REST operation id), the
 * express route matched, or the mount path; never the raw path, whose ids would make a series per resource.
 */
const routeOf = (req: Request, res: Response): string =>
  (res.locals.route as string | undefined) ?? (req.route ? `${req.baseUrl}${String(req.route.path)}` : req.baseUrl || 'unmatched');

/**
 * An express app with what every process serves: a request id (taken from the caller when well-formed, so one id
 * follows a request facade → router → subgraph), one JSON log line per request, `/healthz` (the process runs),
 * `/readyz` (its dependencies answer) and `/metrics` (Prometheus, kernel/metrics.ts).
 */
export function createHttpApp(logger: Logger, checks: Record<string, ReadinessCheck>): Express {
  const app = express();
  const bindings = logger.bindings();
  const service = String(bindings.process ?? bindings.name ?? 'unnamed');
  // Paths are what the documents write: `/ADMIN/v1/...` is no route (express matches case-insensitively by default,
  // and reads the setting when its router is first used, which is below).
  app.enable('case sensitive routing');
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers[REQUEST_ID_HEADER];
    req.id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.log = logger.child({ requestId: req.id });
    res.setHeader(REQUEST_ID_HEADER, req.id);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    // No answer of ours is meant to be framed (clickjacking of the consent and device pages included).
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('content-security-policy', "frame-ancestors 'none'");
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const path = req.originalUrl.split('?')[0];
      if (PROBES.has(path)) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      observeHttpRequest(service, req.method, routeOf(req, res), res.statusCode, ms / 1e3);
      req.log.info({ method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  });
  app.use(traceRequest(service, routeOf));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await check().catch(() => false)] as const),
    );
    const ready = results.every(([, ok]) => ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unready', checks: Object.fromEntries(results) });
  });
  return app;
}

export interface Listening {
  server: Server;
  port: number;
  url: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes idle keep-alive sockets. */
  close(): Promise<void>;
}

export function listen(app: Express, port: number, host = '127.0.0.1'): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.keepAliveTimeout = 65_000;
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
