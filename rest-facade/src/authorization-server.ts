import express, { type Request, type Response, type Router } from 'express';
import { REQUEST_ID_HEADER } from '../../kernel/identity';
import { traceHeaders } from '../../kernel/tracing';

/**
 * The authorization server's paths people and apps reach, served on the facade's origin: the browser pages
 * (consent, `/activate`) then share an origin with the developer console and our sign-in, and apps find one host.
 */
export const AUTHORIZATION_SERVER_PATHS = [
  '/oauth',
  '/activate',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
] as const;

/** Headers that describe one connection, not the message: never passed on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/**
 * Forwards those paths to user-oauth-svc (`upstream`, its internal origin) as they came, cookies and redirects
 * included: the server writes every URL from its issuer, so none of its answers names the internal origin.
 */
export function authorizationServerRoutes(upstream: string): Router {
  const router = express.Router({ caseSensitive: true });
  const body = express.raw({ limit: '64kb', type: () => true });
  const forward = async (req: Request, res: Response) => {
    res.locals.route = req.baseUrl;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (HOP_BY_HOP.has(name) || name.startsWith('x-forwarded-') || value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
    }
    headers.set(REQUEST_ID_HEADER, req.id);
    headers.set('x-forwarded-for', String(res.locals.clientIp ?? req.socket.remoteAddress ?? ''));
    for (const [name, value] of Object.entries(traceHeaders())) headers.set(name, value);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && Buffer.isBuffer(req.body) && req.body.length > 0;
    const answer = await fetch(new URL(req.originalUrl, upstream), {
      method: req.method,
      headers,
      body: hasBody ? req.body : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    }).catch(() => undefined);
    if (!answer) {
      res.status(502).json({ error: 'temporarily_unavailable', error_description: 'the authorization server did not answer' });
      return;
    }
    res.status(answer.status);
    answer.headers.forEach((value, name) => {
      // fetch has already decoded the body and counted it anew; cookies are set one by one below.
      if (HOP_BY_HOP.has(name) || name === 'content-encoding' || name === 'set-cookie') return;
      res.setHeader(name, value);
    });
    const cookies = answer.headers.getSetCookie();
    if (cookies.length) res.setHeader('set-cookie', cookies);
    res.send(Buffer.from(await answer.arrayBuffer()));
  };
  for (const path of AUTHORIZATION_SERVER_PATHS) router.use(path, body, forward);
  return router;
}
